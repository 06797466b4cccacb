import Foundation

/// The pairwise judge's protocol for `coachspool eval answers`, apart from any I/O: the prompt,
/// reading a reply, and turning replies into verdicts, win rates and the judge's agreement with
/// the users.
///
/// Every pair is judged in both orders, because judges favour a position: a verdict counts only
/// when both orders name the same answer, otherwise the pair is a tie. A judge that always
/// answers "A" therefore decides nothing (every system ties with the base model, win rate 0.5).
public enum PairwiseJudging {
    /// What a judge said about one ordered pair (answers shown as A then B).
    public enum Choice: String, Sendable, Codable { case a = "A", b = "B", unclear }

    /// One pair judged in both orders: the first answer's win, loss, or a tie.
    public enum Verdict: String, Sendable, Codable {
        case win, loss, tie

        /// `shownFirst`: the judge's choice with (first, second) shown as (A, B);
        /// `shownSecond`: with (second, first) shown as (A, B).
        public init(shownFirst: Choice, shownSecond: Choice) {
            switch (shownFirst, shownSecond) {
            case (.a, .b): self = .win
            case (.b, .a): self = .loss
            default: self = .tie
            }
        }

        /// 1, 0 or ½: the verdict's share of a win.
        public var score: Double {
            switch self {
            case .win: 1
            case .loss: 0
            case .tie: 0.5
            }
        }
    }

    /// The prompt: the conversation so far, then the two answers, then the instruction to name
    /// one letter. The conversation's system prompt is left out (it is the coach's, not the judge's).
    public static func prompt(conversation: [ChatMessage], answerA: String, answerB: String) -> String {
        let turns = conversation.filter { $0.role != .system }.map { "\($0.role.rawValue): \($0.content)" }.joined(separator: "\n\n")
        return """
            You compare two answers that an AI coach could give to the last user message of a coaching \
            conversation (personal development or studying with AI; Swedish or English). Judge which \
            answer helps the user more: relevant to what they asked, correct, concrete, kind, and in \
            the user's language. Do not prefer an answer for being longer.

            [Conversation]
            \(turns)
            [End of conversation]

            [Answer A]
            \(answerA)
            [End of answer A]

            [Answer B]
            \(answerB)
            [End of answer B]

            Which answer is better? Reply with one letter only: A or B.
            """
    }

    /// The letter a reply names: the first standalone A or B (case-insensitive), so that
    /// "A", "**B**" and "Answer A is better" read as meant; anything else is unclear.
    public static func choice(fromReply reply: String) -> Choice {
        let scalars = Array(reply.uppercased().unicodeScalars)
        for (index, scalar) in scalars.enumerated() where scalar == "A" || scalar == "B" {
            let before = index == 0 ? nil : scalars[index - 1]
            let after = index + 1 < scalars.count ? scalars[index + 1] : nil
            let isWordCharacter: (Unicode.Scalar?) -> Bool = { $0.map { CharacterSet.alphanumerics.contains($0) } ?? false }
            if !isWordCharacter(before), !isWordCharacter(after) { return scalar == "A" ? .a : .b }
        }
        return .unclear
    }

    /// A system against the base model over the questions.
    public struct WinRate: Sendable, Equatable, Codable {
        public var wins: Int
        public var losses: Int
        public var ties: Int
        /// (wins + ½ ties) / questions.
        public var rate: Double
        /// The bootstrap 95 % interval of `rate` (percentile method, resampling questions).
        public var low: Double
        public var high: Double

        public init(_ verdicts: [Verdict], resamples: Int = 2000, seed: UInt64 = 26) {
            wins = verdicts.count { $0 == .win }
            losses = verdicts.count { $0 == .loss }
            ties = verdicts.count { $0 == .tie }
            let scores = verdicts.map(\.score)
            rate = Bootstrap.mean(scores)
            (low, high) = Bootstrap.interval(scores, resamples: resamples, seed: seed)
        }
    }

    /// How often the judge agrees with the users on pairs they rated differently (the preferred
    /// answer shown first in one order and second in the other).
    public struct Calibration: Sendable, Equatable, Codable {
        /// Pairs judged.
        public var pairs: Int
        /// Pairs whose two orders agreed, and of those, how many picked the users' preferred answer.
        public var decided: Int
        public var agreed: Int
        /// Pairs whose orders disagreed (or a reply was unclear).
        public var ties: Int { pairs - decided }
        /// agreed / decided; nil when nothing was decided.
        public var agreement: Double? { decided == 0 ? nil : Double(agreed) / Double(decided) }

        /// Below this agreement (or with no decided pair) the report says the judge is not to be trusted.
        public static let trustThreshold = 0.6

        public var isTrustworthy: Bool { (agreement ?? 0) >= Self.trustThreshold }

        /// `verdicts`: the users' preferred answer as the first of each pair.
        public init(_ verdicts: [Verdict]) {
            pairs = verdicts.count
            decided = verdicts.count { $0 != .tie }
            agreed = verdicts.count { $0 == .win }
        }
    }
}

/// Bootstrap intervals over per-question values, deterministic (SplitMix64 with a fixed seed).
public enum Bootstrap {
    public static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// The 2.5th and 97.5th percentiles of the mean over `resamples` resamples with replacement.
    public static func interval(_ values: [Double], resamples: Int = 2000, seed: UInt64 = 26) -> (low: Double, high: Double) {
        guard values.count > 1 else { let m = mean(values); return (m, m) }
        var generator = SplitMix64(seed: seed)
        var means = [Double]()
        means.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var sum = 0.0
            for _ in 0..<values.count { sum += values[Int.random(in: 0..<values.count, using: &generator)] }
            means.append(sum / Double(values.count))
        }
        means.sort()
        func percentile(_ p: Double) -> Double { means[min(means.count - 1, max(0, Int((p * Double(means.count - 1)).rounded())))] }
        return (percentile(0.025), percentile(0.975))
    }
}
