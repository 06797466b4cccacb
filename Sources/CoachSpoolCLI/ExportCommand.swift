import ArgumentParser
import Crypto
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
            Streams the examples the workers built (one snapshot, constant memory), keeps exact \
            duplicates once, runs OpenAI's format checks and the token limit on every example \
            (invalid ones are excluded and counted by reason), and splits by conversation with a \
            hash of the seed and the conversation, so a rerun writes byte-identical files. \
            Fails (exit 4, nothing written) when fewer than 10 valid examples are left for \
            training; warns under 50. trl-sft, sharegpt and alpaca write one example per trained \
            answer (rejected answers only as context). sharegpt and alpaca also get LLaMA-Factory's \
            dataset_info.json and llamafactory_sft.yaml (mask_history: true); openai gets \
            axolotl.yaml (message_field_training: weight).
            """)

    @Option(help: "openai | trl-sft | openai-dpo | trl-dpo | kto | sharegpt | alpaca.")
    var format: DatasetFormat

    @Option(help: "Directory for the files (created if missing; existing files are replaced).")
    var out: String

    @Option(help: "Share of conversations in validation.jsonl (0 to 0.5).")
    var valFraction = 0.1

    @Option(help: "Seed of the train/validation split.")
    var seed = "coachspool"

    @Option(help: "Examples over this many tokens (cl100k, the cookbook's count) are excluded.")
    var maxTokens = ChatFormatValidator.defaultMaxTokens

    @Option(help: "Only conversations whose last exchange is at or after this date or time (ISO 8601).")
    var since: String?

    @Option(help: "Only this mode: personal | university.")
    var mode: Mode?

    @Option(help: "The examples' version (see dataset_overview); default: the most recently built.")
    var pipelineVersion: String?

    @Option(help: "Epochs in the cost estimate.")
    var epochs = 3

    @Option(name: .customLong("price-per-1k-tokens"), help: "USD per 1,000 training tokens in the cost estimate (the seed's figure).")
    var pricePer1KTokens = 0.008

    @OptionGroup var common: CommonOptions

    func validate() throws {
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
        let (mode, requested) = (self.mode, pipelineVersion)
        let manifest: DatasetExport.Result
        do {
            manifest = try await onDedicatedThread {
            let conn = try openConnection(application: "coachspool-export")
            guard let version = try requested ?? DatasetReader.latestVersion(conn) else {
                throw ExportError("no examples have been built yet: run `coachspool work` after ingesting (and check consent)")
            }
            return try export.run(DatasetReader(source: export.format.source, filter: .init(version: version, mode: mode, since: sinceDate)), on: conn)
            }
        } catch let error as ExportError {
            printError("error: \(error)")
            throw ExitCode(ExportError.exitCode)
        }
        print(manifest.summaryLine)
        if manifest.trainExamples < DatasetExport.recommendedExamples {
            printError("warning: \(manifest.trainExamples) training examples; OpenAI recommends at least \(DatasetExport.recommendedExamples)")
        }
    }
}

extension DatasetFormat: ExpressibleByArgument {}

/// An export that cannot produce a usable dataset; exit status 4.
struct ExportError: Error, CustomStringConvertible {
    static let exitCode: Int32 = 4
    var description: String
    init(_ description: String) { self.description = description }
}

/// The export proper: stream, deduplicate, validate, split, write, summarise.
struct DatasetExport: Sendable {
    /// OpenAI's minimum and recommended number of training examples.
    static let minimumExamples = 10
    static let recommendedExamples = 50

    struct Cost: Sendable {
        var epochs: Int
        var pricePer1KTokens: Double
    }

    let format: DatasetFormat
    let directory: URL
    let split: DatasetSplit
    let validator: ChatFormatValidator
    let cost: Cost

    struct Result: Sendable {
        var trainExamples: Int
        /// The keys of the conversations in train.jsonl (also written to `trainConversationsFile`).
        var trainConversations: [String]
        var summaryLine: String
    }

    /// The conversation keys of the train split, one per line: a training run's lineage (keys
    /// only, no text), read by `coachspool train --export`.
    static let trainConversationsFile = "train_conversations.txt"

    func run(_ reader: DatasetReader, on conn: PGConnection) throws -> Result {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var files = [DatasetSplit.Part: DatasetFile]()
        for part in DatasetSplit.Part.allCases {
            files[part] = try DatasetFile(url: directory.appendingPathComponent(".\(part.rawValue).jsonl.partial"))
        }
        defer { files.values.forEach { $0.discard() } }
        var summary = ExportSummary()
        var progress = ExportProgress()
        var chat = JSONWriter()
        // Expanded records of different conversations can be equal (a shared first exchange).
        var expandedSeen = Set<Data>()
        var trainConversations: [String] = []
        try reader.forEach(conn) { row in
            progress.tick()
            if row.isDuplicate { return summary.excluded("duplicate") }
            for record in row.record.records(for: format) {
                chat.clear()
                DatasetRecord.conversation(messages: record.chatForm).write(as: .openai, into: &chat)
                let verdict = validator.validate(line: chat.bytes)
                guard verdict.isValid, let tokens = verdict.tokens else {
                    for reason in verdict.reasons.map(\.rawValue).sorted() { summary.excluded(reason) }
                    continue
                }
                // An openai line is the very bytes just checked; other formats render the record.
                if format != .openai {
                    chat.clear()
                    record.write(as: format, into: &chat)
                }
                chat.newline()
                if format.expandsConversations, !expandedSeen.insert(Data(SHA256.hash(data: chat.bytes))).inserted {
                    summary.excluded("duplicate")
                    continue
                }
                let part = split.part(forConversation: row.conversation)
                if part == .train, trainConversations.last != row.conversation { trainConversations.append(row.conversation) }
                try files[part]!.write(chat.bytes)
                summary.add(part: part, conversation: row.conversation, mode: row.mode, tokens: tokens, firstAt: row.firstAt, lastAt: row.lastAt)
            }
        }
        progress.finish()
        let train = summary.examples[.train] ?? 0
        guard train >= Self.minimumExamples else {
            throw ExportError("""
                only \(train) valid \(format.rawValue) examples for training (\(summary.totalExamples) in all, \
                excluded: \(summary.excluded.isEmpty ? "none" : summary.excluded.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))); \
                OpenAI needs at least \(Self.minimumExamples): nothing was written
                """)
        }
        var digests: [DatasetSplit.Part: String] = [:]
        for part in DatasetSplit.Part.allCases {
            digests[part] = try files[part]!.commit(as: directory.appendingPathComponent("\(part.rawValue).jsonl"))
        }
        try Data(trainConversations.map { $0 + "\n" }.joined().utf8)
            .write(to: directory.appendingPathComponent(Self.trainConversationsFile), options: .atomic)
        try write(manifest(summary, filter: reader.filter, digests: digests), to: "manifest.json")
        if let info = datasetInfo {
            try write(info, to: "dataset_info.json")
            try TrainerConfigs.llamaFactory(format: format).write(to: directory.appendingPathComponent(TrainerConfigs.llamaFactoryFile), atomically: true, encoding: .utf8)
        }
        if format == .openai {
            try TrainerConfigs.axolotl.write(to: directory.appendingPathComponent(TrainerConfigs.axolotlFile), atomically: true, encoding: .utf8)
        }
        let (validation, tokens) = (summary.examples[.validation] ?? 0, summary.totalTokens)
        return Result(trainExamples: train, trainConversations: trainConversations, summaryLine: """
            \(format.rawValue): \(train) train + \(validation) validation examples, \(tokens) tokens, \
            excluded \(summary.totalExcluded); \(directory.path)
            """)
    }

    private func manifest(_ summary: ExportSummary, filter: DatasetReader.Filter, digests: [DatasetSplit.Part: String]) -> [String: Any] {
        let trainTokens = summary.tokens[.train] ?? 0
        var files: [String: Any] = [:]
        for part in DatasetSplit.Part.allCases {
            files["\(part.rawValue).jsonl"] = [
                "examples": summary.examples[part] ?? 0, "conversations": summary.conversations[part] ?? 0,
                "tokens": summary.tokens[part] ?? 0, "sha256": digests[part]!,
            ]
        }
        var tokens: [String: Any] = ["total": summary.totalTokens, "limit": validator.maxTokens, "over_limit": summary.excluded[ChatFormatValidator.Reason.overTokenLimit.rawValue] ?? 0,
                                     "counting": "cl100k_base, OpenAI cookbook formula"]
        if let statistics = summary.tokenStatistics {
            tokens.merge(["min": statistics.min, "median": statistics.median, "p95": statistics.p95, "max": statistics.max]) { $1 }
        }
        let usd = Double(trainTokens) * Double(cost.epochs) * cost.pricePer1KTokens / 1000
        return [
            "format": format.rawValue,
            "pipeline_version": filter.version,
            "filters": ["mode": filter.mode?.rawValue as Any? ?? NSNull(), "since": filter.since.map(Self.iso) as Any? ?? NSNull()],
            "split": ["by": "conversation", "validation_fraction": split.validationFraction, "seed": split.seed],
            "files": files,
            "examples": summary.totalExamples,
            "conversations": summary.conversations.values.reduce(0, +),
            "examples_by_mode": summary.examplesByMode,
            "excluded": ["total": summary.totalExcluded, "by_reason": summary.excluded],
            "tokens": tokens,
            "cost_estimate": [
                "training_tokens": trainTokens, "epochs": cost.epochs, "usd_per_1k_tokens": cost.pricePer1KTokens,
                "billed_tokens": trainTokens * cost.epochs, "usd": (usd * 100).rounded() / 100,
            ],
            "data_time_range": [
                "first": summary.firstAt.map { Self.iso(micros: $0) } as Any? ?? NSNull(),
                "last": summary.lastAt.map { Self.iso(micros: $0) } as Any? ?? NSNull(),
            ],
        ]
    }

    /// LLaMA-Factory's dataset registry entries for the two files.
    private var datasetInfo: [String: Any]? {
        let entry: [String: Any]
        switch format {
        case .sharegpt:
            entry = [
                "formatting": "sharegpt", "columns": ["messages": "conversations", "system": "system"],
                "tags": ["role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"],
            ]
        case .alpaca:
            entry = [
                "formatting": "alpaca",
                "columns": ["prompt": "instruction", "query": "input", "response": "output", "system": "system", "history": "history"],
            ]
        case .openai, .trlSFT, .openaiDPO, .trlDPO, .kto:
            return nil
        }
        return Dictionary(uniqueKeysWithValues: DatasetSplit.Part.allCases.map { part in
            ("coachspool_\(part.rawValue)", entry.merging(["file_name": "\(part.rawValue).jsonl"]) { $1 })
        })
    }

    private func write(_ object: [String: Any], to name: String) throws {
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(UInt8(ascii: "\n"))
        try data.write(to: directory.appendingPathComponent(name), options: .atomic)
    }

    private static func iso(micros: Int64) -> String {
        iso(Date(timeIntervalSince1970: Double(micros) / 1_000_000))
    }

    private static func iso(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }
}

/// One output file, written under a temporary name with its SHA-256 computed on the way, and
/// renamed into place only when the export succeeds.
final class DatasetFile {
    private let url: URL
    private let handle: FileHandle
    private var hasher = SHA256()
    private var buffer: [UInt8] = []

    init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ExportError("cannot create \(url.path)")
        }
        self.url = url
        handle = try FileHandle(forWritingTo: url)
    }

    func write(_ bytes: [UInt8]) throws {
        hasher.update(data: bytes)
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes the rest, renames the file to `destination`, and returns its SHA-256 (hex).
    func commit(as destination: URL) throws -> String {
        try flush()
        try handle.synchronize()
        try handle.close()
        if FileManager.default.fileExists(atPath: destination.path) { try FileManager.default.removeItem(at: destination) }
        try FileManager.default.moveItem(at: url, to: destination)
        return Array(hasher.finalize()).hexString
    }

    /// Removes the temporary file if it was not committed.
    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }

    private func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A count on stderr while exporting, when stderr is a terminal.
private struct ExportProgress {
    private let enabled = isatty(2) == 1
    private var rows = 0
    private var lastPrint = Date()

    mutating func tick() {
        rows += 1
        guard enabled, rows % 1000 == 0, Date().timeIntervalSince(lastPrint) > 0.5 else { return }
        lastPrint = Date()
        FileHandle.standardError.write(Data("\rread \(rows) records".utf8))
    }

    func finish() {
        if enabled, rows >= 1000 { FileHandle.standardError.write(Data("\rread \(rows) records\n".utf8)) }
    }
}
