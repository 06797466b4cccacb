import CoachSpoolCore
import Embeddings
import Foundation
import Knowledge
import LibPQ
import Spool
import Stages

/// `coachspool-bench search`: a first backfill of `vectors` chunks embedded with the hashing
/// embedder (synthetic coaching-like texts) made searchable both ways — inserted into a live
/// HNSW index, and loaded first with the index built after (the worker's way since issue 18) —
/// then recall@k against exact search and query latency for each, in a database of its own
/// (`DATABASE_URL`, migrated by `coachspool migrate`; its knowledge tables are emptied first).
///
///     coachspool-bench search --vectors 100000 --queries 200 [--k 10]
struct SearchBenchmark {
    let vectors: Int
    let queries: Int
    let k: Int

    static let words = """
        mål vecka träna sömn stress motivation plan tenta uppsats chef feedback lön karriär vana \
        goal week sleep stress motivation plan exam thesis manager feedback salary career habit \
        focus break listen question deadline project portfolio study repeat memory energy rest \
        fokus paus lyssna fråga deadline projekt studier minne energi vila kollega gräns nej
        """.split(separator: " ").map(String.init)

    struct Output: Encodable {
        var vectors: Int
        var dimensions = 384
        var queries: Int
        var k: Int
        var index_memory: String
        var index_workers: Int
        var ways: [Way]
    }

    /// One way of making the index over a first backfill, and what search gets from it.
    struct Way: Encodable {
        var way: String
        /// Loading the vectors (binary COPY), and building the index after them when deferred.
        var load_s: Double
        var build_s: Double
        var rows: [Row]
    }

    struct Row: Encodable {
        var method: String
        var recall_at_k: Double
        var p50_ms: Double
        var p99_ms: Double
        var mean_ms: Double
    }

    func run() throws {
        let conn = try PGConnection(conninfo: try DatabaseURL.resolve(), applicationName: "coachspool-bench")
        let settings = SpaceIndexSettings()
        var ways: [Way] = []
        for deferred in [false, true] {
            try conn.execute(unsafeSQL: "TRUNCATE coachspool.chunks, coachspool.documents, coachspool.embedding_spaces, coachspool.jobs CASCADE")
            let embedder = try HashingEmbedder(dimensions: 384)
            var generator = SplitMix64(seed: 42)
            let space = try KnowledgeBase.registerSpace(
                conn, embedder: "hash", model: embedder.identity.model, dimensions: 384, chunker: ChunkerSettings())
            try conn.execute(unsafeSQL: "DELETE FROM coachspool.jobs")
            if !deferred {
                // As before issue 18: the index exists first and every vector is inserted into it.
                try conn.execute(unsafeSQL: try conn.query("SELECT coachspool.space_index_ddl(\(space), false)").scalar(String.self))
                try conn.query("UPDATE coachspool.embedding_spaces SET index_state = 'ready' WHERE id = \(space)")
            }
            let start = Date()
            try load(conn, space: space, embedder: embedder, generator: &generator)
            let loadSeconds = Date().timeIntervalSince(start)
            var buildSeconds = 0.0
            if deferred {
                // What the worker does once the backlog has drained.
                guard case .built(let seconds) = try SpaceIndex.build(conn, space: space, settings: settings) else {
                    throw CoachSpoolError(.processing, "the deferred index was not built (another session holds its lock?)")
                }
                buildSeconds = seconds
            }
            try conn.execute(unsafeSQL: "ANALYZE coachspool.chunks")
            let questions = (0..<queries).map { _ in embedder.embed(Self.sentence(&generator)).vector }
            ways.append(Way(
                way: deferred ? "deferred: COPY, then CREATE INDEX CONCURRENTLY" : "insert-as-you-go: COPY into the indexed table",
                load_s: loadSeconds, build_s: buildSeconds, rows: try measure(conn, space: space, questions: questions)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        FileHandle.standardOutput.write(try encoder.encode(Output(
            vectors: vectors, queries: queries, k: k, index_memory: settings.buildMemory, index_workers: settings.parallelWorkers,
            ways: ways)))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// One document per 100 chunks; chunks written with binary COPY, 10,000 per transaction.
    private func load(_ conn: PGConnection, space: Int32, embedder: HashingEmbedder, generator: inout SplitMix64) throws {
        let perDocument = 100
        for first in stride(from: 0, to: vectors, by: 10_000) {
            let count = min(10_000, vectors - first)
            try conn.transaction { conn in
                var documentIDs: [Int64] = []
                for document in stride(from: first, to: first + count, by: perDocument) {
                    documentIDs.append(try KnowledgeBase.upsert(conn, DocumentInput(
                        externalID: "bench-\(document)", title: "Bench \(document)", text: "synthetic", source: nil,
                        language: nil, origin: "bench")).id)
                }
                try conn.execute(unsafeSQL: "DELETE FROM coachspool.jobs")
                var copy = PGCopyBinaryWriter(fieldsPerRow: 8)
                for index in 0..<count {
                    let text = Self.sentence(&generator)
                    copy.startRow()
                    copy.write(space)
                    copy.write(documentIDs[index / perDocument])
                    copy.write(bytes: [0])
                    copy.write(Int32(index % perDocument))
                    copy.write(text)
                    copy.write(Int32(0))
                    copy.writeVector(embedder.embed(text).vector)
                    copy.write("bench")
                }
                _ = try conn.copyIn("""
                    COPY coachspool.chunks (space_id, document_id, content_hash, ordinal, body, start_offset, embedding, worker)
                    FROM STDIN (FORMAT binary)
                    """, payload: copy.finish())
            }
            FileHandle.standardError.write(Data("loaded \(first + count) vectors\n".utf8))
        }
    }

    /// Recall@k of `coachspool.search` against exact search at three `ef_search` values (40 is
    /// pgvector's default), and the latency of each.
    private func measure(_ conn: PGConnection, space: Int32, questions: [[Float]]) throws -> [Row] {
        // Exact answers: a sequential scan over the space (no index on the uncast column).
        var exact: [[Int64]] = []
        var exactLatencies: [Double] = []
        for vector in questions {
            let t0 = Date()
            exact.append(try conn.query("""
                SELECT id FROM coachspool.chunks WHERE space_id = \(space)
                 ORDER BY embedding <=> \(PGVector(vector))::vector LIMIT \(k)
                """).map { try $0.decode(Int64.self, at: 0) })
            exactLatencies.append(Date().timeIntervalSince(t0) * 1000)
        }
        var rows: [Row] = []
        for efSearch in [40, 100, 200] {
            try conn.execute(unsafeSQL: "SET hnsw.ef_search = \(efSearch)")
            var latencies: [Double] = []
            var found = 0
            for (vector, truth) in zip(questions, exact) {
                let t0 = Date()
                let hits = try KnowledgeBase.search(conn, vector: vector, k: k, space: space)
                latencies.append(Date().timeIntervalSince(t0) * 1000)
                found += Set(hits.map(\.chunkID)).intersection(truth).count
            }
            rows.append(Self.row("coachspool.search (HNSW, ef_search \(efSearch))", recall: Double(found) / Double(queries * k), latencies))
        }
        try conn.execute(unsafeSQL: "RESET hnsw.ef_search")
        rows.append(Self.row("exact (sequential scan)", recall: 1, exactLatencies))
        return rows
    }

    private static func row(_ method: String, recall: Double, _ latencies: [Double]) -> Row {
        let sorted = latencies.sorted()
        return Row(
            method: method, recall_at_k: recall, p50_ms: sorted[sorted.count / 2],
            p99_ms: sorted[min(sorted.count - 1, sorted.count * 99 / 100)], mean_ms: sorted.reduce(0, +) / Double(sorted.count))
    }

    /// 6–20 words from a small Swedish/English vocabulary.
    static func sentence(_ generator: inout SplitMix64) -> String {
        let count = 6 + Int(generator.next() % 15)
        return (0..<count).map { _ in words[Int(generator.next() % UInt64(words.count))] }.joined(separator: " ")
    }
}
