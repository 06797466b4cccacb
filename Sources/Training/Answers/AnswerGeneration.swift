import CoachSpoolCore
import Foundation
import Spool
import Stages

/// The trainer side of `eval answers`: `scripts/train/eval_answers.py` in the trainer's
/// environment generates every system's answers (greedy, batched) and measures the loss of the
/// real answers and chrF. The request and result are JSON files in a private working folder.
struct AnswerGeneration {
    struct System: Encodable {
        var name: String
        var adapter: String?
        var rag: Bool
    }

    struct Question: Encodable {
        struct Message: Encodable { var role: String; var content: String }
        var id: String
        var messages: [Message]
        var rag_messages: [Message]?
        var reference: String
    }

    struct Request: Encodable {
        var max_new_tokens: Int
        var batch_size: Int
        var max_length: Int
        var systems: [System]
        var questions: [Question]
    }

    struct Result: Decodable {
        struct Answer: Decodable {
            var id: String
            var answer: String
            var prompt_tokens: Int
            var answer_tokens: Int
            var seconds: Double
            var loss_sum: Double
            var loss_tokens: Int
            var chrf: Double
        }

        struct System: Decodable {
            var name: String
            var rag: Bool
            var system_prompt_folded: Bool?
            /// nil when no reference kept a token to score (all truncated away).
            var loss: Double?
            var perplexity: Double?
            var chrf: Double
            var generation_seconds: Double
            var generated_tokens: Int
            var answers: [Answer]
        }

        var device: String
        var threads: Int?
        var systems: [System]
    }

    static func messages(_ chat: [ChatMessage]) -> [Question.Message] {
        chat.map { Question.Message(role: $0.role.rawValue, content: $0.content) }
    }

    /// Runs the generator; `workDirectory` must be private (the request holds conversations).
    static func run(
        _ request: Request, baseModel: String, chatTemplate: String?, trainer: TrainerEnvironment, workDirectory: URL, quiet: Bool
    ) throws -> Result {
        let requestFile = workDirectory.appendingPathComponent("request.json")
        let resultFile = workDirectory.appendingPathComponent("result.json")
        try JSONEncoder().encode(request).write(to: requestFile, options: .atomic)
        var arguments = ["--base-model", baseModel, "--request", requestFile.path, "--out", resultFile.path]
        if let chatTemplate { arguments += ["--chat-template", chatTemplate] }
        switch TrainerProcess.run(trainer, script: "eval_answers.py", arguments: arguments, quietStdout: quiet) {
        case .finished:
            break
        case .unusable(let status):
            throw CoachSpoolError(.unusable, "the answer generator refused its inputs (exit status \(status)); its message is above")
        case .failed(let status):
            throw CoachSpoolError(.trainingFailed, "the answer generator failed (exit status \(status))")
        case .interrupted(let signal):
            throw CoachSpoolError(.trainingFailed, "the answer generator was interrupted (signal \(signal))")
        }
        guard let data = FileManager.default.contents(atPath: resultFile.path) else {
            throw CoachSpoolError(.trainingFailed, "the answer generator wrote no result", file: resultFile.path)
        }
        do {
            return try JSONDecoder().decode(Result.self, from: data)
        } catch {
            throw CoachSpoolError(.trainingFailed, "the answer generator's result is not what this version reads", file: resultFile.path, underlying: error)
        }
    }
}
