import ArgumentParser
import CoachSpoolCore
import Foundation
import Spool
import Stages

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure the system against labelled data.",
        subcommands: [Retrieval.self])

    struct Retrieval: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(
            commandName: "retrieval",
            abstract: "nDCG@10, Recall@1/3/5/10, MRR@10 and MAP@10 of search, per embedding space and search mode.",
            discussion: """
                Reads a BEIR-style labelled set: queries.jsonl ({"_id", "text"}) and qrels (BEIR's TSV \
                query-id, corpus-id, score with a header, or TREC's qid 0 docno rel), whose corpus ids are \
                document ids of the knowledge base (or chunk:<id>, judging single chunks). Document \
                level: a document is retrieved at the rank of its first chunk. The metrics are trec_eval's (pytrec_eval agrees to 1e-9). Every result \
                is stored in coachspool.eval_runs (view coachspool.eval_history).
                """)

        @Option(help: "queries.jsonl: {\"_id\", \"text\"} per line.")
        var queries: String

        @Option(help: "The judgements: BEIR TSV (query-id, corpus-id, score) or TREC qrels.")
        var qrels: String

        @Option(name: .customLong("space"), help: "Evaluate this embedding space (repeatable; default: every space).")
        var spaces: [Int32] = []

        @Option(name: .customLong("mode"), help: "vector, text or hybrid (repeatable; default: all three).")
        var modes: [SearchMode] = []

        @Option(help: "A TREC run file for trec_eval (with several spaces or modes: FILE.s<space>.<mode>).")
        var runFile: String?

        @Flag(help: "One JSON object instead of a table.")
        var json = false

        func run() async throws {
            let (queriesPath, qrelsPath, spaces, runFile) = (queries, qrels, spaces, runFile)
            let modes = modes.isEmpty ? SearchMode.allCases : modes
            let (evaluation, results) = try await Blocking.run { () -> (RetrievalEvaluation, [RetrievalEvaluation.Result]) in
                let evaluation = try RetrievalEvaluation(
                    queries: try Self.read(queriesPath), queriesFile: queriesPath, qrels: try Self.read(qrelsPath), qrelsFile: qrelsPath,
                    spaces: spaces.isEmpty ? nil : spaces, modes: modes)
                let conn = try openConnection(application: "coachspool-eval")
                try Migrator.requireSchema(conn)
                var results = try evaluation.run(on: conn)
                try evaluation.record(&results, on: conn)
                if let runFile {
                    for result in results {
                        let path = results.count == 1 ? runFile : "\(runFile).s\(result.space.id).\(result.mode.rawValue)"
                        do {
                            try RetrievalEvaluation.trecRun(result, questions: evaluation.questions).write(toFile: path, atomically: true, encoding: .utf8)
                        } catch {
                            throw CoachSpoolError(.io, "--run-file: cannot write the file", file: path, underlying: error)
                        }
                    }
                }
                return (evaluation, results)
            }
            json ? printJSON(evaluation, results) : printTable(evaluation, results)
        }

        static func read(_ path: String) throws -> Data {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CoachSpoolError(.io, "cannot read the file", file: path)
            }
            return data
        }

        private func printTable(_ evaluation: RetrievalEvaluation, _ results: [RetrievalEvaluation.Result]) {
            print("\(evaluation.questions.questions.count) questions, set sha256 \(evaluation.questionSetSHA256.prefix(16)); document level, top \(evaluation.depth)")
            for (space, rows) in Dictionary(grouping: results, by: \.space.id).sorted(by: { $0.key < $1.key }) {
                let s = rows[0].space
                print("\nspace \(space): \(s.embedder) \(s.model) (\(s.dimensions) d), chunks \(s.chunker.unit.rawValue) \(s.chunker.size)/\(s.chunker.overlap)\(s.isActive ? ", active" : "")")
                print("mode    " + RetrievalMetrics.names.map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined() + "eval run")
                for row in rows {
                    let values = row.metrics.values.map { String(format: "%.4f", $0).padding(toLength: 10, withPad: " ", startingAt: 0) }
                    print(row.mode.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + values.joined() + "\(row.runID ?? 0)")
                }
            }
        }

        private func printJSON(_ evaluation: RetrievalEvaluation, _ results: [RetrievalEvaluation.Result]) {
            var out = JSONWriter()
            out.object {
                $0.field("question_set_sha256") { $0.string(evaluation.questionSetSHA256) }
                $0.field("questions") { $0.integer(evaluation.questions.questions.count) }
                $0.field("results") {
                    $0.array(results) { out, result in
                        out.object {
                            $0.field("space") { $0.integer(result.space.id) }
                            $0.field("mode") { $0.string(result.mode.rawValue) }
                            $0.field("eval_run_id") { $0.integer(result.runID ?? 0) }
                            $0.field("metrics") { out in
                                out.object { fields in
                                    for (name, value) in zip(RetrievalMetrics.keys, result.metrics.values) {
                                        fields.field(name) { $0.double(value) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            print(String(decoding: out.bytes, as: UTF8.self))
        }
    }
}
