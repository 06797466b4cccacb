import ArgumentParser
import Foundation
import Knowledge
import Spool
import Stages
import Training

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

    @Option(help: "A local Hugging Face model folder (config.json, weights, a tokenizer with a chat template).")
    var baseModel: String

    @Option(help: "Output folder: adapter/, training_report.json, training_report.md (and dataset/ when exporting).")
    var out: String

    @Option(help: "sft (trl-sft rows), dpo (trl-dpo pairs) or kto.")
    var method: TrainingJob.Method = .sft

    @Option(help: "Train on this export folder instead of exporting the current data.")
    var export: String?

    @Option(help: "Share of conversations in validation when exporting (the baseline and the adapter are measured on it).")
    var valFraction = DatasetSplit.defaultValidationFraction

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

    @Option(help: ArgumentHelp(
        "A chat template for a base model without one: chatml, or a Jinja file.",
        discussion: "chatml adds <|im_start|> and <|im_end|> as tokens (trained with the adapter), as TRL's clone_chat_template does."))
    var chatTemplate: String?

    @Flag(help: "Also write OUT/merged/: the base model with the adapter merged in, for servers that take no adapters.")
    var merge = false

    @Flag(help: "Then run `eval answers` on the run (with RAG variants when the knowledge base has chunks); its table joins the report.")
    var eval = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard loraR > 0, loraAlpha > 0 else { throw ValidationError("--lora-r and --lora-alpha must be positive") }
        guard (0..<1).contains(loraDropout) else { throw ValidationError("--lora-dropout must be in 0..<1") }
        guard epochs > 0, batchSize > 0, maxLength > 16, learningRate > 0 else {
            throw ValidationError("--epochs, --batch-size, --learning-rate must be positive and --max-length above 16")
        }
        if let maxSteps, maxSteps <= 0 { throw ValidationError("--max-steps must be positive") }
        if let chatTemplate { try ChatTemplateOption.validate(chatTemplate) }
        guard (0...0.5).contains(valFraction) else { throw ValidationError("--val-fraction: expected a number from 0 to 0.5") }
    }

    func run() throws {
        let logger = LoggingSetup.logger("coachspool.train")
        var job = TrainingJob(method: method, baseModel: baseModel, outDirectory: URL(fileURLWithPath: out))
        job.export = export.map { URL(fileURLWithPath: $0) }
        job.validationFraction = valFraction
        job.hyperparameters.loraR = loraR
        job.hyperparameters.loraAlpha = loraAlpha
        job.hyperparameters.loraDropout = loraDropout
        job.hyperparameters.targetModules = targetModules?.split(separator: ",").map(String.init)
        job.hyperparameters.epochs = epochs
        job.hyperparameters.maxSteps = maxSteps
        job.hyperparameters.learningRate = learningRate
        job.hyperparameters.batchSize = batchSize
        job.hyperparameters.seed = seed
        job.hyperparameters.maxLength = maxLength
        job.chatTemplate = chatTemplate
        job.merge = merge
        let connect = { try openConnection(application: "coachspool-train") }
        let result = try job.run(connect: connect, logger: logger) { print($0) }
        print(String(format: "training run %lld: validation loss %.4f (base model) → %.4f (adapter); %@",
                     result.runID, result.report.baselineEvalLoss, result.report.evalLoss, result.reportFile.path))
        guard eval else { return }
        var evaluation = AnswerEvaluation(runIDs: [result.runID])
        evaluation.baseModel = baseModel
        evaluation.chatTemplate = chatTemplate
        evaluation.rag = try KnowledgeBase.hasChunks(try connect())
        evaluation.judgeModel = JudgeSetting.model(nil)
        evaluation.outDirectory = URL(fileURLWithPath: out).appendingPathComponent("eval")
        let report = try evaluation.run(connect: connect) { print($0) }
        try TrainingReport.appendEvaluation(report.table, to: result.reportFile)
        print(report.table)
    }
}

extension TrainingJob.Method: ExpressibleByArgument {}
