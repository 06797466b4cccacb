import ArgumentParser
import Crypto
import Foundation
import LibPQ
import Logging
import Spool
import Stages
import Tokenizers

/// `coachspool train`: LoRA on TRL + PEFT (scripts/train/train.py in the trainer's environment),
/// on a fresh export of the current data or a given one; the run and its lineage are recorded.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a LoRA adapter with TRL + PEFT and measure it against the base model (validation loss before and after).",
        discussion: """
            Exports the current data first (trl-sft, trl-dpo or kto by --method) unless --export \
            is given, runs scripts/train/train.py in the trainer's environment \
            (scripts/fetch-trainer.sh) as a child process, and writes OUT/adapter/ (PEFT), \
            OUT/training_report.json and OUT/training_report.md. The run is recorded in \
            coachspool.training_runs with the conversations of its train split (coachspool runs). \
            Exit 4: too few examples (or none for validation); 5: the trainer's environment, the model folder, its chat \
            template or the export is missing or unusable; 6: training failed or was interrupted.
            """)

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case sft, dpo, kto
        var format: DatasetFormat {
            switch self {
            case .sft: .trlSFT
            case .dpo: .trlDPO
            case .kto: .kto
            }
        }
    }

    @Option(help: "A local Hugging Face model folder (config.json, weights, a tokenizer with a chat template).")
    var baseModel: String

    @Option(help: "Output folder: adapter/, training_report.json, training_report.md (and dataset/ when exporting).")
    var out: String

    @Option(help: "sft (trl-sft rows), dpo (trl-dpo pairs) or kto.")
    var method: Method = .sft

    @Option(help: "Train on this export folder instead of exporting the current data.")
    var export: String?

    @Option(help: "Share of conversations in validation when exporting (the baseline and the adapter are measured on it).")
    var valFraction = 0.2

    @Option(help: "LoRA rank (the seed's r).")
    var loraR = 16
    @Option(help: "LoRA alpha.")
    var loraAlpha = 32
    @Option(help: "LoRA dropout.")
    var loraDropout = 0.1
    @Option(help: "Comma-separated module names (default: the architecture's attention and MLP projections).")
    var targetModules: String?
    @Option(help: "Epochs.")
    var epochs = 3.0
    @Option(help: "Stop after this many optimiser steps (overrides --epochs).")
    var maxSteps: Int?
    @Option(help: "Learning rate.")
    var learningRate = 2e-4
    @Option(help: "Examples per device and step.")
    var batchSize = 4
    @Option(help: "Random seed.")
    var seed = 42
    @Option(help: "Tokens per example at most (longer ones are truncated by TRL).")
    var maxLength = 1024

    @OptionGroup var common: CommonOptions

    static let unusableExitCode: Int32 = 5
    static let failedExitCode: Int32 = 6

    func validate() throws {
        guard loraR > 0, loraAlpha > 0 else { throw ValidationError("--lora-r and --lora-alpha must be positive") }
        guard (0..<1).contains(loraDropout) else { throw ValidationError("--lora-dropout must be in 0..<1") }
        guard epochs > 0, batchSize > 0, maxLength > 16, learningRate > 0 else {
            throw ValidationError("--epochs, --batch-size, --learning-rate must be positive and --max-length above 16")
        }
        if let maxSteps, maxSteps <= 0 { throw ValidationError("--max-steps must be positive") }
        guard (0...0.5).contains(valFraction) else { throw ValidationError("--val-fraction: expected a number from 0 to 0.5") }
    }

    func run() throws {
        let logger = LoggingSetup.logger("coachspool.train", level: common.logLevel)
        let trainer: TrainerEnvironment
        let model: BaseModel
        do {
            trainer = try TrainerEnvironment.locate()
            model = try BaseModel(directory: baseModel)
        } catch let error as TrainingSetupError {
            printError("error: \(error)")
            throw ExitCode(Self.unusableExitCode)
        }
        let outDirectory = URL(fileURLWithPath: out).standardizedFileURL
        try FileManager.default.createDirectory(at: outDirectory, withIntermediateDirectories: true)
        let conn = try openConnection(application: "coachspool-train")
        try Migrator.requireSchema(conn)

        let dataset: URL
        let trainConversations: [String]
        do {
            (dataset, trainConversations) = try prepareDataset(conn, into: outDirectory)
        } catch let error as ExportError {
            printError("error: \(error)")
            throw ExitCode(ExportError.exitCode)
        } catch let error as TrainingSetupError {
            printError("error: \(error)")
            throw ExitCode(Self.unusableExitCode)
        }
        let manifest = try ExportManifest(directory: dataset)
        guard manifest.format == method.format.rawValue else {
            printError("error: \(dataset.path) holds a \(manifest.format) export; --method \(method.rawValue) needs \(method.format.rawValue)")
            throw ExitCode(Self.unusableExitCode)
        }
        guard manifest.validationExamples > 0 else {
            printError("error: \(dataset.path) has no validation examples, so nothing can be measured against the base model: export with a larger --val-fraction")
            throw ExitCode(ExportError.exitCode)
        }
        let run = try TrainingRuns.start(conn, TrainingRuns.Start(
            method: method.rawValue, baseModel: model.name, baseModelConfigSHA256: model.configSHA256,
            hyperparameters: hyperparametersJSON, datasetFormat: manifest.format, pipelineVersion: manifest.pipelineVersion,
            manifestSHA256: manifest.sha256, filesSHA256: manifest.filesSHA256JSON, outDirectory: outDirectory.path,
            trainConversations: trainConversations))
        logger.info("training run \(run.id) started", metadata: ["run.id": "\(run.id)", "run.conversations": "\(run.conversations)"])
        print("training run \(run.id): \(method.rawValue) LoRA on \(model.name), \(run.conversations) train conversations recorded")

        // `conn` holds the run's advisory lock: it must live as long as the trainer does.
        let outcome = withExtendedLifetime(conn) {
            TrainerProcess.run(trainer, arguments: trainerArguments(dataset: dataset, out: outDirectory))
        }
        // The end is written on a new connection: the one holding the lock may have been lost
        // during a long training (the run then reads `interrupted` until this update).
        let ending = try openConnection(application: "coachspool-train")
        switch outcome {
        case .finished:
            let report = try TrainingReport(file: outDirectory.appendingPathComponent("training_report.json"))
            try TrainingRuns.finish(
                ending, id: run.id, status: .succeeded, metrics: report.metricsJSON, adapterPath: report.adapterPath,
                adapterSHA256: try? TrainingReport.sha256(ofFile: URL(fileURLWithPath: report.adapterPath).appendingPathComponent("adapter_model.safetensors")))
            print(String(format: "training run %lld: validation loss %.4f (base model) → %.4f (adapter); %@",
                         run.id, report.baselineEvalLoss, report.evalLoss, outDirectory.appendingPathComponent("training_report.md").path))
        case .unusable(let status), .failed(let status):
            try TrainingRuns.finish(ending, id: run.id, status: .failed, error: "the trainer exited with status \(status)")
            printError("error: training run \(run.id) failed (the trainer exited with status \(status))")
            throw ExitCode(outcome == .unusable(status) ? Self.unusableExitCode : Self.failedExitCode)
        case .interrupted(let signal):
            try TrainingRuns.finish(ending, id: run.id, status: .interrupted, error: "stopped by signal \(signal)")
            printError("training run \(run.id) interrupted (signal \(signal))")
            throw ExitCode(Self.failedExitCode)
        }
    }

    /// The export to train on, and the conversation keys of its train split.
    private func prepareDataset(_ conn: PGConnection, into outDirectory: URL) throws -> (URL, [String]) {
        if let export {
            let directory = URL(fileURLWithPath: export).standardizedFileURL
            let keysFile = directory.appendingPathComponent(DatasetExport.trainConversationsFile)
            guard let keys = try? String(contentsOf: keysFile, encoding: .utf8) else {
                throw TrainingSetupError("\(keysFile.path) is missing: train on a folder written by `coachspool export` (it records the run's lineage)")
            }
            return (directory, keys.split(separator: "\n").map(String.init))
        }
        let directory = outDirectory.appendingPathComponent("dataset")
        let export = DatasetExport(
            format: method.format, directory: directory, split: DatasetSplit(validationFraction: valFraction, seed: "coachspool"),
            validator: ChatFormatValidator(counter: ChatTokenCounter(encoding: try ModelFiles.cl100k()), maxTokens: ChatFormatValidator.defaultMaxTokens),
            cost: .init(epochs: max(1, Int(epochs.rounded(.up))), pricePer1KTokens: 0))
        guard let version = try DatasetReader.latestVersion(conn) else {
            throw ExportError("no examples have been built yet: run `coachspool work` after ingesting (and check consent)")
        }
        let result = try export.run(DatasetReader(source: method.format.source, filter: .init(version: version, mode: nil, since: nil)), on: conn)
        print(result.summaryLine)
        return (directory, result.trainConversations)
    }

    private var hyperparametersJSON: String {
        var fields: [String: Any] = [
            "lora_r": loraR, "lora_alpha": loraAlpha, "lora_dropout": loraDropout, "task_type": "CAUSAL_LM", "epochs": epochs,
            "learning_rate": learningRate, "batch_size": batchSize, "seed": seed, "max_length": maxLength,
        ]
        if let maxSteps { fields["max_steps"] = maxSteps }
        if let targetModules { fields["target_modules"] = targetModules.split(separator: ",").map(String.init) }
        return String(decoding: (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }

    private func trainerArguments(dataset: URL, out: URL) -> [String] {
        var arguments = [
            "--base-model", baseModel, "--export", dataset.path, "--out", out.path, "--method", method.rawValue,
            "--lora-r", "\(loraR)", "--lora-alpha", "\(loraAlpha)", "--lora-dropout", "\(loraDropout)", "--epochs", "\(epochs)",
            "--learning-rate", "\(learningRate)", "--batch-size", "\(batchSize)", "--seed", "\(seed)", "--max-length", "\(maxLength)",
        ]
        if let maxSteps { arguments += ["--max-steps", "\(maxSteps)"] }
        if let targetModules { arguments += ["--target-modules", targetModules] }
        return arguments
    }
}

/// Something `train` needs is missing or unusable (exit 5): the message says what to do.
struct TrainingSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
