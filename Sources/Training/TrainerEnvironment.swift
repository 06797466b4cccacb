import CoachSpoolCore
import Foundation

/// Where the trainer lives: `scripts/train/` (train.py, eval_answers.py, charts.py) and the
/// Python of its environment.
public struct TrainerEnvironment: Sendable {
    public let python: URL
    /// `scripts/train/train.py`.
    public let script: URL

    /// Another script of the trainer's folder.
    public func script(_ name: String) -> URL {
        script.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// `COACHSPOOL_TRAINER_DIR` (default: `./scripts/train`, or the repository the binary was
    /// built in) and `COACHSPOOL_TRAINER_PYTHON` (default: `.coachspool/trainer-venv/bin/python`
    /// beside that repository's `scripts/`).
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TrainerEnvironment {
        let fileManager = FileManager.default
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates: [URL] = []
        if let directory = environment["COACHSPOOL_TRAINER_DIR"], !directory.isEmpty {
            candidates.append(URL(fileURLWithPath: directory))
        } else {
            candidates.append(URL(fileURLWithPath: "scripts/train"))
            // .build/<triple>/<configuration>/coachspool → the repository root
            var root = binary.deletingLastPathComponent()
            for _ in 0..<4 {
                root = root.deletingLastPathComponent()
                candidates.append(root.appendingPathComponent("scripts/train"))
            }
        }
        guard let directory = candidates.first(where: { fileManager.fileExists(atPath: $0.appendingPathComponent("train.py").path) }) else {
            throw CoachSpoolError(.unusable, "cannot find scripts/train/train.py: run from the repository or set COACHSPOOL_TRAINER_DIR")
        }
        let python: URL
        if let path = environment["COACHSPOOL_TRAINER_PYTHON"], !path.isEmpty {
            python = URL(fileURLWithPath: path)
        } else {
            let stateDirectory = environment["COACHSPOOL_STATE_DIR"].map { URL(fileURLWithPath: $0) }
                ?? directory.standardizedFileURL.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".coachspool")
            python = stateDirectory.appendingPathComponent("trainer-venv/bin/python")
        }
        guard fileManager.isExecutableFile(atPath: python.path) else {
            throw CoachSpoolError(.unusable, "the trainer's environment is missing (\(python.path)): run scripts/fetch-trainer.sh (or set COACHSPOOL_TRAINER_PYTHON)")
        }
        return TrainerEnvironment(python: python, script: directory.appendingPathComponent("train.py"))
    }
}
