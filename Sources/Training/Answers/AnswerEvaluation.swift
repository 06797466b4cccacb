import CoachSpoolCore
import Embeddings
import Foundation
import Knowledge
import LibPQ
import Spool
import Stages

/// `coachspool eval answers` as a library call: the base model, the base model with RAG, each
/// run's adapter and each adapter with RAG answer the same held-out questions (greedy, the same
/// token limit); each system is measured by the loss of the users' accepted answers, the
/// closeness of its answers to them (MiniLM cosine, chrF), and — with a judge — a pairwise win
/// rate against the base model whose judge was first checked against the users' own preferences.
/// Every system's figures are recorded in `coachspool.eval_runs` (kind `answers`).
///
/// Errors carry the documented exit codes: 4 no held-out question, 5 a run, the model, the
/// lineage or the knowledge base cannot be used, 6 generation failed or was interrupted.
public struct AnswerEvaluation: Sendable {
    public var runIDs: [Int64]
    /// A local Hugging Face folder; default: the one the first run's adapter names.
    public var baseModel: String?
    /// Also the RAG variants: the top `ragK` knowledge chunks in the prompt, as `rag` builds it.
    public var rag = false
    public var ragK = 3
    /// At most this many questions (the first by conversation key and turn).
    public var samples: Int?
    public var maxNewTokens = 128
    public var batchSize = 8
    public var maxLength = 1024
    /// The judge's model name; nil: no judge.
    public var judgeModel: String?
    /// `chatml` or a Jinja file, for a base model without a chat template.
    public var chatTemplate: String?
    /// answers_report.md, answers_report.json and answers_report.png.
    public var outDirectory: URL?
    /// The generator's progress lines go to stderr (for `--json`).
    public var quiet = false

    public init(runIDs: [Int64]) {
        self.runIDs = runIDs
    }

    /// One system's figures. Intervals are bootstrap 95 % intervals over the questions.
    public struct SystemResult: Sendable {
        public var name: String
        public var runID: Int64?
        public var rag: Bool
        /// Of the accepted answers, teacher-forced; nil when none kept a token after truncation.
        public var loss: Double?
        public var perplexity: Double?
        public var cosine: Interval
        public var chrf: Interval
        public var corpusChrF: Double
        /// Against the base model; nil for the base model itself and without a judge.
        public var winRate: PairwiseJudging.WinRate?
        public var answerTokensMean: Double
        public var answerCharactersMean: Double
        public var promptTokensMean: Double
        public var secondsPerAnswer: Double
        public var trainingSeconds: Double?
        public var trainedTokens: Int?
        public var systemPromptFolded: Bool
        public var evalRunID: Int64?
    }

    public struct Interval: Sendable {
        public var mean: Double
        public var low: Double
        public var high: Double

        init(_ values: [Double]) {
            mean = Bootstrap.mean(values)
            (low, high) = Bootstrap.interval(values)
        }
    }

    public struct Report: Sendable {
        public var runIDs: [Int64]
        public var baseModelName: String
        public var baseModelConfigSHA256: String
        public var questions: Int
        public var conversations: Int
        public var questionSetSHA256: String
        public var examplesVersion: String
        public var device: String
        public var systems: [SystemResult]
        public var judgeModel: String?
        /// The judge against the users' preferences (nil without a judge).
        public var calibration: PairwiseJudging.Calibration?
        public var parametersJSON: String
        public var files: [URL]
    }

    /// What the report shows per question (answers_report.md only: it quotes conversations).
    private struct QuestionDetail {
        var question: HeldOutQuestion
        var sources: [SearchHit]
    }

    public func run(connect: () throws -> PGConnection, say: (String) -> Void) throws -> Report {
        let trainer = try TrainerEnvironment.locate()
        if let outDirectory { try OutputFolder.create(outDirectory, option: "--out") }
        let conn = try connect()
        try Migrator.requireSchema(conn)
        let runs = try EvaluatedRun.load(runIDs, on: conn)
        let template = chatTemplate ?? runs.lazy.compactMap(\.chatTemplate).compactMap(Self.templateOption).first
        let base = try resolveBaseModel(runs, chatTemplate: template)
        let held = try HeldOutQuestions.load(runs: runs, samples: samples, on: conn)
        say("\(held.questions.count) questions from \(held.conversations) held-out conversations (examples \(held.version)), \(held.preferences.count) rated answer pairs")

        // Retrieval, as `rag` does it, for each question's last user message.
        var details = held.questions.map { QuestionDetail(question: $0, sources: []) }
        var ragSpace: Int32?
        if rag {
            let retriever = try Retriever(conn, space: nil, modes: [.best])
            ragSpace = retriever.space.id
            let vectors = try retriever.embed(held.questions.map(\.lastUserMessage))
            for index in details.indices {
                let query = SearchQuery(text: details[index].question.lastUserMessage, k: ragK, space: retriever.space.id)
                details[index].sources = try retriever.search(query, vector: vectors?[index], on: conn)
            }
            guard details.contains(where: { !$0.sources.isEmpty }) else {
                throw CoachSpoolError(.unusable, "--rag: embedding space \(retriever.space.id) found no chunk for any question (ingest knowledge documents and run the workers)")
            }
        }

        var systems = [AnswerGeneration.System(name: "base", adapter: nil, rag: false)]
        if rag { systems.append(.init(name: "base+rag", adapter: nil, rag: true)) }
        for run in runs {
            systems.append(.init(name: run.name, adapter: run.adapter.path, rag: false))
            if rag { systems.append(.init(name: run.name + "+rag", adapter: run.adapter.path, rag: true)) }
        }
        let request = AnswerGeneration.Request(
            max_new_tokens: maxNewTokens, batch_size: batchSize, max_length: maxLength, systems: systems,
            questions: details.map { detail in
                let prompt = detail.question.prompt
                var ragPrompt: [ChatMessage]?
                if !detail.sources.isEmpty, let last = prompt.lastIndex(where: { $0.role == .user }) {
                    ragPrompt = prompt
                    ragPrompt![last].content = RagPrompt.make(
                        question: prompt[last].content, language: detail.question.language, retrieved: detail.sources.map(\.retrieved))
                }
                return .init(id: detail.question.id, messages: AnswerGeneration.messages(prompt),
                             rag_messages: ragPrompt.map(AnswerGeneration.messages), reference: detail.question.reference)
            })
        let work = try Self.privateFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        say("generating: \(systems.map(\.name).joined(separator: ", ")); greedy, at most \(maxNewTokens) new tokens")
        let generated = try AnswerGeneration.run(request, baseModel: base.path, chatTemplate: template, trainer: trainer, workDirectory: work, quiet: quiet)

        let cosines = try cosineSimilarities(generated, references: held.questions.map(\.reference))
        var calibration: PairwiseJudging.Calibration?
        var verdicts: [String: [PairwiseJudging.Verdict]] = [:]
        if let judgeModel {
            let client = try ChatClient.forModel(judgeModel)
            let judge = Judge(client: client)
            say("judge \(judgeModel): \(held.preferences.count) rated pairs first, both orders")
            calibration = PairwiseJudging.Calibration(try judge.verdicts(held.preferences.map {
                Judge.Pair(conversation: $0.prompt, first: $0.preferred, second: $0.nonPreferred)
            }))
            let baseAnswers = generated.systems[0].answers
            for system in generated.systems.dropFirst() {
                verdicts[system.name] = try judge.verdicts(zip(held.questions, zip(system.answers, baseAnswers)).map { question, answers in
                    Judge.Pair(conversation: question.prompt, first: answers.0.answer, second: answers.1.answer)
                })
            }
        }

        var results: [SystemResult] = []
        for (index, system) in generated.systems.enumerated() {
            let run = runs.first { systems[index].adapter == $0.adapter.path }
            let answers = system.answers
            let count = Double(max(answers.count, 1))
            results.append(SystemResult(
                name: system.name, runID: run?.id, rag: system.rag, loss: system.loss, perplexity: system.perplexity,
                cosine: Interval(cosines[index].map(Double.init)), chrf: Interval(answers.map(\.chrf)), corpusChrF: system.chrf,
                winRate: verdicts[system.name].map { PairwiseJudging.WinRate($0) },
                answerTokensMean: Double(answers.map(\.answer_tokens).reduce(0, +)) / count,
                answerCharactersMean: Double(answers.map(\.answer.count).reduce(0, +)) / count,
                promptTokensMean: Double(answers.map(\.prompt_tokens).reduce(0, +)) / count,
                secondsPerAnswer: answers.map(\.seconds).reduce(0, +) / count,
                trainingSeconds: run?.trainingSeconds, trainedTokens: run?.trainedTokens,
                systemPromptFolded: system.system_prompt_folded ?? false))
        }
        var report = Report(
            runIDs: runIDs, baseModelName: base.model.name, baseModelConfigSHA256: base.model.configSHA256,
            questions: held.questions.count, conversations: held.conversations, questionSetSHA256: held.sha256,
            examplesVersion: held.version, device: generated.device, systems: results, judgeModel: judgeModel,
            calibration: calibration, parametersJSON: "{}", files: [])
        report.parametersJSON = parametersJSON(template: template, ragSpace: ragSpace, version: held.version, device: generated.device)
        try record(&report, on: conn)
        if let outDirectory {
            report.files = try AnswerReportFiles.write(
                report, details: details.map { ($0.question, $0.sources) }, generated: generated, verdicts: verdicts,
                to: outDirectory, trainer: trainer, quiet: quiet)
        }
        return report
    }

    /// A run's recorded chat template as the generator's option (`chatml`, or a file's path).
    static func templateOption(_ recorded: String) -> String? {
        if recorded == "chatml" { return "chatml" }
        if recorded.hasPrefix("file:") { return String(recorded.dropFirst("file:".count)) }
        return nil
    }

    private func resolveBaseModel(_ runs: [EvaluatedRun], chatTemplate: String?) throws -> (path: String, model: BaseModel) {
        let path: String
        if let baseModel {
            path = baseModel
        } else {
            let config = runs[0].adapter.appendingPathComponent("adapter_config.json")
            guard let data = FileManager.default.contents(atPath: config.path),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let named = object["base_model_name_or_path"] as? String, !named.isEmpty
            else { throw CoachSpoolError(.unusable, "names no base model folder: give --base-model", file: config.path) }
            path = named
        }
        let model = try BaseModel(directory: path, requireChatTemplate: chatTemplate == nil)
        guard model.configSHA256 == runs[0].baseModelConfigSHA256 else {
            throw CoachSpoolError(.unusable, "is not the base model run \(runs[0].id) was trained on (its config.json differs)", file: path)
        }
        return (path, model)
    }

    /// Cosine of each answer's all-MiniLM-L6-v2 vector with its reference's, per system.
    private func cosineSimilarities(_ generated: AnswerGeneration.Result, references: [String]) throws -> [[Float]] {
        let embedder = try EmbedderFactory.make(kind: .minilm)
        let referenceVectors = try embedder.embed(references).map(\.vector)
        return try generated.systems.map { system in
            let vectors = try embedder.embed(system.answers.map(\.answer)).map(\.vector)
            return zip(vectors, referenceVectors).map { a, b in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        }
    }

    private func parametersJSON(template: String?, ragSpace: Int32?, version: String, device: String) -> String {
        var fields: [String: Any] = [
            "decoding": "greedy", "max_new_tokens": maxNewTokens, "batch_size": batchSize, "max_length": maxLength,
            "rag": rag, "examples_version": version, "device": device,
        ]
        if let samples { fields["samples"] = samples }
        if rag { fields["rag_k"] = ragK; fields["rag_space"] = ragSpace.map { Int($0) } }
        if let judgeModel { fields["judge_model"] = judgeModel }
        if let template { fields["chat_template"] = template }
        return Self.json(fields)
    }

    /// One `eval_runs` row per system, in one transaction.
    private func record(_ report: inout Report, on conn: PGConnection) throws {
        let parameters = report.parametersJSON
        try conn.transaction { conn in
            for index in report.systems.indices {
                let metrics = Self.json(Self.metrics(report.systems[index], calibration: report.calibration))
                report.systems[index].evalRunID = try conn.query("""
                    INSERT INTO coachspool.eval_runs
                           (kind, system, training_run_ids, base_model_config_sha256, parameters, metrics, questions, question_set_sha256)
                    VALUES ('answers', \(report.systems[index].name), \(report.runIDs)::bigint[], \(report.baseModelConfigSHA256),
                            \(parameters)::jsonb, \(metrics)::jsonb, \(report.questions), \(report.questionSetSHA256))
                    RETURNING id
                    """).scalar(Int64.self)
            }
        }
    }

    /// A system's figures as recorded and as `--json` prints them.
    static func metrics(_ system: SystemResult, calibration: PairwiseJudging.Calibration?) -> [String: Any] {
        var fields: [String: Any] = [
            "loss": system.loss ?? NSNull(), "perplexity": system.perplexity ?? NSNull(),
            "cosine": system.cosine.mean, "cosine_low": system.cosine.low, "cosine_high": system.cosine.high,
            "chrf": system.chrf.mean, "chrf_low": system.chrf.low, "chrf_high": system.chrf.high, "corpus_chrf": system.corpusChrF,
            "answer_tokens_mean": system.answerTokensMean, "answer_chars_mean": system.answerCharactersMean,
            "prompt_tokens_mean": system.promptTokensMean, "seconds_per_answer": system.secondsPerAnswer,
            "system_prompt_folded": system.systemPromptFolded, "rag": system.rag,
        ]
        if let win = system.winRate {
            fields["win_rate"] = win.rate
            fields["win_rate_low"] = win.low
            fields["win_rate_high"] = win.high
            fields["wins"] = win.wins
            fields["losses"] = win.losses
            fields["ties"] = win.ties
        }
        if let calibration {
            fields["judge_pairs"] = calibration.pairs
            fields["judge_decided"] = calibration.decided
            fields["judge_agreed"] = calibration.agreed
            fields["judge_agreement"] = calibration.agreement ?? NSNull()
            fields["judge_trusted"] = calibration.isTrustworthy
        }
        if let runID = system.runID { fields["training_run_id"] = Int(runID) }
        if let seconds = system.trainingSeconds { fields["training_seconds"] = seconds }
        if let tokens = system.trainedTokens { fields["trained_tokens"] = tokens }
        return fields
    }

    public static func json(_ object: Any) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// A folder only this user can read: the generator's request and result quote conversations.
    private static func privateFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("coachspool-eval-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CoachSpoolError(.io, "cannot create a working folder", file: folder.path, underlying: error)
        }
        return folder
    }
}
