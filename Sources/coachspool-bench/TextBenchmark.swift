import Dispatch
import Foundation
import Stages
import Tokenizers

/// `coachspool-bench text`: throughput of the text stages on the peers' 10 MB corpus, with
/// the peers' timing rule (one warm-up, then the median of `runs`; MB = 10^6 UTF-8 bytes).
/// Prints one JSON object (rows like the Python peers' result files) on stdout.
///
///     coachspool-bench text --corpus mixed_10mb.txt [--runs 3] [--threads 2]
///         [--tiktoken-ids ids.u32] [--langchain-chunks chunks.json]
///
/// `--tiktoken-ids` (little-endian UInt32 ids of the whole corpus from tiktoken) and
/// `--langchain-chunks` (`{"500/50": [...], "1000/200": [...]}` from LangChain) make it check
/// that the measured output is identical to the peers' before reporting speed.
@main
enum BenchmarkMain {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let usage = "usage: coachspool-bench text --corpus FILE [options] | embed --inputs A.json,B.json --reference minilm_dev.json [options] | search [--vectors N --queries Q --k K]"
        guard let mode = arguments.first, ["text", "embed", "search"].contains(mode) else { fail(usage) }
        arguments.removeFirst()
        var options: [String: String] = [:]
        while arguments.count >= 2, arguments[0].hasPrefix("--") {
            options[String(arguments[0].dropFirst(2))] = arguments[1]
            arguments.removeFirst(2)
        }
        guard arguments.isEmpty else { fail(usage) }
        let modelsDirectory = ProcessInfo.processInfo.environment["COACHSPOOL_MODELS"] ?? ".coachspool/models"
        if mode == "search" {
            try SearchBenchmark(
                vectors: Int(options["vectors"] ?? "100000") ?? 100_000, queries: Int(options["queries"] ?? "200") ?? 200,
                k: Int(options["k"] ?? "10") ?? 10
            ).run()
            return
        }
        if mode == "embed" {
            guard let inputs = options["inputs"], let reference = options["reference"] else { fail(usage) }
            try EmbedBenchmark(
                inputs: inputs.split(separator: ",").map(String.init), reference: reference,
                batchSizes: (options["batch-sizes"] ?? "32,64").split(separator: ",").compactMap { Int($0) },
                threads: Int(options["threads"] ?? "2") ?? 2, runs: Int(options["runs"] ?? "3") ?? 3,
                modelsDirectory: modelsDirectory
            ).run()
            return
        }
        guard let corpusPath = options["corpus"] else { fail(usage) }
        // The Python peers read the corpus in text mode, which turns "\r\n" and "\r" into "\n"
        // (9,999,808 of its 10,000,000 bytes remain): measure the same text.
        let raw = try String(contentsOfFile: corpusPath, encoding: .utf8)
        let corpus = String(decoding: Array(raw.utf8).universalNewlines(), as: UTF8.self)
        try TextBenchmark(
            corpus: corpus,
            runs: Int(options["runs"] ?? "3") ?? 3, threads: Int(options["threads"] ?? "2") ?? 2,
            modelsDirectory: modelsDirectory,
            only: options["only"]
        ).run(tiktokenIDs: options["tiktoken-ids"], langchainChunks: options["langchain-chunks"])
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}

struct TextBenchmark {
    let corpus: String
    let runs: Int
    let threads: Int
    let encoding: CL100K
    let bytes: Int
    /// Measure only the rows whose stage starts with this (`--only chunk`).
    let only: String?

    init(corpus: String, runs: Int, threads: Int, modelsDirectory: String, only: String?) throws {
        self.only = only
        self.corpus = corpus
        self.runs = runs
        self.threads = threads
        self.encoding = try CL100K(modelsDirectory: modelsDirectory)
        self.bytes = corpus.utf8.count
    }

    struct Row: Encodable {
        var stage: String
        var what: String
        var median_s: Double
        var runs_s: [Double]
        var cpu_s: [Double]
        var MB_per_s: Double
    }

    func run(tiktokenIDs: String?, langchainChunks: String?) throws {
        var rows: [Row] = []
        var checks: [String: String] = [:]

        // Correctness on the whole corpus first: a fast wrong answer is not a result.
        let ids = encoding.encode(corpus)
        if let tiktokenIDs {
            let data = try Data(contentsOf: URL(fileURLWithPath: tiktokenIDs))
            let theirs = data.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
            let firstDifference = zip(ids, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            checks["tokens identical to tiktoken"] = theirs == ids
                ? "yes (\(ids.count) ids)" : "NO: \(ids.count) vs \(theirs.count) ids, first difference at \(firstDifference ?? -1)"
        }
        let theirChunks = try langchainChunks.map {
            try JSONDecoder().decode([String: [String]].self, from: Data(contentsOf: URL(fileURLWithPath: $0)))
        }
        var chunkCounts: [String: Int] = [:]
        for (size, overlap) in [(500, 50), (1000, 200)] {
            let key = "\(size)/\(overlap)"
            let ours = try RecursiveCharacterSplitter(chunkSize: size, chunkOverlap: overlap).split(corpus)
            chunkCounts[key] = ours.count
            guard let theirs = theirChunks?[key] else { continue }
            // Bytes, not String ==, which would equate NFC and NFD forms.
            let identical = ours.map { Array($0.utf8) } == theirs.map { Array($0.utf8) }
            checks["chunks \(key) identical to LangChain"] = identical
                ? "yes (\(ours.count) chunks)" : "NO: \(ours.count) vs \(theirs.count) chunks"
        }

        let documents = corpus.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        rows.appendIfPresent(measure("tokens", "cl100k encode, whole text, 1 call, 1 thread", bytes) { _ = encoding.encode(corpus) })
        rows.appendIfPresent(measure("tokens", "cl100k encode, \(documents.count) docs, 1 thread", bytes) {
            for document in documents { _ = encoding.encode(document) }
        })
        rows.appendIfPresent(measure("tokens", "cl100k encode, \(documents.count) docs, \(threads) threads", bytes) {
            parallel(documents) { _ = encoding.encode($0) }
        })

        let twentyKB = Self.langchainDocuments(corpus)
        let twentyKBBytes = twentyKB.reduce(0) { $0 + $1.utf8.count }
        for (size, overlap) in [(500, 50), (1000, 200)] {
            let splitter = try RecursiveCharacterSplitter(chunkSize: size, chunkOverlap: overlap)
            rows.appendIfPresent(measure("chunk \(size)/\(overlap)", "whole text, 1 call, [String] copies", bytes) { _ = splitter.split(corpus) })
            rows.appendIfPresent(measure("chunk \(size)/\(overlap)", "whole text, 1 call, [Substring] slices", bytes) { _ = splitter.chunks(of: corpus) })
            rows.appendIfPresent(measure("chunk \(size)/\(overlap)", "\(twentyKB.count) docs of ~20 KB", twentyKBBytes) {
                for document in twentyKB { _ = splitter.split(document) }
            })
        }

        let redactor = Redactor()
        let lines = corpus.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        rows.appendIfPresent(measure("redact", "whole text, 1 call, 1 thread", bytes) { _ = redactor.redact(corpus) })
        rows.appendIfPresent(measure("redact", "\(lines.count) lines, 1 thread", bytes) { for line in lines { _ = redactor.redact(line) } })
        rows.appendIfPresent(measure("redact", "\(lines.count) lines, \(threads) threads", bytes) { parallel(lines) { _ = redactor.redact($0) } })
        // What names and addresses cost (issue 29): the identifiers alone, as before them.
        let identifiers = Redactor(types: Set(PIIType.allCases).subtracting([.person, .address]))
        rows.appendIfPresent(measure("redact", "identifiers only (no names, no addresses), whole text, 1 thread", bytes) {
            _ = identifiers.redact(corpus)
        })
        rows.appendIfPresent(measure("redact", "identifiers only, \(lines.count) lines, 1 thread", bytes) {
            for line in lines { _ = identifiers.redact(line) }
        })
        let entities = redactor.redact(corpus).entities

        struct Output: Encodable {
            var corpus_bytes: Int
            var n_tokens: Int
            var n_chunks: [String: Int]
            var n_entities: Int
            var checks: [String: String]
            var rows: [Row]
            var loadavg: [Double]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let output = Output(
            corpus_bytes: bytes, n_tokens: ids.count, n_chunks: chunkCounts, n_entities: entities.count,
            checks: checks, rows: rows, loadavg: Timing.loadAverage())
        FileHandle.standardOutput.write(try encoder.encode(output))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// bench_splitter.py's documents: paragraphs joined back until each reaches 20,000 scalars.
    static func langchainDocuments(_ text: String) -> [String] {
        var documents: [String] = []
        var current: [String] = []
        var size = 0
        for paragraph in text.components(separatedBy: "\n\n") {
            current.append(paragraph)
            size += paragraph.unicodeScalars.count
            if size >= 20_000 {
                documents.append(current.joined(separator: "\n\n"))
                current = []
                size = 0
            }
        }
        if !current.isEmpty { documents.append(current.joined(separator: "\n\n")) }
        return documents
    }

    private func parallel(_ items: [String], _ body: @Sendable (String) -> Void) {
        let stride = (items.count + threads - 1) / threads
        items.withUnsafeBufferPointer { buffer in
            nonisolated(unsafe) let buffer = buffer  // read-only for the duration of the call
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                for i in (worker * stride)..<min(items.count, (worker + 1) * stride) { body(buffer[i]) }
            }
        }
    }

    private func measure(_ stage: String, _ what: String, _ inputBytes: Int, _ body: () -> Void) -> Row? {
        if let only, !stage.hasPrefix(only) { return nil }
        let timing = Timing.measure(runs: runs, warmUp: body, body)
        FileHandle.standardError.write(Data("\(stage) | \(what): \(String(format: "%.1f", Double(inputBytes) / 1e6 / timing.median)) MB/s\n".utf8))
        return Row(
            stage: stage, what: what, median_s: Timing.round(timing.median), runs_s: timing.wall.map(Timing.round),
            cpu_s: timing.cpu.map(Timing.round), MB_per_s: (Double(inputBytes) / 1e6 / timing.median * 100).rounded() / 100)
    }
}

extension Array where Element == UInt8 {
    /// Python's universal newlines on read: `\r\n` and a lone `\r` become `\n`.
    func universalNewlines() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(count)
        var i = 0
        while i < count {
            if self[i] == UInt8(ascii: "\r") {
                output.append(UInt8(ascii: "\n"))
                i += (i + 1 < count && self[i + 1] == UInt8(ascii: "\n")) ? 2 : 1
            } else {
                output.append(self[i])
                i += 1
            }
        }
        return output
    }
}

extension Array {
    mutating func appendIfPresent(_ element: Element?) {
        if let element { append(element) }
    }
}
