import Foundation
import Stages
import Testing

/// `RetrievalMetrics` against pytrec_eval (trec_eval's C code) on graded relevance with tied
/// scores, to 1e-9.
@Suite struct RetrievalMetricsTests {
    /// 40 queries over 30 documents: scores from a handful of values (many ties), grades 0–3,
    /// some queries whose relevant documents are never retrieved, runs of 1 to 25 documents.
    static func fixture() -> (runs: [String: [String: Double]], qrels: [String: [String: Int]]) {
        var generator = SplitMix64(seed: 20261126)
        var runs: [String: [String: Double]] = [:]
        var qrels: [String: [String: Int]] = [:]
        for q in 0..<40 {
            let query = "q\(q)"
            let documents = (0..<30).map { String(format: "d%02d", $0) }.shuffled(using: &generator)
            let length = 1 + Int(generator.next() % 25)
            runs[query] = Dictionary(uniqueKeysWithValues: documents.prefix(length).map {
                ($0, Double(generator.next() % 6) / 4)  // 0, 0.25 … 1.25: ties everywhere
            })
            var judged: [String: Int] = [:]
            for document in documents.shuffled(using: &generator).prefix(1 + Int(generator.next() % 8)) {
                judged[document] = Int(generator.next() % 4)
            }
            if judged.values.allSatisfy({ $0 == 0 }) { judged[documents[29]] = 2 }  // at least one relevant
            qrels[query] = judged
        }
        return (runs, qrels)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["COACHSPOOL_CLIENTS_PYTHON"] != nil, "needs scripts/fetch-clients.sh (scripts/test.sh runs it)"))
    func agreesWithPytrecEval() async throws {
        let (runs, qrels) = Self.fixture()
        let input = temporaryFile("trec-fixture.json")
        try JSONSerialization.data(withJSONObject: ["run": runs, "qrels": qrels]).write(to: input)
        let script = #"""
            import json, sys, pytrec_eval
            data = json.load(open(sys.argv[1]))
            measures = {"ndcg_cut.10", "recall.1,3,5,10", "map_cut.10"}
            full = pytrec_eval.RelevanceEvaluator(data["qrels"], measures).evaluate(data["run"])
            # MRR@10: recip_rank of each run cut to its 10 best, in trec_eval's order (score, then docno, descending)
            cut = {q: dict(sorted(r.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:10]) for q, r in data["run"].items()}
            rr = pytrec_eval.RelevanceEvaluator(data["qrels"], {"recip_rank"}).evaluate(cut)
            print(json.dumps({q: dict(full[q], recip_rank=rr[q]["recip_rank"]) for q in full}))
            """#
        let python = ProcessInfo.processInfo.environment["COACHSPOOL_CLIENTS_PYTHON"]!
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, input.path]
        let output = temporaryFile("trec-out.json")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
        await waitForExit(process)
        #expect(process.terminationStatus == 0)
        let reference = try JSONDecoder().decode([String: [String: Double]].self, from: Data(contentsOf: output))
        #expect(reference.count == 40)
        for (query, expected) in reference {
            let ours = RetrievalMetrics.of(run: runs[query]!, qrels: qrels[query]!)
            let pairs: [(String, Double)] = [
                ("ndcg_cut_10", ours.ndcg10), ("recall_1", ours.recall1), ("recall_3", ours.recall3), ("recall_5", ours.recall5),
                ("recall_10", ours.recall10), ("map_cut_10", ours.map10), ("recip_rank", ours.mrr10),
            ]
            for (name, value) in pairs {
                #expect(abs(value - expected[name]!) < 1e-9, "\(query) \(name): ours \(value), pytrec_eval \(expected[name]!)")
            }
        }
    }

    @Test func handComputedExample() {
        // Ranked: a (2), b (0), c (1), d (unjudged); relevant: a, c, e (3, never retrieved).
        let metrics = RetrievalMetrics.of(run: ["a": 0.9, "b": 0.8, "c": 0.8, "d": 0.1], qrels: ["a": 2, "b": 0, "c": 1, "e": 3])
        // Tie b/c at 0.8: trec_eval puts the larger docno first, so c (rank 2) before b (rank 3).
        let dcg = 2 / log2(2.0) + 1 / log2(3.0)
        let idcg = 3 / log2(2.0) + 2 / log2(3.0) + 1 / log2(4.0)
        #expect(abs(metrics.ndcg10 - dcg / idcg) < 1e-12)
        #expect(metrics.recall1 == 1.0 / 3 && metrics.recall3 == 2.0 / 3)
        #expect(metrics.mrr10 == 1)
        #expect(abs(metrics.map10 - (1 + 1) / 3) < 1e-12, "precision 1/1 at a, 2/2 at c, over 3 relevant")
    }
}
