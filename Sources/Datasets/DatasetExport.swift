import CoachSpoolCore
import Crypto
import Foundation
import LibPQ
import Spool
import Stages

/// The export proper: stream, deduplicate, validate, split, write, summarise.
public struct DatasetExport: Sendable {
    public struct Cost: Sendable {
        public var epochs: Int
        public var pricePer1KTokens: Double

        public init(epochs: Int, pricePer1KTokens: Double) {
            self.epochs = epochs
            self.pricePer1KTokens = pricePer1KTokens
        }
    }

    public let format: DatasetFormat
    public let directory: URL
    public let split: DatasetSplit
    public let validator: ChatFormatValidator
    public let cost: Cost

    public init(format: DatasetFormat, directory: URL, split: DatasetSplit, validator: ChatFormatValidator, cost: Cost) {
        self.format = format
        self.directory = directory
        self.split = split
        self.validator = validator
        self.cost = cost
    }

    public struct Result: Sendable {
        public var trainExamples: Int
        /// The keys of the conversations in train.jsonl (also written to `trainConversationsFile`).
        public var trainConversations: [String]
        /// The keys of the conversations in validation.jsonl (also written to `validationConversationsFile`).
        public var validationConversations: [String]
        public var summaryLine: String
        /// Where every ingested interaction went (the manifest's `not_exported`).
        public var accounting: ExportAccounting
        /// The export's id in `coachspool.exports`, when it was recorded there.
        public var exportID: Int64?
    }

    /// The conversation keys of the train split, one per line: a training run's lineage (keys
    /// only, no text), read by `coachspool train --export`.
    public static let trainConversationsFile = "train_conversations.txt"
    /// The same for the validation split: the held-out conversations `coachspool eval answers`
    /// asks its questions from.
    public static let validationConversationsFile = "validation_conversations.txt"

    /// Exports the examples of `version` (the latest built when nil) that pass `filter`.
    /// Every file an export may write (the split files, lineage, manifest, trainer configs): an
    /// export owns its folder, and removes those of them it did not write this time, so that a
    /// format's leftovers (a `dataset_info.json` of the previous format) never stand beside it.
    static var ownedFiles: Set<String> {
        Set(DatasetSplit.Part.allCases.flatMap { ["\($0.rawValue).jsonl", ".\($0.rawValue).jsonl.partial"] })
            .union([trainConversationsFile, validationConversationsFile, manifestFile, "dataset_info.json", TrainerConfigs.llamaFactoryFile, TrainerConfigs.axolotlFile])
    }

    static let manifestFile = DatasetManifest.fileName

    /// Creates the folder, or accepts it when it is empty or an earlier export of ours (only our
    /// files, a manifest among them); refuses a folder with anything else in it.
    private func claimFolder() throws {
        try OutputFolder.create(directory, option: "--out")  // before any work: a bad path fails at once
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        guard !entries.isEmpty else { return }
        let foreign = entries.filter { !Self.ownedFiles.contains($0) }.sorted()
        // Ours: a finished export (its manifest), or the partial files of one that was interrupted.
        let ours = entries.contains(Self.manifestFile) || entries.allSatisfy { $0.hasSuffix(".partial") }
        guard foreign.isEmpty, ours else {
            throw CoachSpoolError(.io, """
                --out: this folder holds files that are not a CoachSpool export (\(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", …" : "")); \
                an export owns its folder: choose a new or empty one
                """, file: directory.path)
        }
    }

    /// Reads on `conn` (a standby will do); records the export (`ExportRecords`) on `recordOn`,
    /// a primary, before the files are put in place, so that no export on disk is unrecorded.
    public func run(
        version: String?, filter: (_ version: String) -> DatasetReader.Filter, on conn: PGConnection, recordOn recorder: PGConnection?
    ) throws -> Result {
        try claimFolder()
        guard let version = try version ?? DatasetReader.latestVersion(conn) else {
            let pending = try Self.pendingJobs(conn)
            throw CoachSpoolError(.tooFewExamples, pending > 0
                ? "no examples have been built yet: \(pending) interactions and conversations are still waiting for the workers (run `coachspool work`, or wait)"
                : "no examples have been built yet: run `coachspool work` after ingesting, and grant training consent (`coachspool consent grant`)")
        }
        return try export(DatasetReader(source: format.source, filter: filter(version)), on: conn, recordOn: recorder)
    }

    /// One record of a row as the export checked it: the cookbook's verdict on its openai
    /// line and, when valid, the line to write (newline included) and, for formats that expand
    /// conversations, its digest (equal records of different conversations are written once).
    struct CheckedRecord: Sendable {
        var verdict: ChatFormatValidator.Result
        var line: [UInt8]
        var digest: Data?
    }

    /// The records `format` makes of `row`, each checked on the bytes that would be uploaded.
    static func check(_ row: DatasetReader.Row, format: DatasetFormat, validator: ChatFormatValidator) -> [CheckedRecord] {
        var chat = JSONWriter()
        return row.record.records(for: format).map { record in
            chat.clear()
            DatasetRecord.conversation(messages: record.chatForm).write(as: .openai, into: &chat)
            // A stored example written whole (not expanded into several records) has its token
            // count stored by the conversation stage: not counted again.
            let verdict = validator.validate(line: chat.bytes, knownTokens: format.expandsConversations ? nil : row.storedTokens)
            guard verdict.isValid else { return CheckedRecord(verdict: verdict, line: [], digest: nil) }
            // An openai line is the very bytes just checked; other formats render the record.
            if format != .openai {
                chat.clear()
                record.write(as: format, into: &chat)
            }
            chat.newline()
            return CheckedRecord(
                verdict: verdict, line: chat.bytes, digest: format.expandsConversations ? Data(SHA256.hash(data: chat.bytes)) : nil)
        }
    }

    /// Jobs that prepare interactions or build conversations, not yet done (ready or running).
    /// Interactions and conversations whose jobs are not done (a batch job counts its members).
    static func pendingJobs(_ conn: PGConnection) throws -> Int {
        try conn.query("""
            SELECT coalesce(sum(CASE WHEN j.kind = 'interaction_batch' THEN cardinality(b.interaction_ids) ELSE 1 END), 0)::bigint
              FROM coachspool.jobs j
              LEFT JOIN coachspool.interaction_batches b ON j.kind = 'interaction_batch' AND b.id = j.source_id
             WHERE j.kind IN ('interaction', 'interaction_batch', 'conversation') AND j.state <> 'dead'
            """).scalar(Int.self)
    }

    private func export(_ reader: DatasetReader, on conn: PGConnection, recordOn recorder: PGConnection?) throws -> Result {
        var files = [DatasetSplit.Part: DatasetFile]()
        for part in DatasetSplit.Part.allCases {
            files[part] = try DatasetFile(url: directory.appendingPathComponent(".\(part.rawValue).jsonl.partial"))
        }
        defer { files.values.forEach { $0.discard() } }
        var summary = ExportSummary()
        var progress = ExportProgress()
        // Expanded records of different conversations can be equal (a shared first exchange).
        var expandedSeen = Set<Data>()
        var conversations: [DatasetSplit.Part: [String]] = [.train: [], .validation: []]
        var accounting = ExportAccounting()
        let (format, filter, validator) = (self.format, reader.filter, self.validator)
        try reader.forEachPage(conn, afterLast: { conn in
            accounting = try ExportAccounting.count(
                conn, format: format, filter: filter, exportedKeys: conversations[.train]! + conversations[.validation]!)
        }) { rows in
            // What each row's records are is the row's alone (rendered, checked, hashed): done
            // on several threads; what depends on the rows before (duplicates, the split's
            // order, the files, the totals) below, in order.
            let checked = try ParallelMap.map(rows) { row in row.isDuplicate ? [] : Self.check(row, format: format, validator: validator) }
            for (row, records) in zip(rows, checked) {
                progress.tick()
                if row.isDuplicate {
                    summary.excluded("duplicate")
                    continue
                }
                for record in records {
                    guard record.verdict.isValid, let tokens = record.verdict.tokens else {
                        for reason in record.verdict.reasons.map(\.rawValue).sorted() { summary.excluded(reason) }
                        continue
                    }
                    if let digest = record.digest, !expandedSeen.insert(digest).inserted {
                        summary.excluded("duplicate")
                        continue
                    }
                    let part = split.part(forConversation: row.conversation)
                    if conversations[part]!.last != row.conversation { conversations[part]!.append(row.conversation) }
                    try files[part]!.write(record.line)
                    summary.add(
                        part: part, conversation: row.conversation, mode: row.mode, tokens: tokens, firstAt: row.firstAt, lastAt: row.lastAt,
                        fromCorrection: row.fromReview)
                }
            }
        }
        progress.finish()
        let train = summary.examples[.train] ?? 0
        let minimum = format.minimumTrainExamples
        guard train >= minimum.count else {
            let excluded = summary.excluded.isEmpty ? "none" : summary.excluded.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let waiting = accounting.waiting == 0 ? "" : """
                ; \(accounting.waiting) interactions are still being processed (\(accounting[.ready]) ready, \
                \(accounting[.running]) running): run `coachspool work` or wait, then export again
                """
            let consent = accounting[.noTrainingConsent] == 0 ? "" : """
                ; \(accounting[.noTrainingConsent]) interactions have no training consent: `coachspool consent grant USER \
                --purpose training`, then `coachspool work`
                """
            throw CoachSpoolError(.tooFewExamples, """
                only \(train) valid \(format.rawValue) examples for training (\(summary.totalExamples) in all, excluded: \(excluded)); \
                \(minimum.rule): nothing was written\(waiting)\(consent). \(accounting.summaryLine)
                """)
        }
        let validation = summary.examples[.validation] ?? 0
        let exportID = try recorder.map { recorder in
            try ExportRecords.record(recorder, .init(
                format: format.rawValue, pipelineVersion: reader.filter.version, outDirectory: directory.standardizedFileURL.path,
                trainExamples: train, validationExamples: validation, conversations: conversations[.train]! + conversations[.validation]!))
        }
        var digests: [DatasetSplit.Part: String] = [:]
        for part in DatasetSplit.Part.allCases {
            digests[part] = try files[part]!.commit(as: directory.appendingPathComponent("\(part.rawValue).jsonl"))
        }
        for (part, file) in [(DatasetSplit.Part.train, Self.trainConversationsFile), (.validation, Self.validationConversationsFile)] {
            try Data(conversations[part]!.map { $0 + "\n" }.joined().utf8).write(to: directory.appendingPathComponent(file), options: .atomic)
        }
        try manifest(summary, filter: reader.filter, digests: digests, accounting: accounting).encoded()
            .write(to: directory.appendingPathComponent(Self.manifestFile), options: .atomic)
        if let info = datasetInfo {
            try write(info, to: "dataset_info.json")
            try TrainerConfigs.llamaFactory(format: format).write(to: directory.appendingPathComponent(TrainerConfigs.llamaFactoryFile), atomically: true, encoding: .utf8)
        }
        if format == .openai {
            try TrainerConfigs.axolotl.write(to: directory.appendingPathComponent(TrainerConfigs.axolotlFile), atomically: true, encoding: .utf8)
        }
        let written: Set<String> = Set(DatasetSplit.Part.allCases.map { "\($0.rawValue).jsonl" })
            .union([Self.trainConversationsFile, Self.validationConversationsFile, Self.manifestFile])
            .union(datasetInfo == nil ? [] : ["dataset_info.json", TrainerConfigs.llamaFactoryFile])
            .union(format == .openai ? [TrainerConfigs.axolotlFile] : [])
        for stale in Self.ownedFiles.subtracting(written) {
            let url = directory.appendingPathComponent(stale)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            do {
                try FileManager.default.removeItem(at: url)
            } catch {
                throw CoachSpoolError(.io, "--out: cannot remove the earlier export's \(stale), which no longer matches", file: directory.path)
            }
        }
        return Result(
            trainExamples: train, trainConversations: conversations[.train]!, validationConversations: conversations[.validation]!, summaryLine: """
            \(format.rawValue): \(train) train + \(validation) validation examples, \(summary.totalTokens) tokens, \
            excluded \(summary.totalExcluded); \(directory.path)\(exportID.map { " (export \($0))" } ?? "")
            \(accounting.summaryLine)
            """, accounting: accounting, exportID: exportID)
    }

    private func manifest(
        _ summary: ExportSummary, filter: DatasetReader.Filter, digests: [DatasetSplit.Part: String], accounting: ExportAccounting
    ) -> DatasetManifest {
        let trainTokens = summary.tokens[.train] ?? 0
        var files: [String: DatasetManifest.File] = [:]
        for part in DatasetSplit.Part.allCases {
            files["\(part.rawValue).jsonl"] = DatasetManifest.File(
                examples: summary.examples[part] ?? 0, conversations: summary.conversations[part] ?? 0,
                tokens: summary.tokens[part] ?? 0, sha256: digests[part]!)
        }
        let statistics = summary.tokenStatistics
        let usd = Double(trainTokens) * Double(cost.epochs) * cost.pricePer1KTokens / 1000
        let tokens = DatasetManifest.Tokens(
            total: summary.totalTokens, limit: validator.maxTokens,
            overLimit: summary.excluded[ChatFormatValidator.Reason.overTokenLimit.rawValue] ?? 0,
            counting: "cl100k_base, OpenAI cookbook formula",
            min: statistics?.min, median: statistics?.median, p95: statistics?.p95, max: statistics?.max)
        let costEstimate = DatasetManifest.CostEstimate(
            trainingTokens: trainTokens, epochs: cost.epochs, usdPer1kTokens: cost.pricePer1KTokens,
            billedTokens: trainTokens * cost.epochs, usd: (usd * 100).rounded() / 100)
        let timeRange = DatasetManifest.TimeRange(
            first: summary.firstAt.map { Self.iso(micros: $0) }, last: summary.lastAt.map { Self.iso(micros: $0) })
        let filters = DatasetManifest.Filters(mode: filter.mode?.rawValue, since: filter.since.map(Self.iso))
        let splitSettings = DatasetManifest.Split(by: "conversation", validationFraction: split.validationFraction, seed: split.seed)
        let excluded = DatasetManifest.ReasonCounts(total: summary.totalExcluded, byReason: summary.excluded)
        let interactions = DatasetManifest.Interactions(ingested: accounting.ingested, exported: accounting.exported)
        return DatasetManifest(
            format: format.rawValue, pipelineVersion: filter.version, filters: filters, split: splitSettings, files: files,
            examples: summary.totalExamples, conversations: summary.conversations.values.reduce(0, +),
            examplesByMode: summary.examplesByMode, fromCorrections: summary.fromCorrections, excluded: excluded, interactions: interactions,
            notExported: accounting.manifestNotExported, tokens: tokens, costEstimate: costEstimate, dataTimeRange: timeRange)
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
