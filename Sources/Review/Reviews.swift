import CoachSpoolCore
import Foundation
import LibPQ
import Stages

/// The review queue and decisions (issue 30), on `coachspool.review_queue`,
/// `coachspool.review_next` and `coachspool.review_decide`: what `serve`'s API, its console and
/// `coachspool review` all call. A corrected answer is redacted here, before the database, with
/// the workers' redactor (names included); the conversation stage redacts it again with the
/// conversation's pseudonyms.
public struct Reviews: Sendable {
    public let redactor: Redactor

    public init(redactor: Redactor = Redactor()) {
        self.redactor = redactor
    }

    /// A decision as the API, the console and the CLI take it.
    public enum Decision: String, Sendable, CaseIterable {
        case approve, reject, correct
    }

    /// Which items: optionally one mode and one language.
    public struct Filter: Sendable, Equatable {
        public var mode: Mode?
        public var language: String?

        public init(mode: Mode? = nil, language: String? = nil) {
            self.mode = mode
            self.language = language
        }
    }

    /// The largest page of `queue`.
    public static let maximumPage = 500

    /// The next item for `reviewer`, held for the lease (`review_settings.lease_seconds`); the one
    /// it already holds comes back first. Nil: nothing waits.
    public func next(_ conn: PGConnection, reviewer: ReviewerID, filter: Filter = Filter()) throws -> ReviewItem? {
        try conn.query(PGQuery(
            unsafeSQL: "SELECT \(ReviewItem.columns) FROM coachspool.review_next($1, $2, $3)",
            binds: [reviewer.rawValue, filter.mode?.rawValue, filter.language]
        )).first.map(ReviewItem.init(row:))
    }

    /// The items waiting, newest received first (`limit` of them, at most `maximumPage`), without holding any.
    public func queue(_ conn: PGConnection, limit: Int, filter: Filter = Filter()) throws -> [ReviewItem] {
        try conn.query(PGQuery(
            unsafeSQL: """
                SELECT \(ReviewItem.columns) FROM coachspool.review_queue
                 WHERE ($1::text IS NULL OR mode = $1) AND ($2::text IS NULL OR language = $2)
                 ORDER BY interaction_id DESC LIMIT $3
                """,
            binds: [filter.mode?.rawValue, filter.language, String(min(max(limit, 1), Self.maximumPage))]
        )).map(ReviewItem.init(row:))
    }

    /// One item of the queue by its interaction id; nil when it does not wait for review.
    public func item(_ conn: PGConnection, interaction: Int64) throws -> ReviewItem? {
        try conn.query(PGQuery(
            unsafeSQL: "SELECT \(ReviewItem.columns) FROM coachspool.review_queue WHERE interaction_id = $1",
            binds: [String(interaction)]
        )).first.map(ReviewItem.init(row:))
    }

    /// A recorded decision (the history of an interaction, newest first): no text but the reason.
    public struct Recorded: Sendable, Equatable {
        public var id: Int64
        public var decision: Decision
        public var reviewer: String
        public var decidedAt: Date
        public var corrected: Bool
    }

    public func history(_ conn: PGConnection, interaction: Int64) throws -> [Recorded] {
        try conn.query("""
            SELECT id, decision, reviewer, extract(epoch FROM decided_at)::float8, corrected_answer IS NOT NULL
              FROM coachspool.reviews WHERE interaction_id = \(interaction) ORDER BY id DESC
            """).map { row in
            Recorded(
                id: try row.decode(Int64.self, at: 0), decision: Decision(rawValue: try row.decode(String.self, at: 1)) ?? .reject,
                reviewer: try row.decode(String.self, at: 2), decidedAt: Date(timeIntervalSince1970: try row.decode(Double.self, at: 3)),
                corrected: try row.decode(Bool.self, at: 4))
        }
    }

    /// Why a decision cannot be recorded, by the field at fault (the API's 400, the CLI's error).
    public struct Invalid: Error, Sendable, Equatable {
        public var field: String
        public var message: String
    }

    /// Checks a decision's fields before the database: the correction only with `correct` (and
    /// then required, not blank), each text within its limit. Never quotes a value.
    public static func validate(_ decision: Decision, correctedAnswer: String?, reason: String?) throws(Invalid) {
        if let problem = correctedAnswer.flatMap(InputLimits.correctedAnswer.problem) {
            throw Invalid(field: "corrected_answer", message: problem)
        }
        if let problem = reason.flatMap(InputLimits.reviewReason.problem) { throw Invalid(field: "reason", message: problem) }
        switch (decision, correctedAnswer) {
        case (.correct, nil):
            throw Invalid(field: "corrected_answer", message: "expected the corrected answer (a decision correct needs one)")
        case (.correct, let answer?) where answer.allSatisfy(\.isWhitespace):
            throw Invalid(field: "corrected_answer", message: "expected the corrected answer, not blank")
        case (.approve, _?), (.reject, _?):
            throw Invalid(field: "corrected_answer", message: "only a decision correct takes one")
        default: break
        }
    }

    /// Records a decision (validated, the correction redacted first) and returns its id. The
    /// database refuses an interaction it does not know (23503), one whose user has no training
    /// consent (55000), and one another reviewer holds (55006).
    @discardableResult
    public func decide(
        _ conn: PGConnection, interaction: Int64, decision: Decision, reviewer: ReviewerID,
        correctedAnswer: String? = nil, reason: String? = nil
    ) throws -> Int64 {
        try Self.validate(decision, correctedAnswer: correctedAnswer, reason: reason)
        let redacted = correctedAnswer.map { redactor.redact($0).text }
        return try conn.query(PGQuery(
            unsafeSQL: "SELECT coachspool.review_decide($1::bigint, $2, $3, $4, $5)",
            binds: [String(interaction), decision.rawValue, reviewer.rawValue, redacted, reason]
        )).scalar(Int64.self)
    }
}
