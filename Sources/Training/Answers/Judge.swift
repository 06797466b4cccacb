import CoachSpoolCore
import Dispatch
import Embeddings
import Foundation
import Stages
import Synchronization

/// The pairwise judge: any OpenAI-compatible chat endpoint (`--judge-model` or
/// `COACHSPOOL_JUDGE_MODEL`, at the endpoint and key configured for embeddings). Every pair is
/// asked in both orders (`PairwiseJudging`); requests run a few at a time.
struct Judge: Sendable {
    let client: ChatClient
    /// Requests in flight at once.
    var width = 4

    struct Pair: Sendable {
        var conversation: [ChatMessage]
        var first: String
        var second: String
    }

    /// The first answer's verdict for each pair.
    func verdicts(_ pairs: [Pair]) throws -> [PairwiseJudging.Verdict] {
        let prompts = pairs.flatMap { pair in
            [PairwiseJudging.prompt(conversation: pair.conversation, answerA: pair.first, answerB: pair.second),
             PairwiseJudging.prompt(conversation: pair.conversation, answerA: pair.second, answerB: pair.first)]
        }
        let choices = try ask(prompts)
        return pairs.indices.map { PairwiseJudging.Verdict(shownFirst: choices[2 * $0], shownSecond: choices[2 * $0 + 1]) }
    }

    private func ask(_ prompts: [String]) throws -> [PairwiseJudging.Choice] {
        let state = Mutex((next: 0, choices: [PairwiseJudging.Choice?](repeating: nil, count: prompts.count), error: (any Error)?.none))
        let client = client
        DispatchQueue.concurrentPerform(iterations: max(1, min(width, prompts.count))) { _ in
            while true {
                let index: Int? = state.withLock { state in
                    guard state.error == nil, state.next < prompts.count else { return nil }
                    defer { state.next += 1 }
                    return state.next
                }
                guard let index else { return }
                do {
                    let choice = PairwiseJudging.choice(fromReply: try client.complete(prompts[index]))
                    state.withLock { $0.choices[index] = choice }
                } catch {
                    state.withLock { $0.error = $0.error ?? error }
                }
            }
        }
        return try state.withLock { state in
            if let error = state.error {
                throw CoachSpoolError(.endpoint, "the judge (\(client.model)) failed", underlying: error)
            }
            return state.choices.map { $0 ?? .unclear }
        }
    }
}
