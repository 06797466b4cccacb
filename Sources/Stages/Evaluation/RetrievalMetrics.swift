import Foundation

/// Ranking metrics as trec_eval (and so pytrec_eval and BEIR) computes them, for one query:
/// the run is a score per document, ranked by score descending and, on equal scores, by document
/// id descending (trec_eval's order); a document is relevant when its judged relevance is ≥ 1.
/// Pure; `RetrievalMetricsTests` holds it to pytrec_eval to 1e-9.
public struct RetrievalMetrics: Sendable, Equatable, Codable {
    /// nDCG@10 with the relevance values as gains and log2(rank + 1) discounts (`ndcg_cut_10`).
    public var ndcg10: Double
    /// Recall@k for k = 1, 3, 5, 10 (`recall_k`): relevant documents in the top k / all relevant.
    public var recall1: Double
    public var recall3: Double
    public var recall5: Double
    public var recall10: Double
    /// Reciprocal rank of the first relevant document within the top 10 (`recip_rank` of the run cut at 10).
    public var mrr10: Double
    /// Average precision over the top 10, divided by all relevant documents (`map_cut_10`).
    public var map10: Double

    enum CodingKeys: String, CodingKey {
        case ndcg10 = "ndcg@10", recall1 = "recall@1", recall3 = "recall@3", recall5 = "recall@5", recall10 = "recall@10"
        case mrr10 = "mrr@10", map10 = "map@10"
    }

    public static let zero = RetrievalMetrics(ndcg10: 0, recall1: 0, recall3: 0, recall5: 0, recall10: 0, mrr10: 0, map10: 0)

    /// The metrics of one query. `run`: document id → score; `qrels`: document id → relevance.
    public static func of(run: [String: Double], qrels: [String: Int]) -> RetrievalMetrics {
        let ranked = run.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key > $1.key }.map(\.key)
        let relevant = qrels.filter { $0.value >= 1 }
        guard !relevant.isEmpty else { return .zero }
        let top10 = Array(ranked.prefix(10))

        func recall(_ k: Int) -> Double {
            Double(ranked.prefix(k).count { relevant[$0] != nil }) / Double(relevant.count)
        }
        var dcg = 0.0
        for (index, document) in top10.enumerated() where (qrels[document] ?? 0) > 0 {
            dcg += Double(qrels[document]!) / log2(Double(index + 2))
        }
        var idcg = 0.0
        for (index, gain) in qrels.values.filter({ $0 > 0 }).sorted(by: >).prefix(10).enumerated() {
            idcg += Double(gain) / log2(Double(index + 2))
        }
        var hits = 0
        var precisions = 0.0
        var firstRank: Int?
        for (index, document) in top10.enumerated() where relevant[document] != nil {
            hits += 1
            precisions += Double(hits) / Double(index + 1)
            if firstRank == nil { firstRank = index + 1 }
        }
        return RetrievalMetrics(
            ndcg10: idcg > 0 ? dcg / idcg : 0, recall1: recall(1), recall3: recall(3), recall5: recall(5), recall10: recall(10),
            mrr10: firstRank.map { 1 / Double($0) } ?? 0, map10: precisions / Double(relevant.count))
    }

    /// The mean over queries (each query weighs the same, as trec_eval's `all`).
    public static func mean(_ perQuery: [RetrievalMetrics]) -> RetrievalMetrics {
        guard !perQuery.isEmpty else { return .zero }
        let n = Double(perQuery.count)
        func avg(_ value: KeyPath<RetrievalMetrics, Double>) -> Double { perQuery.reduce(0) { $0 + $1[keyPath: value] } / n }
        return RetrievalMetrics(
            ndcg10: avg(\.ndcg10), recall1: avg(\.recall1), recall3: avg(\.recall3), recall5: avg(\.recall5),
            recall10: avg(\.recall10), mrr10: avg(\.mrr10), map10: avg(\.map10))
    }

    /// In the order of a report's columns.
    public static let names = ["nDCG@10", "Recall@1", "Recall@3", "Recall@5", "Recall@10", "MRR@10", "MAP@10"]
    /// The same, as JSON keys (`eval_runs.metrics`, `--json`).
    public static let keys = ["ndcg@10", "recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "map@10"]
    public var values: [Double] { [ndcg10, recall1, recall3, recall5, recall10, mrr10, map10] }
}
