import ArgumentParser
import CoachSpoolCore
import Foundation
import Knowledge
import Spool
import Stages

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Append interactions from JSON Lines files to the spool and queue them for the workers.",
        discussion: """
            Idempotent: a record's key is its `id` when given, else a hash of (session_id, timestamp, \
            user_input, ai_response); running the same file twice adds nothing.
            Exit status: 0 when every line was accepted (duplicates included), \
            \(IngestCommand.rejectedExitCode) when some lines were rejected (the valid ones are stored), \
            1 on any other error.
            """)

    static let rejectedExitCode: Int32 = 3

    @OptionGroup var common: CommonOptions

    @Option(help: "interactions (the seed's log lines), sessions (coaching_session objects) or documents (knowledge base: JSON Lines or a folder of .md/.txt files).")
    var format: IngestFormat = .interactions

    @Option(help: "Write each rejected line here as JSON: {file, line, error, raw}.")
    var rejects: String?

    @Option(help: "The mode of lines that have none: personal or university.")
    var defaultMode: Mode = .personal

    @Option(help: "--format documents: the language of documents that name none (a JSON line without \"language\", a file without a tag such as name.en.md); without it, the workers detect Swedish or English in the text.")
    var language: String?

    @Option(help: "Records per transaction.")
    var batchSize = IngestPipeline.defaultBatchSize

    @Option(help: "Threads that parse and store batches concurrently, each with its own connection.")
    var writers = IngestPipeline.defaultWriters

    @Option(help: "Seconds to keep retrying a batch (or the first connection) on new connections while the database is away: a restart, a failover to the standby of a multi-host URL. 0: fail at once.")
    var reconnectTimeout = Double(IngestPipeline.defaultReconnectPatience.components.seconds)

    @Argument(help: "Input files; - reads stdin. A folder: its .jsonl/.ndjson files (interactions, sessions) or its .md/.txt files (documents).")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one file, or - for stdin") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard writers > 0 else { throw ValidationError("--writers must be positive") }
        guard reconnectTimeout >= 0 else { throw ValidationError("--reconnect-timeout: expected seconds, 0 or more") }
        if language != nil, format != .documents {
            throw ValidationError("--language applies to --format documents; interactions and sessions carry a language field per line")
        }
        try checkLimit(language, InputLimits.language, "--language")
    }

    private var patience: Duration { .milliseconds(Int(reconnectTimeout * 1000)) }

    /// The connection of the command's own statements, kept across a failover (the writers of
    /// interactions have one each).
    private static func database(patience: Duration) -> ReconnectingConnection {
        ReconnectingConnection(
            connect: { try openConnection(application: "coachspool-ingest") }, patience: patience,
            logger: LoggingSetup.logger("coachspool.ingest"))
    }

    func run() async throws {
        let patience = patience
        guard let lineFormat = format.lineFormat else {
            let (files, rejectsPath, language) = (files, rejects, language)
            let total = try await Blocking.run {
                let database = Self.database(patience: patience)
                let rejects = try RejectFile(path: rejectsPath)
                defer { rejects.finish() }
                return try DocumentIngest(defaultLanguage: language).run(paths: files, on: database, rejects: rejects) {
                    print("\($0): stored \($1.stored), unchanged \($1.unchanged), rejected \($1.rejected)")
                }
            }
            if files.count > 1 {
                print("total: stored \(total.stored), unchanged \(total.unchanged), rejected \(total.rejected)")
            }
            if total.rejected > 0 { throw ExitCode(Self.rejectedExitCode) }
            return
        }
        let pipeline = IngestPipeline(
            parser: LineParser(format: lineFormat, defaultMode: defaultMode), batchSize: batchSize, writers: writers,
            reconnectPatience: patience, logger: LoggingSetup.logger("coachspool.ingest"))
        let files = try Self.expandingFolders(files)
        let rejectsPath = rejects
        let total = try await Blocking.run { () -> IngestSummary in
            try Self.database(patience: patience).run { try Migrator.requireSchema($0) }
            let rejectSink = try RejectFile(path: rejectsPath)
            var total = IngestSummary()
            for file in files {
                let summary = try ingest(file: file, pipeline: pipeline, rejectSink: rejectSink)
                print("\(file): accepted \(summary.accepted), duplicates \(summary.duplicates), rejected \(summary.rejected)")
                total += summary
            }
            rejectSink.finish()
            return total
        }
        if files.count > 1 {
            print("total: accepted \(total.accepted), duplicates \(total.duplicates), rejected \(total.rejected)")
        }
        if total.rejected > 0 { throw ExitCode(Self.rejectedExitCode) }
    }

    /// A folder stands for the JSON Lines files in it and below it (`.jsonl`, `.ndjson`), in
    /// path order: a year of logs kept as one file per day is one argument.
    static func expandingFolders(_ paths: [String]) throws -> [String] {
        try paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                return [path]
            }
            let root = URL(fileURLWithPath: path)
            guard let enumerator = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
            else {
                throw CoachSpoolError(.io, "cannot read the folder", file: path)
            }
            // Regular files only (a folder named x.jsonl is not one); hidden ones (.git) skipped.
            let files = enumerator.compactMap { $0 as? URL }
                .filter { ($0.pathExtension == "jsonl" || $0.pathExtension == "ndjson") && (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
                .map(\.path)
                .sorted()
            guard !files.isEmpty else {
                throw CoachSpoolError(.io, "a folder without .jsonl or .ndjson files (give the files, or --format documents for .md/.txt)", file: path)
            }
            return files
        }
    }

    private func ingest(file: String, pipeline: IngestPipeline, rejectSink: RejectFile) throws -> IngestSummary {
        let handle: FileHandle
        var size = 0
        if file == "-" {
            handle = .standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: file) else {
                throw CoachSpoolError(.io, "cannot open the file (missing, or no permission)", file: file)
            }
            handle = opened
            size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        }
        defer { if file != "-" { try? handle.close() } }
        var reader = LineReader(handle: handle, maxLineBytes: InputLimits.lineBytes)
        let progress = Progress(file: file, totalBytes: size)
        let summary = try pipeline.run(
            reader: &reader, origin: file == "-" ? "<stdin>" : file,
            connect: { try openConnection(application: "coachspool-ingest") },
            onReject: { error, raw in try rejectSink.reject(file: file, error: error, raw: raw) },
            onProgress: progress.update)
        progress.finish()
        return summary
    }
}

enum IngestFormat: String, ExpressibleByArgument, CaseIterable {
    case interactions, sessions, documents

    /// The line format of interaction inputs; documents take their own path.
    var lineFormat: InputFormat? { InputFormat(rawValue: rawValue) }
}

extension Mode: ExpressibleByArgument {}

/// A progress line on stderr when it is a terminal, refreshed at most twice a second.
final class Progress {
    private let file: String
    private let totalBytes: Int
    private let enabled = isatty(2) == 1
    private var last = Date.distantPast
    private let started = Date()

    init(file: String, totalBytes: Int) {
        self.file = file
        self.totalBytes = totalBytes
    }

    func update(_ summary: IngestSummary, bytesRead: Int) {
        guard enabled, Date().timeIntervalSince(last) > 0.5 else { return }
        last = Date()
        let rate = Double(summary.lines) / max(0.001, Date().timeIntervalSince(started))
        let percent = totalBytes > 0 ? " \(min(100, bytesRead * 100 / totalBytes))%" : ""
        FileHandle.standardError.write(Data(
            "\r\(file):\(percent) \(summary.lines) lines, \(summary.accepted) accepted, \(summary.duplicates) duplicates, \(summary.rejected) rejected (\(Int(rate)) lines/s)   ".utf8))
    }

    func finish() {
        if enabled, last != .distantPast { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
