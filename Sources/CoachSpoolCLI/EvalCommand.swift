import ArgumentParser
import CoachSpoolCore
import Foundation
import Knowledge
import Spool
import Stages
import Training

/// The judge's model: the option, else `COACHSPOOL_JUDGE_MODEL`; nil (no judge) when neither is set.
enum JudgeSetting {
    static func model(_ option: String?) -> String? {
        let value = option ?? ProcessInfo.processInfo.environment["COACHSPOOL_JUDGE_MODEL"]
        return value.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// `--chat-template chatml|FILE`.
enum ChatTemplateOption {
    static func validate(_ value: String) throws {
        guard value == "chatml" || FileManager.default.isReadableFile(atPath: value) else {
            throw ValidationError("--chat-template: expected chatml or a readable Jinja file")
        }
    }
}

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure the system against labelled data.",
        subcommands: [Retrieval.self, Answers.self])

    struct Answers: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(
            commandName: "answers",
            abstract: "Does the coach get better? The base model, RAG and trained adapters answer the same held-out questions; one table compares them.",
            discussion: """
                Questions: every turn with an accepted answer in the validation split of the named runs \
                (conversations none of them trained on: checked against each run's recorded train split, \
                refused otherwise), with the conversation so far as context. Systems: the base model, each \
                run's adapter and, with --rag, both with the top-k knowledge chunks in the prompt (as `rag` \
                builds it); greedy decoding, one token limit, in the trainer's environment \
                (scripts/fetch-trainer.sh). Per system: loss and perplexity of the accepted answers \
                (teacher-forced), cosine (all-MiniLM-L6-v2) and chrF of the answers against them, prompt tokens \
                and seconds per answer, the run's training cost, and with a judge (--judge-model or \
                COACHSPOOL_JUDGE_MODEL: an OpenAI-compatible chat endpoint at COACHSPOOL_OPENAI_BASE_URL, key \
                as for embeddings) the win rate against the base model, every pair judged in both orders, after \
                the judge is checked against the users' own preferences (rated answer pairs of the same \
                conversations). The judge receives the held-out conversations (redacted): use a local endpoint \
                where they may not leave the host. Every system's figures go to coachspool.eval_runs (view \
                coachspool.answer_eval_history). Exit 4: no held-out question; 5: a run, the model, the lineage \
                or the knowledge base cannot be used; 6: generation failed.
                """)

        @Option(name: .customLong("run"), help: "A training run whose adapter to compare (repeatable).")
        var runs: [Int64]

        @Option(help: "The base model folder (default: the one the first run's adapter names).")
        var baseModel: String?

        @Flag(help: "Also the RAG variants of the base model and each adapter.")
        var rag = false

        @Option(name: .customShort("k"), help: "Knowledge chunks in a RAG prompt (as for rag).")
        var ragK = 3

        @Option(help: "At most this many questions (default: all).")
        var samples: Int?

        @Option(help: "Tokens each answer may have.")
        var maxNewTokens = 128

        @Option(help: "Prompts generated together.")
        var batchSize = 8

        @Option(help: "The judge's model at the OpenAI-compatible endpoint (default: COACHSPOOL_JUDGE_MODEL; none: no judge).")
        var judgeModel: String?

        @Option(help: "A chat template for a base model without one: chatml, or a Jinja file (default: what the run trained with).")
        var chatTemplate: String?

        @Flag(help: "One JSON object instead of the table.")
        var json = false

        @Option(help: "Also write answers_report.md (every answer; it quotes the conversations), answers_report.json and answers_report.png here.")
        var out: String?

        func validate() throws {
            guard !runs.isEmpty else { throw ValidationError("--run: name at least one training run (coachspool runs list)") }
            guard Set(runs).count == runs.count else { throw ValidationError("--run: a run is named twice") }
            guard (1...50).contains(ragK) else { throw ValidationError("-k must be in 1...50") }
            if let samples, samples < 1 { throw ValidationError("--samples must be positive") }
            guard (1...4096).contains(maxNewTokens) else { throw ValidationError("--max-new-tokens must be in 1...4096") }
            guard (1...256).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...256") }
            if let chatTemplate { try ChatTemplateOption.validate(chatTemplate) }
        }

        func run() async throws {
            var evaluation = AnswerEvaluation(runIDs: runs)
            evaluation.baseModel = baseModel
            evaluation.rag = rag
            evaluation.ragK = ragK
            evaluation.samples = samples
            evaluation.maxNewTokens = maxNewTokens
            evaluation.batchSize = batchSize
            evaluation.judgeModel = JudgeSetting.model(judgeModel)
            evaluation.chatTemplate = chatTemplate
            evaluation.outDirectory = out.map { URL(fileURLWithPath: $0) }
            evaluation.quiet = json
            let (json, configured) = (json, evaluation)
            let report = try await Blocking.run {
                try configured.run(connect: { try openConnection(application: "coachspool-eval") }) { line in
                    // Progress goes to stderr with --json, so that stdout is one JSON object.
                    if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
                }
            }
            if json {
                print(AnswerEvaluation.json(report.jsonObject))
            } else {
                print(report.table)
                if !report.files.isEmpty { print("report: " + report.files.map(\.path).joined(separator: ", ")) }
            }
        }
    }

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
