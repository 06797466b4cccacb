import Stages
import Embeddings
import Foundation
import LibPQ
import Spool

/// `coachspool-bench search`: HNSW recall@k against exact search, and query latency, on
/// `vectors` chunks embedded with the hashing embedder (synthetic coaching-like texts) in a
/// database of its own (`DATABASE_URL`, migrated by `coachspool migrate`; its knowledge tables
/// are emptied first).
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
        var load_s: Double
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
        try conn.execute(unsafeSQL: "TRUNCATE coachspool.chunks, coachspool.documents, coachspool.embedding_spaces, coachspool.jobs CASCADE")
        let embedder = try HashingEmbedder(dimensions: 384)
        var generator = SplitMix64(seed: 42)
        let start = Date()
        let space = try KnowledgeBase.registerSpace(
            conn, embedder: "hash", model: embedder.identity.model, dimensions: 384, chunker: ChunkerSettings())
        try conn.execute(unsafeSQL: "DELETE FROM coachspool.jobs")
        // One document per 100 chunks; chunks written with binary COPY (the index is built as
        // rows arrive, as in production).
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
        try conn.execute(unsafeSQL: "ANALYZE coachspool.chunks")
        let loadSeconds = Date().timeIntervalSince(start)

        let questions = (0..<queries).map { _ in embedder.embed(Self.sentence(&generator)).vector }
        // Exact answers: a sequential scan over the space (no index on the uncast column).
        var exact: [[Int64]] = []
        for vector in questions {
            exact.append(try conn.query("""
                SELECT id FROM coachspool.chunks WHERE space_id = \(space)
                 ORDER BY embedding <=> \(PGVector(vector))::vector LIMIT \(k)
                """).map { try $0.decode(Int64.self, at: 0) })
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
            latencies.sort()
            rows.append(Row(
                method: "coachspool.search (HNSW, ef_search \(efSearch))",
                recall_at_k: Double(found) / Double(queries * k),
                p50_ms: latencies[latencies.count / 2], p99_ms: latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
                mean_ms: latencies.reduce(0, +) / Double(latencies.count)))
        }
        try conn.execute(unsafeSQL: "RESET hnsw.ef_search")
        var exactLatencies: [Double] = []
        for vector in questions.prefix(50) {
            let t0 = Date()
            _ = try conn.query("SELECT id FROM coachspool.chunks WHERE space_id = \(space) ORDER BY embedding <=> \(PGVector(vector))::vector LIMIT \(k)")
            exactLatencies.append(Date().timeIntervalSince(t0) * 1000)
        }
        exactLatencies.sort()
        rows.append(Row(
            method: "exact (sequential scan)", recall_at_k: 1, p50_ms: exactLatencies[exactLatencies.count / 2],
            p99_ms: exactLatencies[min(exactLatencies.count - 1, exactLatencies.count * 99 / 100)],
            mean_ms: exactLatencies.reduce(0, +) / Double(exactLatencies.count)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        FileHandle.standardOutput.write(try encoder.encode(Output(vectors: vectors, queries: queries, k: k, load_s: loadSeconds, rows: rows)))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// 6–20 words from a small Swedish/English vocabulary.
    static func sentence(_ generator: inout SplitMix64) -> String {
        let count = 6 + Int(generator.next() % 15)
        return (0..<count).map { _ in words[Int(generator.next() % UInt64(words.count))] }.joined(separator: " ")
    }
}
