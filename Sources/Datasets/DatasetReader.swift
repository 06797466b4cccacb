import CoachSpoolCore
import Foundation
import LibPQ
import Stages

/// Reads the stored examples of one version for an export, in conversation-key order, through a
/// cursor (constant memory). Each row says whether it duplicates the content of an example of a
/// smaller conversation key, so that the export keeps the first and counts the rest.
public struct DatasetReader: Sendable {
    public struct Filter: Sendable {
        public var version: String
        public var mode: Mode?
        /// Only examples whose conversation's last exchange is at or after this time.
        public var since: Date?

        public init(version: String, mode: Mode? = nil, since: Date? = nil) {
            self.version = version
            self.mode = mode
            self.since = since
        }
    }

    public struct Row: Sendable {
        public var conversation: String
        public var record: DatasetRecord
        public var mode: String
        public var firstAt: Int64
        public var lastAt: Int64
        public var isDuplicate: Bool
        /// Made from a reviewer's correction (`ExampleBuilder`, "Reviews").
        public var fromReview: Bool
        /// The cookbook token count of `record`'s messages as the conversation stage stored it
        /// (`examples.tokens`, the same counter); nil for the other sources, whose stored counts
        /// are of another shape.
        public var storedTokens: Int?
    }

    public let source: DatasetFormat.Source
    public let filter: Filter

    public init(source: DatasetFormat.Source, filter: Filter) {
        self.source = source
        self.filter = filter
    }

    /// The version most recently built, which an export uses unless told otherwise.
    public static func latestVersion(_ conn: PGConnection) throws -> String? {
        try conn.query("""
            SELECT version FROM coachspool.conversation_builds GROUP BY version ORDER BY max(built_at) DESC LIMIT 1
            """).first.map { try $0.decode(String.self, at: 0) }
    }

    /// Calls `body` with each page of rows, in order; a page's rows are decoded on several
    /// threads (`ParallelMap`: the stored JSON of each is most of an export's reading). `afterLast`
    /// runs after the last page, in the snapshot the rows were read in.
    public func forEachPage(
        _ conn: PGConnection, pageSize: Int = 2000, afterLast: ((PGConnection) throws -> Void)? = nil, _ body: ([Row]) throws -> Void
    ) throws {
        let (source, decoder) = (source, JSONDecoder())
        try conn.forEachPage(of: query, pageSize: pageSize, afterLastPage: afterLast) { page in
            try body(try ParallelMap.map(Array(page.indices)) { try Self.decode(page[$0], source: source, decoder: decoder) })
        }
    }

    private static func decode(_ row: PGRow, source: DatasetFormat.Source, decoder: JSONDecoder) throws -> Row {
        func messages(at column: Int) throws -> [ChatMessage] {
            var json = try row.decode(String.self, at: column)
            // The byte scanner where it is sure, else the decoder (the same messages, or its error).
            return try json.withUTF8 { ChatMessage.messages(json: $0) } ?? decoder.decode([ChatMessage].self, from: Data(json.utf8))
        }
        let own = Column.sourceOwn
        let record: DatasetRecord = switch source {
        case .examples: .conversation(messages: try messages(at: Column.json))
        case .preferencePairs:
            .preference(input: try messages(at: Column.json), preferred: try row.decode(String.self, at: own), nonPreferred: try row.decode(String.self, at: own + 1))
        case .feedbackExamples:
            .feedback(prompt: try messages(at: Column.json), completion: try row.decode(String.self, at: own), label: try row.decode(Bool.self, at: own + 1))
        }
        return Row(
            conversation: try row.decode(String.self, at: Column.key), record: record,
            mode: try row.decode(String.self, at: Column.mode), firstAt: try row.decode(Int64.self, at: Column.firstAt),
            lastAt: try row.decode(Int64.self, at: Column.lastAt), isDuplicate: try row.decode(Bool.self, at: Column.isDuplicate),
            fromReview: try row.decode(Bool.self, at: Column.fromReview),
            storedTokens: source == .examples ? try row.decode(Int.self, at: own) : nil)
    }

    /// The query's columns, in its SELECT order.
    private enum Column {
        static let key = 0, json = 1, mode = 2, firstAt = 3, lastAt = 4, isDuplicate = 5, fromReview = 6
        /// The first of the source's own columns (tokens | preferred, non-preferred | completion, label).
        static let sourceOwn = 7
    }

    /// Columns (`Column`): key, messages/input/prompt as JSON, mode, first and last time (µs),
    /// duplicate, from a review, then the source's own (tokens | preferred, non-preferred |
    /// completion, label).
    private var query: PGQuery {
        // Several records of one conversation are ordered (and deduplicated) by the `within`
        // columns: the conversation as it happened before its corrections; turns in order.
        let (table, json, review, extra, within) = switch source {
        case .examples: ("examples", "messages", "x.branch <> 0", ", x.tokens", ["branch"])
        case .preferencePairs:
            ("preference_pairs", "input", "x.from_review", ", x.preferred, x.non_preferred", ["turn_index", "non_preferred_interaction"])
        case .feedbackExamples: ("feedback_examples", "prompt", "x.from_review", ", x.completion, x.label", ["interaction_id", "label"])
        }
        func row(_ alias: String) -> String { "(" + within.map { "\(alias).\($0)" }.joined(separator: ", ") + ")" }
        let since = filter.since.map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) }
        return PGQuery(unsafeSQL: """
            SELECT c.key, x.\(json)::text, b.mode,
                   (extract(epoch FROM b.first_at) * 1000000)::bigint, (extract(epoch FROM b.last_at) * 1000000)::bigint,
                   EXISTS (SELECT 1 FROM coachspool.\(table) d JOIN coachspool.conversations dc ON dc.id = d.conversation_id
                            WHERE d.version = x.version AND d.content_hash = x.content_hash
                              AND (dc.key < c.key OR (dc.key = c.key AND \(row("d")) < \(row("x"))))), \(review)\(extra)
              FROM coachspool.\(table) x
              JOIN coachspool.conversation_builds b USING (conversation_id, version)
              JOIN coachspool.conversations c ON c.id = x.conversation_id
             WHERE x.version = $1
               AND ($2::text IS NULL OR b.mode = $2)
               AND ($3::bigint IS NULL OR b.last_at >= timestamptz 'epoch' + $3::bigint * interval '1 microsecond')
             ORDER BY c.key, \(within.map { "x." + $0 }.joined(separator: ", "))
            """, binds: [filter.version, filter.mode?.rawValue, since.map(String.init)])
    }
}
