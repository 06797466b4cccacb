import Foundation
import LibPQ
import Stages

/// One exchange waiting for review, as `coachspool.review_queue` shows it: redacted texts only,
/// the session's earlier exchanges (redacted) as context, the user's feedback and why it is in
/// the queue. Never the user id or the session id.
public struct ReviewItem: Sendable, Equatable {
    public struct Exchange: Sendable, Equatable, Codable {
        public var user: String
        public var assistant: String
    }

    /// Why an exchange waits: a rating below the filter's minimum, `helpful: false`, or the
    /// random sample of accepted ones (quality control).
    public enum Why: String, Sendable, CaseIterable {
        case lowRating = "low_rating", notHelpful = "not_helpful", sample
    }

    public var interactionID: Int64
    public var mode: String
    public var language: String?
    public var occurredAt: Date
    public var userInput: String
    public var aiResponse: String
    public var rating: Int?
    public var helpful: Bool?
    public var why: Why
    /// The quality filter's reasons (empty when it accepted the answer).
    public var reasons: [String]
    /// Earlier exchanges of the session, oldest first (at most 10).
    public var context: [Exchange]
    /// Until when a reviewer holds the item (`review_next`), if one does.
    public var leasedUntil: Date?

    /// The columns of `review_queue` and `review_next`, in this order.
    static let columns = """
        interaction_id, mode, language, extract(epoch FROM occurred_at)::float8, user_input, ai_response, rating, helpful, why,
        array_to_json(reasons)::text, context::text, extract(epoch FROM leased_until)::float8
        """

    init(row: PGRow) throws {
        interactionID = try row.decode(Int64.self, at: 0)
        mode = try row.decode(String.self, at: 1)
        language = try row.decode(String?.self, at: 2)
        occurredAt = Date(timeIntervalSince1970: try row.decode(Double.self, at: 3))
        userInput = try row.decode(String.self, at: 4)
        aiResponse = try row.decode(String.self, at: 5)
        rating = try row.decode(Int?.self, at: 6)
        helpful = try row.decode(Bool?.self, at: 7)
        let why = try row.decode(String.self, at: 8)
        guard let reason = Why(rawValue: why) else { throw PGError(code: .decoding, message: "review_queue.why: unknown value") }
        self.why = reason
        reasons = try JSONDecoder().decode([String].self, from: Data(try row.decode(String.self, at: 9).utf8))
        context = try JSONDecoder().decode([Exchange].self, from: Data(try row.decode(String.self, at: 10).utf8))
        leasedUntil = try row.decode(Double?.self, at: 11).map(Date.init(timeIntervalSince1970:))
    }

    /// The item as a JSON object (the API's and `review queue --json`'s shape).
    public func write(into json: inout JSONWriter) {
        json.object {
            $0.field("interaction_id") { $0.integer(interactionID) }
            $0.field("mode") { $0.string(mode) }
            $0.field("language") { json in if let language { json.string(language) } else { json.null() } }
            $0.field("occurred_at") { $0.string(ReviewItem.iso(occurredAt)) }
            $0.field("user_input") { $0.string(userInput) }
            $0.field("ai_response") { $0.string(aiResponse) }
            $0.field("rating") { json in if let rating { json.integer(rating) } else { json.null() } }
            $0.field("helpful") { json in if let helpful { json.bool(helpful) } else { json.null() } }
            $0.field("why") { $0.string(why.rawValue) }
            $0.field("reasons") { $0.array(reasons) { $0.string($1) } }
            $0.field("context") {
                $0.array(context) { json, exchange in
                    json.object {
                        $0.field("user") { $0.string(exchange.user) }
                        $0.field("assistant") { $0.string(exchange.assistant) }
                    }
                }
            }
            $0.field("leased_until") { json in if let leasedUntil { json.string(ReviewItem.iso(leasedUntil)) } else { json.null() } }
        }
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }
}
