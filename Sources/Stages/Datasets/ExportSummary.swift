/// What an export wrote, accumulated record by record in constant memory (token counts go into
/// a histogram): the numbers of `manifest.json`.
public struct ExportSummary: Sendable {
    public private(set) var examples: [DatasetSplit.Part: Int] = [:]
    public private(set) var conversations: [DatasetSplit.Part: Int] = [:]
    public private(set) var examplesByMode: [String: Int] = [:]
    /// Examples made from reviewers' corrections (`ExampleBuilder`, "Reviews").
    public private(set) var fromCorrections = 0
    /// Excluded examples by reason: the validator's reasons, and `duplicate`.
    public private(set) var excluded: [String: Int] = [:]
    public private(set) var tokens: [DatasetSplit.Part: Int] = [:]
    /// Microseconds since the epoch: the earliest and latest exchange exported.
    public private(set) var firstAt: Int64?
    public private(set) var lastAt: Int64?
    private var tokenHistogram: [Int: Int] = [:]
    private var lastConversation: String?

    public init() {}

    public mutating func excluded(_ reason: String) {
        excluded[reason, default: 0] += 1
    }

    /// Records are added in conversation order, so a new key is a new conversation.
    public mutating func add(
        part: DatasetSplit.Part, conversation: String, mode: String, tokens count: Int, firstAt: Int64, lastAt: Int64,
        fromCorrection: Bool = false
    ) {
        examples[part, default: 0] += 1
        if fromCorrection { fromCorrections += 1 }
        if conversation != lastConversation {
            conversations[part, default: 0] += 1
            lastConversation = conversation
        }
        examplesByMode[mode, default: 0] += 1
        tokens[part, default: 0] += count
        tokenHistogram[count, default: 0] += 1
        self.firstAt = min(self.firstAt ?? firstAt, firstAt)
        self.lastAt = max(self.lastAt ?? lastAt, lastAt)
    }

    public var totalExamples: Int { examples.values.reduce(0, +) }
    public var totalTokens: Int { tokens.values.reduce(0, +) }
    public var totalExcluded: Int { excluded.values.reduce(0, +) }

    public struct TokenStatistics: Sendable, Equatable {
        public var min: Int
        public var median: Int
        public var p95: Int
        public var max: Int
    }

    /// Nearest-rank percentiles over the exported examples; nil when there are none.
    public var tokenStatistics: TokenStatistics? {
        let total = totalExamples
        guard total > 0 else { return nil }
        let sorted = tokenHistogram.sorted { $0.key < $1.key }
        func percentile(_ p: Double) -> Int {
            let rank = max(1, Int((p * Double(total)).rounded(.up)))
            var seen = 0
            for (value, count) in sorted {
                seen += count
                if seen >= rank { return value }
            }
            return sorted.last!.key
        }
        return TokenStatistics(min: sorted.first!.key, median: percentile(0.5), p95: percentile(0.95), max: sorted.last!.key)
    }
}
