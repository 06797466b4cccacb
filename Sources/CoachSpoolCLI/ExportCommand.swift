import ArgumentParser
import CoachSpoolCore
import Datasets
import Foundation
import LibPQ
import Spool
import Stages
import Tokenizers

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a fine-tuning dataset: train.jsonl, validation.jsonl and manifest.json.",
        discussion: """
            Only the conversations of users who granted training consent are exported \
            (`coachspool consent grant USER --purpose training`, or SQL coachspool.set_consent); \
            interactions without a user_id never are. The workers build the examples: run \
            `coachspool work` after ingesting, and again after a consent changes.

            Streams the examples the workers built (one snapshot, constant memory), keeps exact \
            duplicates once, runs OpenAI's format checks and the token limit on every example \
            (invalid ones are excluded and counted by reason), and splits by conversation with a \
            hash of the seed and the conversation, so a rerun writes byte-identical files. \
            manifest.json's "not_exported" counts, in the same snapshot, why each other ingested \
            interaction is not in the files (no user_id, no training consent, waiting for the \
            workers, quality filter by reason, ...): exported + not exported = ingested. Every \
            export is recorded in coachspool.exports with its conversations, so that erasing a \
            person names the export folders that still hold their text.

            Fails (exit 4, nothing written) with fewer valid training examples than the format's \
            consumer accepts: 10 for openai and openai-dpo (OpenAI), 2 for kto (TRL's KTO), 1 for \
            the others; warns under 50. trl-sft, sharegpt and alpaca write one example per trained \
            answer (rejected answers only as context). sharegpt and alpaca also get LLaMA-Factory's \
            dataset_info.json and llamafactory_sft.yaml (mask_history: true); openai gets \
            axolotl.yaml (message_field_training: weight).
            """)

    @Option(help: "openai | trl-sft | openai-dpo | trl-dpo | kto | sharegpt | alpaca.")
    var format: DatasetFormat

    @Option(help: "Directory for the files (created if missing; existing files are replaced).")
    var out: String

    @Option(help: "Share of conversations in validation.jsonl (0 to 0.5).")
    var valFraction = DatasetSplit.defaultValidationFraction

    @Option(help: "Seed of the train/validation split.")
    var seed = "coachspool"

    @Option(help: "Examples over this many tokens (cl100k, the cookbook's count) are excluded.")
    var maxTokens = ChatFormatValidator.defaultMaxTokens

    @Option(help: "Only conversations whose last exchange is at or after this date or time (ISO 8601).")
    var since: String?

    @Option(help: "Only conversations of this coach mode: personal | university.")
    var coachMode: Mode?

    /// The old spelling of --coach-mode: `--mode` ranks results in search, rag and eval.
    @Option(name: .customLong("mode"), help: .hidden)
    var deprecatedMode: Mode?

    @Option(help: "The examples' version (see dataset_overview); default: the most recently built.")
    var pipelineVersion: String?

    @Option(help: "Epochs in the cost estimate.")
    var epochs = 3

    @Option(name: .customLong("price-per-1k-tokens"), help: "USD per 1,000 training tokens in the cost estimate (the seed's figure).")
    var pricePer1KTokens = 0.008

    @OptionGroup var common: CommonOptions
    @OptionGroup var read: ReadOptions

    func validate() throws {
        if deprecatedMode != nil {
            guard coachMode == nil else { throw ValidationError("--mode is the old spelling of --coach-mode: give one of them") }
            printError("warning: export --mode is deprecated: use --coach-mode (--mode is the ranking mode of search, rag and eval)")
        }
        guard (0...0.5).contains(valFraction) else { throw ValidationError("--val-fraction: expected a number from 0 to 0.5") }
        guard maxTokens > 0 else { throw ValidationError("--max-tokens: expected a positive number") }
        guard epochs > 0 else { throw ValidationError("--epochs: expected a positive number") }
        guard pricePer1KTokens >= 0 else { throw ValidationError("--price-per-1k-tokens: expected a non-negative number") }
        if let since, ISOTimestamp.parseMicros(since.count == 10 ? since + "T00:00:00Z" : since) == nil {
            throw ValidationError("--since: expected an ISO 8601 date (2025-10-01) or time (2025-10-01T08:00:00Z)")
        }
    }

    func run() async throws {
        let validator = ChatFormatValidator(counter: ChatTokenCounter(encoding: try ModelFiles.cl100k()), maxTokens: maxTokens)
        let sinceDate = since.flatMap { ISOTimestamp.parseMicros($0.count == 10 ? $0 + "T00:00:00Z" : $0) }
            .map { Date(timeIntervalSince1970: Double($0) / 1_000_000) }
        let export = DatasetExport(
            format: format, directory: URL(fileURLWithPath: out), split: DatasetSplit(validationFraction: valFraction, seed: seed),
            validator: validator, cost: .init(epochs: epochs, pricePer1KTokens: pricePer1KTokens))
        let (mode, requested, read, format) = (coachMode ?? deprecatedMode, pipelineVersion, read, format)
        let manifest = try await Blocking.run {
            // The record goes to the primary even when a replica serves the reads: an export
            // nobody recorded is one erasure could not name. Checked before anything is read.
            let recorder: PGConnection
            do {
                recorder = try openConnection(application: "coachspool-export")
            } catch let error as PGError where error.isConnectionProblem {
                throw CoachSpoolError(.configuration, """
                    the primary (DATABASE_URL) is unreachable, and every export is recorded there (coachspool.exports) \
                    so that erasing a person can name the folders holding their text; nothing was read or written: \
                    export again when the primary is back (--read-url only moves the reading)
                    """, underlying: error)
            }
            return try export.run(version: requested, filter: { .init(version: $0, mode: mode, since: sinceDate) },
                                  on: try read.connect(application: "coachspool-export"), recordOn: recorder)
        }
        print(manifest.summaryLine)
        let recommended = format.recommendedTrainExamples
        if manifest.trainExamples < recommended.count {
            printError("warning: \(manifest.trainExamples) training examples; \(recommended.rule)")
        }
    }
}

extension DatasetFormat: ExpressibleByArgument {}
