import CoachSpoolCore
import Crypto
import Foundation
import LibPQ
import Queue
import Spool
import Stages

/// `coachspool eval retrieval`: runs every labelled question through search, per embedding space
/// and search mode, and measures the rankings with `RetrievalMetrics`: of documents (a document is
/// retrieved at the rank of its first chunk), or of chunks for a question whose judgements all
/// name chunks (`chunk:<id>`).
public struct RetrievalEvaluation: Sendable {
    public var questions: LabelledQuestions
    /// SHA-256 of the queries file, U+001F, the qrels file: which set the figures are about.
    public var questionSetSHA256: String
    /// Spaces to evaluate; nil: every space.
    public var spaces: [Int32]?
    public var modes: [SearchMode]
    /// Documents ranked per question (metrics look at the top 10).
    public var depth = 10
    /// Chunks fetched per question before they are grouped into documents.
    public var chunkCandidates = 50
    public var fusion = SearchQuery.Fusion()

    public init(queries: Data, queriesFile: String, qrels: Data, qrelsFile: String, spaces: [Int32]?, modes: [SearchMode]) throws {
        questions = try LabelledQuestions(queries: queries, queriesFile: queriesFile, qrels: qrels, qrelsFile: qrelsFile)
        questionSetSHA256 = SHA256.hash(data: queries + Data([0x1F]) + qrels).hexString
        self.spaces = spaces
        self.modes = modes
    }

    /// One space and mode: the mean metrics, per question, and the ranking (for a TREC run file).
    public struct Result: Sendable {
        public var space: EmbeddingSpace
        public var mode: SearchMode
        public var metrics: RetrievalMetrics
        public var perQuestion: [String: RetrievalMetrics]
        /// Per question id, document ids best first.
        public var rankings: [String: [String]]
        /// The `eval_runs` row, once recorded.
        public var runID: Int64?
    }

    public func run(on conn: PGConnection) throws -> [Result] {
        let externalIDs = try Dictionary(uniqueKeysWithValues: conn.query("SELECT id, external_id FROM coachspool.documents").map {
            (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1))
        })
        let spaceIDs = try spaces ?? conn.query("SELECT id FROM coachspool.embedding_spaces ORDER BY id").map { try $0.decode(Int32.self, at: 0) }
        guard !spaceIDs.isEmpty else {
            throw CoachSpoolError(.input, "no embedding space yet: ingest documents and run a worker (coachspool work) first")
        }
        var results: [Result] = []
        for spaceID in spaceIDs {
            let retriever = try Retriever(conn, space: spaceID, modes: modes)
            let vectors = try retriever.embed(questions.questions.map(\.text))
            for mode in modes {
                var perQuestion: [String: RetrievalMetrics] = [:]
                var rankings: [String: [String]] = [:]
                for (index, question) in questions.questions.enumerated() {
                    var query = SearchQuery(text: question.text, k: chunkCandidates, mode: mode)
                    query.fusion = fusion
                    let hits = try retriever.search(query, vector: vectors?[index], on: conn)
                    // Judged by chunk ("chunk:<id>") or by document (its id), as the qrels say.
                    let byChunk = question.relevance.keys.allSatisfy { $0.hasPrefix("chunk:") }
                    var ranking: [String] = []
                    for hit in hits {
                        guard let item = byChunk ? "chunk:\(hit.chunkID)" : externalIDs[hit.documentID], !ranking.contains(item) else { continue }
                        ranking.append(item)
                        if ranking.count == depth { break }
                    }
                    rankings[question.id] = ranking
                    perQuestion[question.id] = RetrievalMetrics.of(run: Self.scores(ranking), qrels: question.relevance)
                }
                results.append(Result(
                    space: retriever.space, mode: mode,
                    metrics: RetrievalMetrics.mean(questions.questions.map { perQuestion[$0.id]! }),
                    perQuestion: perQuestion, rankings: rankings))
            }
        }
        return results
    }

    /// Scores that reproduce a ranking exactly under trec_eval's order (no ties).
    static func scores(_ ranking: [String]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: ranking.enumerated().map { ($0.element, Double(ranking.count - $0.offset)) })
    }

    /// Stores each result in `eval_runs`; sets their `runID`.
    public func record(_ results: inout [Result], on conn: PGConnection) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for index in results.indices {
            let result = results[index]
            let parameters = try JSONText(Parameters(
                level: "document", depth: depth, chunk_candidates: chunkCandidates,
                rrf_k: result.mode == .hybrid ? fusion.k : nil,
                text_weight: result.mode == .hybrid ? fusion.textWeight : nil,
                vector_weight: result.mode == .hybrid ? fusion.vectorWeight : nil,
                fusion_candidates: result.mode == .hybrid ? fusion.candidates : nil))
            results[index].runID = try conn.query("""
                INSERT INTO coachspool.eval_runs (space_id, mode, parameters, metrics, questions, question_set_sha256)
                VALUES (\(result.space.id), \(result.mode.rawValue), \(parameters)::jsonb,
                        \(String(decoding: try encoder.encode(result.metrics), as: UTF8.self))::jsonb,
                        \(questions.questions.count), \(questionSetSHA256))
                RETURNING id
                """).scalar(Int64.self)
        }
    }

    private struct Parameters: Encodable {
        var level: String
        var depth: Int
        var chunk_candidates: Int
        var rrf_k: Int?
        var text_weight: Double?
        var vector_weight: Double?
        var fusion_candidates: Int?
    }

    /// A TREC run file (`qid Q0 docno rank score tag`) of one result, for trec_eval.
    public static func trecRun(_ result: Result, questions: LabelledQuestions) -> String {
        let tag = "coachspool-s\(result.space.id)-\(result.mode.rawValue)"
        var lines: [String] = []
        for question in questions.questions {
            let ranking = result.rankings[question.id] ?? []
            for (rank, document) in ranking.enumerated() {
                lines.append("\(question.id) Q0 \(document) \(rank + 1) \(ranking.count - rank) \(tag)")
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }
}
