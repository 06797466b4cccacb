import Foundation
import LibPQ

/// `coachspool.audit_log`: who did what in the console and the review API, and when. Ids and
/// counts only, never a text (decisions are written by `coachspool.review_decide` itself).
public enum AuditLog {
    /// What can be audited: the one list of action names.
    public enum Action: String, Sendable, CaseIterable {
        case signIn = "console.sign_in", signOut = "console.sign_out"
        case retryJob = "jobs.retry", discardJob = "jobs.discard"
        case retryMatching = "jobs.retry_matching", discardMatching = "jobs.discard_matching"
    }

    public static func record(_ conn: PGConnection, actor: ReviewerID, action: Action, target: String? = nil, items: Int? = nil) throws {
        try conn.query("""
            INSERT INTO coachspool.audit_log (actor, action, target, items)
            VALUES (\(actor.rawValue), \(action.rawValue), \(target), \(items.map(Int64.init)))
            """)
    }

    public struct Entry: Sendable, Equatable {
        public var at: Date
        public var actor: String
        public var action: String
        public var target: String?
        public var items: Int?
    }

    /// The newest entries.
    public static func recent(_ conn: PGConnection, limit: Int = 50) throws -> [Entry] {
        try conn.query("""
            SELECT extract(epoch FROM at)::float8, actor, action, target, items FROM coachspool.audit_log ORDER BY id DESC LIMIT \(limit)
            """).map {
            Entry(at: Date(timeIntervalSince1970: try $0.decode(Double.self, at: 0)), actor: try $0.decode(String.self, at: 1),
                  action: try $0.decode(String.self, at: 2), target: try $0.decode(String?.self, at: 3), items: try $0.decode(Int?.self, at: 4))
        }
    }
}
