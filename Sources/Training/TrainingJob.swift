import CoachSpoolCore
import Datasets
import Foundation
import LibPQ
import Logging
import Spool
import Stages
import Tokenizers

/// `coachspool train` as a library call: export the current data (or take a given export),
/// record the run and its lineage, run the trainer (TRL + PEFT in its own environment) as a child
/// process, and record how it ended. Errors carry the documented exit codes: 4 too few
/// examples, 5 something needed is missing or unusable, 6 training failed or was interrupted.
public struct TrainingJob: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        case sft, dpo, kto

        /// The export format the method trains on.
        public var format: DatasetFormat {
            switch self {
            case .sft: .trlSFT
            case .dpo: .trlDPO
            case .kto: .kto
            }
        }
    }

    /// LoRA and optimiser settings, passed to the trainer and recorded with the run.
    public struct Hyperparameters: Sendable {
        public var loraR = 16
        public var loraAlpha = 32
        public var loraDropout = 0.1
        public var targetModules: [String]?
        public var epochs = 3.0
        public var maxSteps: Int?
        public var learningRate = 2e-4
        public var batchSize = 4
        public var seed = 42
        public var maxLength = 1024

        public init() {}
    }

    public var method: Method
    /// A local Hugging Face model folder.
    public var baseModel: String
    public var outDirectory: URL
    /// Train on this export folder instead of exporting the current data.
    public var export: URL?
    /// Share of conversations in validation when exporting.
    public var validationFraction = 0.2
    public var hyperparameters = Hyperparameters()
    /// `chatml` or a Jinja file, for a base model without a chat template.
    public var chatTemplate: String?
    /// Also write OUT/merged/: the base model with the adapter merged in (PEFT's merge_and_unload).
    public var merge = false

    public init(method: Method, baseModel: String, outDirectory: URL) {
        self.method = method
        self.baseModel = baseModel
        self.outDirectory = outDirectory.standardizedFileURL
    }

    /// How a successful run ended.
    public struct Result: Sendable {
        public var runID: Int64
        public var report: TrainingReport
        public var reportFile: URL
    }

    /// Runs the whole job; `say` gets the lines a person follows (export summary, run started).
    public func run(connect: () throws -> PGConnection, logger: Logger, say: (String) -> Void) throws -> Result {
        let trainer = try TrainerEnvironment.locate()
        let model = try BaseModel(directory: baseModel, requireChatTemplate: chatTemplate == nil)
        try OutputFolder.create(outDirectory, option: "--out")
        let conn = try connect()
        try Migrator.requireSchema(conn)
        let (dataset, lineage) = try prepareDataset(conn, say: say)
        let manifest = try ExportManifest(directory: dataset)
        guard manifest.format == method.format.rawValue else {
            throw CoachSpoolError(.unusable, "holds a \(manifest.format) export; --method \(method.rawValue) needs \(method.format.rawValue)", file: dataset.path)
        }
        guard manifest.validationExamples > 0 else {
            throw CoachSpoolError(.tooFewExamples,
                "has no validation examples, so nothing can be measured against the base model: export with a larger --val-fraction",
                file: dataset.path)
        }
        let run = try TrainingRuns.start(conn, TrainingRuns.Start(
            method: method.rawValue, baseModel: model.name, baseModelConfigSHA256: model.configSHA256,
            hyperparameters: hyperparametersJSON, datasetFormat: manifest.format, pipelineVersion: manifest.pipelineVersion,
            manifestSHA256: manifest.sha256, filesSHA256: manifest.filesSHA256JSON, outDirectory: outDirectory.path,
            trainConversations: lineage.train, validationConversations: lineage.validation))
        logger.info("training run started", metadata: [LogKey.runID: "\(run.id)", LogKey.runConversations: "\(run.conversations)"])
        say("training run \(run.id): \(method.rawValue) LoRA on \(model.name), \(run.conversations) train conversations recorded")

        // `conn` holds the run's advisory lock: it must live as long as the trainer does.
        let outcome = withExtendedLifetime(conn) {
            TrainerProcess.run(trainer, arguments: trainerArguments(dataset: dataset))
        }
        // The end is written on a new connection: the one holding the lock may have been lost
        // during a long training (the run then reads `interrupted` until this update).
        let ending = try connect()
        switch outcome {
        case .finished:
            let reportFile = outDirectory.appendingPathComponent("training_report.json")
            let report = try TrainingReport(file: reportFile)
            try TrainingRuns.finish(
                ending, id: run.id, status: .succeeded, metrics: report.metricsJSON, adapterPath: report.adapterPath,
                adapterSHA256: try? TrainingReport.sha256(ofFile: URL(fileURLWithPath: report.adapterPath).appendingPathComponent("adapter_model.safetensors")))
            logger.info("training run succeeded", metadata: [LogKey.runID: "\(run.id)"])
            return Result(runID: run.id, report: report, reportFile: outDirectory.appendingPathComponent("training_report.md"))
        case .unusable(let status), .failed(let status):
            try TrainingRuns.finish(ending, id: run.id, status: .failed, error: "the trainer exited with status \(status)")
            throw CoachSpoolError(
                outcome == .unusable(status) ? .unusable : .trainingFailed,
                "training run \(run.id) failed (the trainer exited with status \(status))")
        case .interrupted(let signal):
            try TrainingRuns.finish(ending, id: run.id, status: .interrupted, error: "stopped by signal \(signal)")
            throw CoachSpoolError(.trainingFailed, "training run \(run.id) interrupted (signal \(signal))")
        }
    }

    /// The export to train on, and the conversation keys of its two splits.
    private func prepareDataset(_ conn: PGConnection, say: (String) -> Void) throws -> (URL, (train: [String], validation: [String])) {
        if let export {
            let directory = export.standardizedFileURL
            func keys(_ name: String) -> [String]? {
                (try? Data(contentsOf: directory.appendingPathComponent(name))).map { data in
                    LineReader.lines(of: data).filter { !$0.isBlank }.map(\.text)
                }
            }
            guard let train = keys(DatasetExport.trainConversationsFile) else {
                throw CoachSpoolError(.unusable, "is missing: train on a folder written by `coachspool export` (it records the run's lineage)",
                                      file: directory.appendingPathComponent(DatasetExport.trainConversationsFile).path)
            }
            // Exports made before issue 26 have no validation list: such a run trains, but
            // `eval answers` cannot prove its questions held out and refuses it.
            return (directory, (train, keys(DatasetExport.validationConversationsFile) ?? []))
        }
        let directory = outDirectory.appendingPathComponent("dataset")
        let export = DatasetExport(
            format: method.format, directory: directory, split: DatasetSplit(validationFraction: validationFraction, seed: "coachspool"),
            validator: ChatFormatValidator(counter: ChatTokenCounter(encoding: try ModelFiles.cl100k()), maxTokens: ChatFormatValidator.defaultMaxTokens),
            cost: .init(epochs: max(1, Int(hyperparameters.epochs.rounded(.up))), pricePer1KTokens: 0))
        let result = try export.run(version: nil, filter: { .init(version: $0, mode: nil, since: nil) }, on: conn, recordOn: conn)
        say(result.summaryLine)
        return (directory, (result.trainConversations, result.validationConversations))
    }

    private var hyperparametersJSON: String {
        let h = hyperparameters
        var fields: [String: Any] = [
            "lora_r": h.loraR, "lora_alpha": h.loraAlpha, "lora_dropout": h.loraDropout, "task_type": "CAUSAL_LM", "epochs": h.epochs,
            "learning_rate": h.learningRate, "batch_size": h.batchSize, "seed": h.seed, "max_length": h.maxLength,
        ]
        if let maxSteps = h.maxSteps { fields["max_steps"] = maxSteps }
        if let targetModules = h.targetModules { fields["target_modules"] = targetModules }
        if let chatTemplate { fields["chat_template"] = chatTemplate }
        return String(decoding: (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }

    private func trainerArguments(dataset: URL) -> [String] {
        let h = hyperparameters
        var arguments = [
            "--base-model", baseModel, "--export", dataset.path, "--out", outDirectory.path, "--method", method.rawValue,
            "--lora-r", "\(h.loraR)", "--lora-alpha", "\(h.loraAlpha)", "--lora-dropout", "\(h.loraDropout)", "--epochs", "\(h.epochs)",
            "--learning-rate", "\(h.learningRate)", "--batch-size", "\(h.batchSize)", "--seed", "\(h.seed)", "--max-length", "\(h.maxLength)",
        ]
        if let maxSteps = h.maxSteps { arguments += ["--max-steps", "\(maxSteps)"] }
        if let targetModules = h.targetModules { arguments += ["--target-modules", targetModules.joined(separator: ",")] }
        if let chatTemplate { arguments += ["--chat-template", chatTemplate] }
        if merge { arguments.append("--merge") }
        return arguments
    }
}
