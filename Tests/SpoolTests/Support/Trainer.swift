import Foundation
import Testing

/// The trainer's Python environment (scripts/fetch-trainer.sh; scripts/test.sh sets
/// COACHSPOOL_TRAINER_PYTHON) and the scripts in scripts/train, run as child processes.
enum Trainer {
    static var python: String {
        get throws {
            guard let path = ProcessInfo.processInfo.environment["COACHSPOOL_TRAINER_PYTHON"], !path.isEmpty else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "COACHSPOOL_TRAINER_PYTHON is not set: run through scripts/test.sh"])
            }
            return path
        }
    }

    /// Runs `python ARGUMENTS…` to completion (offline) and returns (status, stdout, stderr).
    static func run(_ arguments: [String], timeout: Double = 300) async throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HF_HUB_OFFLINE"] = "1"
        environment["HF_DATASETS_OFFLINE"] = "1"
        process.environment = environment
        let out = temporaryFile("py-out"), err = temporaryFile("py-err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                Issue.record("python \(arguments.first ?? "") did not finish within \(timeout)s")
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        await waitForExit(process)
        return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    static func script(_ name: String) -> String { Repository.path("scripts/train/\(name)").path }

    /// A tiny random Llama with a tokenizer trained on the texts of an export's files.
    static func tinyModel(fromExport export: URL) async throws -> URL {
        let model = temporaryFile("tiny-model")
        let made = try await run([script("tiny_model.py"), model.path, "--from-export", export.path])
        #expect(made.status == 0, "\(made.err)")
        return model
    }
}
