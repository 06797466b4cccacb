import ArgumentParser
import Foundation
import LibPQ
import Spool
import Stages

/// `coachspool ingest --format documents`: JSON Lines files and folders of `.md`/`.txt` files
/// into the knowledge base. Idempotent (same id and content: unchanged); a changed document is
/// queued for re-embedding. Bad lines and files are reported and skipped; valid ones are stored.
struct DocumentIngest {
    var rejectsPath: String?
    /// Documents per transaction.
    var batchSize = 200

    struct Summary {
        var stored = 0
        var unchanged = 0
        var rejected = 0

        static func += (lhs: inout Summary, rhs: Summary) {
            lhs.stored += rhs.stored
            lhs.unchanged += rhs.unchanged
            lhs.rejected += rhs.rejected
        }
    }

    func run(paths: [String]) async throws -> Summary {
        let rejectsPath = rejectsPath
        let batchSize = batchSize
        return try await onDedicatedThread {
            let conn = try openConnection(application: "coachspool-ingest")
            try Migrator.requireSchema(conn)
            let rejects = try RejectSink(path: rejectsPath)
            defer { rejects.finish() }
            var total = Summary()
            for path in paths {
                var isDirectory: ObjCBool = false
                let exists = path != "-" && FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                let summary: Summary
                if exists && isDirectory.boolValue {
                    summary = try Self.ingestFolder(path, conn: conn, rejects: rejects, batchSize: batchSize)
                } else {
                    summary = try Self.ingestLines(path, conn: conn, rejects: rejects, batchSize: batchSize)
                }
                print("\(path): stored \(summary.stored), unchanged \(summary.unchanged), rejected \(summary.rejected)")
                total += summary
            }
            if paths.count > 1 {
                print("total: stored \(total.stored), unchanged \(total.unchanged), rejected \(total.rejected)")
            }
            return total
        }
    }

    private static func ingestLines(_ path: String, conn: PGConnection, rejects: RejectSink, batchSize: Int) throws -> Summary {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot open \(path)") }
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
                batch.append(DocumentInput(record, origin: "\(path == "-" ? "<stdin>" : path):\(index + 1)"))
            } catch {
                summary.rejected += 1
                try rejects.reject(file: path, error: error, raw: ArraySlice(line))
            }
            if batch.count >= batchSize { summary += try store(&batch, conn: conn) }
        }
        summary += try store(&batch, conn: conn)
        return summary
    }

    private static func ingestFolder(_ folder: String, conn: PGConnection, rejects: RejectSink, batchSize: Int) throws -> Summary {
        let root = URL(fileURLWithPath: folder).standardizedFileURL
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { throw ValidationError("cannot read \(folder)") }
        let files = enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".md") || $0.hasSuffix(".txt") }
            .sorted()
        var summary = Summary()
        var batch: [DocumentInput] = []
        for relative in files {
            let path = root.appendingPathComponent(relative).path
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
            batch.append(DocumentInput(DocumentRecord.fromFile(relativePath: relative, contents: text), origin: path))
            if batch.count >= batchSize { summary += try store(&batch, conn: conn) }
        }
        summary += try store(&batch, conn: conn)
        return summary
    }

    /// One transaction per batch: a crash leaves whole batches, and a rerun completes the rest.
    private static func store(_ batch: inout [DocumentInput], conn: PGConnection) throws -> Summary {
        guard !batch.isEmpty else { return Summary() }
        var summary = Summary()
        try conn.transaction { conn in
            for document in batch {
                if try KnowledgeBase.upsert(conn, document).changed { summary.stored += 1 } else { summary.unchanged += 1 }
            }
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
