import Crypto
import Foundation

/// Where the trainer lives: `scripts/train/train.py` and the Python of its environment.
struct TrainerEnvironment {
    let python: URL
    let script: URL

    /// `COACHSPOOL_TRAINER_DIR` (default: `./scripts/train`, or the repository the binary was
    /// built in) and `COACHSPOOL_TRAINER_PYTHON` (default: `.coachspool/trainer-venv/bin/python`
    /// beside that repository's `scripts/`).
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TrainerEnvironment {
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
            throw TrainingSetupError("cannot find scripts/train/train.py: run from the repository or set COACHSPOOL_TRAINER_DIR")
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
            throw TrainingSetupError("the trainer's environment is missing (\(python.path)): run scripts/fetch-trainer.sh (or set COACHSPOOL_TRAINER_PYTHON)")
        }
        return TrainerEnvironment(python: python, script: directory.appendingPathComponent("train.py"))
    }
}

/// A local Hugging Face model folder, checked before anything is recorded.
struct BaseModel {
    let name: String
    let configSHA256: String

    init(directory: String) throws {
        let folder = URL(fileURLWithPath: directory)
        guard let config = FileManager.default.contents(atPath: folder.appendingPathComponent("config.json").path) else {
            throw TrainingSetupError("\(directory): no config.json (expected a local Hugging Face model folder)")
        }
        let templateFile = FileManager.default.fileExists(atPath: folder.appendingPathComponent("chat_template.jinja").path)
        let tokenizerConfig = FileManager.default.contents(atPath: folder.appendingPathComponent("tokenizer_config.json").path)
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        guard templateFile || (tokenizerConfig?["chat_template"] as? String).map({ !$0.isEmpty }) == true else {
            throw TrainingSetupError("\(directory): the tokenizer has no chat template (chat_template.jinja or tokenizer_config.json's chat_template)")
        }
        name = folder.standardizedFileURL.lastPathComponent
        configSHA256 = Array(SHA256.hash(data: config)).hexString
    }
}

/// The export's manifest, as a training run records it.
struct ExportManifest {
    let format: String
    let pipelineVersion: String?
    let sha256: String
    let filesSHA256JSON: String
    let validationExamples: Int

    init(directory: URL) throws {
        let file = directory.appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: file.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let format = object["format"] as? String
        else { throw TrainingSetupError("\(file.path) is missing or not an export manifest") }
        self.format = format
        pipelineVersion = object["pipeline_version"] as? String
        sha256 = Array(SHA256.hash(data: data)).hexString
        let entries = object["files"] as? [String: [String: Any]] ?? [:]
        validationExamples = entries["validation.jsonl"]?["examples"] as? Int ?? 0
        let files = entries.compactMapValues { $0["sha256"] as? String }
        filesSHA256JSON = String(decoding: try JSONSerialization.data(withJSONObject: files, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// The figures of `training_report.json` that a run keeps in the database: no sample texts
/// (they quote conversations, which erasure must be able to remove).
struct TrainingReport {
    let baselineEvalLoss: Double
    let evalLoss: Double
    let adapterPath: String
    let metricsJSON: String

    static let recordedKeys = [
        "baseline_eval_loss", "eval_loss", "train_loss_by_epoch", "trained_tokens", "loss_tokens_per_epoch", "steps",
        "epochs_completed", "device", "seconds", "method", "hyperparameters",
    ]

    init(file: URL) throws {
        guard let data = FileManager.default.contents(atPath: file.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let baseline = object["baseline_eval_loss"] as? Double, let eval = object["eval_loss"] as? Double,
              let adapter = object["adapter"] as? String
        else { throw TrainingSetupError("\(file.path) is missing or incomplete: the trainer did not finish its report") }
        baselineEvalLoss = baseline
        evalLoss = eval
        adapterPath = adapter
        let kept = object.filter { Self.recordedKeys.contains($0.key) }
        metricsJSON = String(decoding: try JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys]), as: UTF8.self)
    }

    static func sha256(ofFile url: URL) throws -> String {
        Array(SHA256.hash(data: try Data(contentsOf: url, options: .mappedIfSafe))).hexString
    }
}

/// Runs the trainer as a child process with our stdout and stderr (its progress lines pass
/// through); SIGTERM and SIGINT are forwarded to it, and the run then counts as interrupted.
enum TrainerProcess {
    enum Outcome: Equatable {
        case finished
        /// The trainer refused its inputs (its exit status 3).
        case unusable(Int32)
        case failed(Int32)
        case interrupted(Int32)
    }

    static func run(_ environment: TrainerEnvironment, arguments: [String]) -> Outcome {
        let process = Process()
        process.executableURL = environment.python
        process.arguments = ["-u", environment.script.path] + arguments
        var childEnvironment = ProcessInfo.processInfo.environment
        childEnvironment["HF_HUB_OFFLINE"] = "1"  // nothing is downloaded at run time
        childEnvironment["TRANSFORMERS_OFFLINE"] = "1"
        childEnvironment["HF_DATASETS_OFFLINE"] = "1"
        process.environment = childEnvironment
        // A plain handler, not SIG_IGN + a dispatch source: an ignored signal is discarded by the
        // kernel before any source sees it, and the child would inherit the SIG_IGN.
        receivedSignal = 0
        for number in [SIGTERM, SIGINT] { signal(number) { receivedSignal = $0 } }
        defer { for number in [SIGTERM, SIGINT] { signal(number, SIG_DFL) } }
        fflush(nil)  // our buffered lines before the trainer's, which share the stream
        do {
            try process.run()
        } catch {
            printError("error: cannot start \(environment.python.path): \(error)")
            return .unusable(127)
        }
        // Polled: waitUntilExit() can miss the exit when called from a concurrency thread.
        var forwarded = false
        while process.isRunning {
            if receivedSignal != 0, !forwarded {
                kill(process.processIdentifier, SIGTERM)
                forwarded = true
            }
            usleep(100_000)
        }
        if receivedSignal != 0 { return .interrupted(receivedSignal) }
        let status = process.terminationStatus
        switch (process.terminationReason, status) {
        case (.exit, 0): return .finished
        case (.exit, 3): return .unusable(status)
        default: return .failed(status)
        }
    }
}

/// The last SIGTERM/SIGINT received while the trainer runs (0: none). Written only by the signal
/// handler, read by the polling loop: a single aligned word, as C's sig_atomic_t.
nonisolated(unsafe) private var receivedSignal: Int32 = 0
