import CoachSpoolCore
import Crypto
import Datasets
import Foundation
import LibPQ
import Spool
import Stages

/// A training run as `eval answers` compares it: its adapter and what its training cost.
public struct EvaluatedRun: Sendable {
    public var id: Int64
    public var method: String
    public var baseModelConfigSHA256: String
    public var adapter: URL
    public var pipelineVersion: String?
    /// Seconds of training (the trainer's `train_seconds`, else the whole run's `seconds`).
    public var trainingSeconds: Double?
    public var trainedTokens: Int?
    /// The chat template the run trained with: `model`, `chatml` or `file:<name>`.
    public var chatTemplate: String?

    public var name: String { "run \(id)" }

    /// The named runs, each finished and with its adapter on disk; all of one base model.
    static func load(_ ids: [Int64], on conn: PGConnection) throws -> [EvaluatedRun] {
        let rows = try conn.query("""
            SELECT id, status, method, base_model_config_sha256, adapter_path, pipeline_version, coalesce(metrics::text, '{}')
              FROM coachspool.training_runs WHERE id = ANY(\(ids)::bigint[])
            """)
        var found: [Int64: EvaluatedRun] = [:]
        for row in rows {
            let id = try row.decode(Int64.self, at: 0)
            let status = try row.decode(String.self, at: 1)
            guard status == TrainingRuns.Status.succeeded.rawValue, let adapter = try row.decode(String?.self, at: 4) else {
                throw CoachSpoolError(.unusable, "training run \(id) is \(status): only a succeeded run has an adapter to evaluate")
            }
            guard FileManager.default.fileExists(atPath: URL(fileURLWithPath: adapter).appendingPathComponent("adapter_config.json").path) else {
                throw CoachSpoolError(.unusable, "training run \(id): its adapter is no longer there (moved or deleted?)", file: adapter)
            }
            let metrics = (try? JSONSerialization.jsonObject(with: Data(try row.decode(String.self, at: 6).utf8))) as? [String: Any] ?? [:]
            found[id] = EvaluatedRun(
                id: id, method: try row.decode(String.self, at: 2), baseModelConfigSHA256: try row.decode(String.self, at: 3),
                adapter: URL(fileURLWithPath: adapter), pipelineVersion: try row.decode(String?.self, at: 5),
                trainingSeconds: (metrics["train_seconds"] as? Double) ?? (metrics["seconds"] as? Double),
                trainedTokens: metrics["trained_tokens"] as? Int, chatTemplate: metrics["chat_template"] as? String)
        }
        let runs = try ids.map { id in
            guard let run = found[id] else { throw CoachSpoolError(.input, "there is no training run \(id) (coachspool runs list)") }
            return run
        }
        if let first = runs.first, let other = runs.first(where: { $0.baseModelConfigSHA256 != first.baseModelConfigSHA256 }) {
            throw CoachSpoolError(.unusable, "runs \(first.id) and \(other.id) were trained on different base models: compare runs of one base model")
        }
        return runs
    }
}

/// One held-out question: a turn of a validation conversation whose accepted answer exists, with
/// the conversation so far as its context.
public struct HeldOutQuestion: Sendable, Equatable {
    /// `<conversation key>#<index of the answer in the conversation>`.
    public var id: String
    public var conversation: String
    /// The system prompt and the turns before the answer, ending with the user's message.
    public var prompt: [ChatMessage]
    /// The accepted answer the user got (redacted, as every stored example).
    public var reference: String
    /// The conversation's language tag, as logged (`conversation_builds.language`).
    public var languageTag: String?

    /// The language of a RAG prompt for this question: as the conversation's system prompt was
    /// chosen (`Language.resolve`: its tag, else the language of its texts, else Swedish).
    public var language: Language {
        Language.resolve(tag: languageTag) { prompt.filter { $0.role != .system }.map(\.content).joined(separator: "\n") }
    }

    /// The user's last message: what retrieval searches for.
    public var lastUserMessage: String { prompt.last(where: { $0.role == .user })?.content ?? "" }
}

/// A pair of answers to one turn that users rated differently (a DPO pair of a validation
/// conversation): the judge is checked against these before its verdicts are shown.
public struct UserPreference: Sendable {
    public var prompt: [ChatMessage]
    public var preferred: String
    public var nonPreferred: String
}

/// The questions of `eval answers`: the validation conversations of the named runs — those every
/// run held out — checked against every run's recorded train split.
public struct HeldOutQuestions: Sendable {
    public var questions: [HeldOutQuestion]
    public var preferences: [UserPreference]
    /// The conversations held out (before `--samples`).
    public var conversations: Int
    /// The version of the stored examples the questions come from.
    public var version: String

    /// SHA-256 over the question ids and reference answers: the same set, the same hash.
    public var sha256: String {
        var text = ""
        for question in questions { text += question.id + "\u{1F}" + question.reference + "\u{1E}" }
        return Array(SHA256.hash(data: Array(text.utf8))).hexString
    }

    static func load(runs: [EvaluatedRun], samples: Int?, on conn: PGConnection) throws -> HeldOutQuestions {
        let ids = runs.map(\.id)
        // Conversations in the validation split of every run (erased ones are gone from the table).
        let heldOut = try conn.query("""
            SELECT v.conversation_id, c.key FROM coachspool.training_run_validation_conversations v
              JOIN coachspool.conversations c ON c.id = v.conversation_id
             WHERE v.run_id = ANY(\(ids)::bigint[])
             GROUP BY v.conversation_id, c.key HAVING count(DISTINCT v.run_id) = \(ids.count)
             ORDER BY c.key
            """).map { (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1)) }
        guard !heldOut.isEmpty else {
            let recorded = try conn.query("""
                SELECT count(*) FROM coachspool.training_run_validation_conversations WHERE run_id = ANY(\(ids)::bigint[])
                """).scalar(Int.self)
            throw CoachSpoolError(.unusable, recorded == 0
                ? "runs \(ids.map(String.init).joined(separator: ", ")) recorded no validation conversations (trained on an export made before issue 26, or with --val-fraction 0): retrain to evaluate answers on held-out conversations"
                : "no conversation is in the validation split of every run named: compare runs trained on one export (or with one --val-fraction and data)")
        }
        // The lineage check: a question must never come from a conversation any run learnt from.
        let leaked = try conn.query("""
            SELECT count(DISTINCT conversation_id), array_agg(DISTINCT run_id ORDER BY run_id)::text
              FROM coachspool.training_run_conversations
             WHERE run_id = ANY(\(ids)::bigint[]) AND conversation_id = ANY(\(heldOut.map(\.0))::bigint[])
            """)
        if let row = leaked.first, try row.decode(Int.self, at: 0) > 0 {
            throw CoachSpoolError(.unusable, """
                \(try row.decode(Int.self, at: 0)) of the validation conversations are in the train split of run(s) \
                \(try row.decode(String.self, at: 1)): answers on conversations a model learnt from measure nothing; refused
                """)
        }
        let version = try runs.compactMap(\.pipelineVersion).first ?? DatasetReader.latestVersion(conn) ?? ""
        let decoder = JSONDecoder()
        var questions: [HeldOutQuestion] = []
        let examples = try conn.query("""
            SELECT c.key, x.messages::text, b.language FROM coachspool.examples x
              JOIN coachspool.conversations c ON c.id = x.conversation_id
              JOIN coachspool.conversation_builds b ON b.conversation_id = x.conversation_id AND b.version = x.version
             WHERE x.version = \(version) AND x.branch = 0 AND x.conversation_id = ANY(\(heldOut.map(\.0))::bigint[]) ORDER BY c.key
            """)
        for row in examples {
            let key = try row.decode(String.self, at: 0)
            let messages = try decoder.decode([ChatMessage].self, from: Data(try row.decode(String.self, at: 1).utf8))
            let languageTag = try row.decode(String?.self, at: 2)
            for (index, message) in messages.enumerated() where message.role == .assistant && message.weight != 0 {
                let prompt = messages[..<index].map { ChatMessage(role: $0.role, content: $0.content) }
                guard prompt.last?.role == .user else { continue }  // a greeting answers nobody
                questions.append(HeldOutQuestion(
                    id: "\(key)#\(index)", conversation: key, prompt: prompt, reference: message.content, languageTag: languageTag))
            }
        }
        if let samples, questions.count > samples { questions = Array(questions.prefix(samples)) }
        guard !questions.isEmpty else {
            throw CoachSpoolError(.tooFewExamples,
                "the \(heldOut.count) held-out conversations have no accepted answers in examples version \(version) (run the workers, check consent)")
        }
        let preferences = try conn.query("""
            SELECT p.input::text, p.preferred, p.non_preferred FROM coachspool.preference_pairs p
              JOIN coachspool.conversations c ON c.id = p.conversation_id
             WHERE p.version = \(version) AND p.conversation_id = ANY(\(heldOut.map(\.0))::bigint[]) ORDER BY c.key, p.turn_index
            """).map { row in
            UserPreference(
                prompt: try decoder.decode([ChatMessage].self, from: Data(try row.decode(String.self, at: 0).utf8)).map { ChatMessage(role: $0.role, content: $0.content) },
                preferred: try row.decode(String.self, at: 1), nonPreferred: try row.decode(String.self, at: 2))
        }
        return HeldOutQuestions(questions: questions, preferences: preferences, conversations: heldOut.count, version: version)
    }
}
