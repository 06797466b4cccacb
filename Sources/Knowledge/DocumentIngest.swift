import CoachSpoolCore
import Foundation
import LibPQ
import Spool
import Stages

/// `coachspool ingest --format documents`: JSON Lines files and folders of `.md`/`.txt` files
/// into the knowledge base. Idempotent (same id and content: unchanged); a changed document is
/// queued for re-embedding. Bad lines and files are reported and skipped; valid ones are stored.
/// (Interactions take `IngestPipeline`: millions of lines, several writers. Documents are few
/// and large, and each is an upsert that may queue embedding work.)
public struct DocumentIngest: Sendable {
    /// Documents per transaction.
    public var batchSize = 200
    /// The language of documents that name none (a JSON line without `language`, a file without
    /// a tag such as `name.en.md`); nil: none, and the embed worker detects one in the text.
    public var defaultLanguage: String?

    public init(batchSize: Int = 200, defaultLanguage: String? = nil) {
        self.batchSize = batchSize
        self.defaultLanguage = defaultLanguage
    }

    public struct Summary: Sendable, Equatable {
        public var stored = 0
        public var unchanged = 0
        public var rejected = 0

        public static func += (lhs: inout Summary, rhs: Summary) {
            lhs.stored += rhs.stored
            lhs.unchanged += rhs.unchanged
            lhs.rejected += rhs.rejected
        }
    }

    /// Ingests each path (a JSON Lines file, `-` for stdin, or a folder); `onPath` gets each
    /// path's summary as it is done. Returns the total.
    public func run(
        paths: [String], on conn: ReconnectingConnection, rejects: RejectFile, onPath: (String, Summary) -> Void = { _, _ in }
    ) throws -> Summary {
        try conn.run { try Migrator.requireSchema($0) }
        var total = Summary()
        for path in paths {
            var isDirectory: ObjCBool = false
            let exists = path != "-" && FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let summary: Summary
            if exists && isDirectory.boolValue {
                summary = try ingestFolder(path, conn: conn, rejects: rejects)
            } else {
                summary = try ingestLines(path, conn: conn, rejects: rejects)
            }
            onPath(path, summary)
            total += summary
        }
        return total
    }

    private func ingestLines(_ path: String, conn: ReconnectingConnection, rejects: RejectFile) throws -> Summary {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw CoachSpoolError(.io, "cannot open the file (missing, a folder without documents, or no permission)", file: path)
            }
            data = contents
        }
        var summary = Summary()
        var batch: [DocumentInput] = []
        for (index, rawLine) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if index == 0, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                let record = try DocumentRecord.parse(line: line, number: index + 1)
                batch.append(input(record, origin: "\(path == "-" ? "<stdin>" : path):\(index + 1)"))
            } catch {
                summary.rejected += 1
                try rejects.reject(file: path, error: error, raw: ArraySlice(line))
            }
            if batch.count >= batchSize { summary += try Self.store(&batch, conn: conn) }
        }
        summary += try Self.store(&batch, conn: conn)
        return summary
    }

    private func ingestFolder(_ folder: String, conn: ReconnectingConnection, rejects: RejectFile) throws -> Summary {
        let root = URL(fileURLWithPath: folder).standardizedFileURL
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else {
            throw CoachSpoolError(.io, "cannot read the folder", file: folder)
        }
        let files = enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".md") || $0.hasSuffix(".txt") }
            .sorted()
        guard !files.isEmpty else {
            throw CoachSpoolError(.io, "a folder without .md or .txt files (JSON Lines documents: give the .jsonl files)", file: folder)
        }
        var summary = Summary()
        var batch: [DocumentInput] = []
        for relative in files {
            let path = root.appendingPathComponent(relative).path
            // A file far over the limit is refused before it is read, not after.
            if let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int, size > InputLimits.documentText.maxBytes {
                summary.rejected += 1
                let problem = "longer than \(TextLimit.describe(InputLimits.documentText.maxBytes)) (UTF-8), the limit for this field"
                try rejects.reject(file: path, error: LineError(line: 1, field: "text", expected: problem), raw: [])
                continue
            }
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                summary.rejected += 1
                try rejects.reject(file: path, error: LineError(line: 1, field: nil, expected: "expected a UTF-8 text file"), raw: [])
                continue
            }
            guard text.contains(where: { !$0.isWhitespace }) else {
                summary.rejected += 1
                try rejects.reject(file: path, error: LineError(line: 1, field: nil, expected: "expected text, the file is empty"), raw: [])
                continue
            }
            let record = DocumentRecord.fromFile(relativePath: relative, contents: text)
            do {
                try record.checkLimits(line: 1)
            } catch {
                summary.rejected += 1
                try rejects.reject(file: path, error: error, raw: [])
                continue
            }
            batch.append(input(record, origin: path))
            if batch.count >= batchSize { summary += try Self.store(&batch, conn: conn) }
        }
        summary += try Self.store(&batch, conn: conn)
        return summary
    }

    /// The record to store: its own language (a JSON line's field, a file name's tag), else the
    /// run's default.
    private func input(_ record: DocumentRecord, origin: String) -> DocumentInput {
        var input = DocumentInput(record, origin: origin)
        input.language = record.language ?? defaultLanguage
        return input
    }

    /// One transaction per batch: a crash leaves whole batches, and a rerun completes the rest.
    /// A batch whose connection was lost runs again on a new one (an upsert of the same document
    /// is unchanged, so a lost answer to a commit counts it as unchanged).
    private static func store(_ batch: inout [DocumentInput], conn: ReconnectingConnection) throws -> Summary {
        guard !batch.isEmpty else { return Summary() }
        let documents = batch
        let summary = try conn.run { conn in
            var summary = Summary()
            try conn.transaction { conn in
                for document in documents {
                    if try KnowledgeBase.upsert(conn, document).changed { summary.stored += 1 } else { summary.unchanged += 1 }
                }
            }
            return summary
        }
        batch.removeAll()
        return summary
    }
}

extension DocumentInput {
    init(_ record: DocumentRecord, origin: String) {
        self.init(
            externalID: record.id, title: record.title, text: record.text, source: record.source,
            language: record.language, origin: origin)
    }
}
