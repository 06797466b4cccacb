import CoachSpoolCore
import Foundation
import LibPQ
import Review
import Stages
import Testing

extension DatabaseTests {
    /// The review queue's lease (two reviewers never get the same item, an expired lease hands it
    /// out again), consent, and the review endpoints' tokens and input checks.
    @Suite struct ReviewQueueTests {
        /// `n` low-rated exchanges of a consenting user, prepared by a worker.
        static func lowRated(_ db: TestDatabase, _ n: Int, user: String = "u-review") async throws -> [Int64] {
            let conn = try db.connect()
            let ids = try (0..<n).map { k in
                let id = try conn.query("""
                    SELECT coachspool.log_interaction(p_user_input => \("Hur kommer jag igång med träningen, fråga \(k)?"),
                           p_ai_response => \("Börja i liten skala och öka sedan lite varje vecka, svar \(k)."), p_user_id => \(user), p_mode => 'personal')
                    """).scalar(Int64.self)
                try conn.query("SELECT coachspool.log_feedback(\(id), 1, false)")
                return id
            }
            try conn.query("SELECT coachspool.set_consent(\(user), 'training', true)")
            let work = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
            #expect(work.status == 0, "\(work.err)")
            return ids
        }

        @Test func concurrentReviewersNeverGetTheSameItemAndAnExpiredLeaseComesBack() async throws {
            try await TestDatabase.with { db in
                let ids = try await Self.lowRated(db, 12)
                let url = db.url
                let got = try await withThrowingTaskGroup(of: Int64?.self) { group in
                    for k in 0..<12 {
                        group.addTask {
                            try await Blocking.run {
                                try Reviews().next(try PGConnection(conninfo: url), reviewer: ReviewerID("reviewer:r\(k)")!)?.interactionID
                            }
                        }
                    }
                    return try await group.reduce(into: [Int64?]()) { $0.append($1) }
                }
                #expect(Set(got.compactMap { $0 }) == Set(ids), "twelve reviewers, twelve different items")
                let conn = try db.connect()
                #expect(try Reviews().next(conn, reviewer: ReviewerID("reviewer:late")!) == nil, "every item is held")
                // The same reviewer gets the item it holds back (a reload).
                let held = try #require(try Reviews().next(conn, reviewer: ReviewerID("reviewer:r0")!))
                #expect(got.contains(held.interactionID))
                // A lease that expired is handed out again.
                try conn.query("UPDATE coachspool.review_leases SET expires_at = now() - interval '1 second' WHERE interaction_id = \(held.interactionID)")
                #expect(try Reviews().next(conn, reviewer: ReviewerID("reviewer:late")!)?.interactionID == held.interactionID)
                // Another reviewer cannot decide what one holds; the holder can.
                #expect(throws: PGError.self) {
                    try Reviews().decide(conn, interaction: held.interactionID, decision: .approve, reviewer: ReviewerID("reviewer:r0")!)
                }
                try Reviews().decide(conn, interaction: held.interactionID, decision: .reject, reviewer: ReviewerID("reviewer:late")!, reason: "vague")
                #expect(try Reviews().item(conn, interaction: held.interactionID) == nil, "decided: out of the queue")
            }
        }

        @Test func theNewestReceivedComesFirstAndAReloadKeepsTheHeldItem() async throws {
            try await TestDatabase.with { db in
                let ids = try await Self.lowRated(db, 4)
                let conn = try db.connect()
                #expect(try Reviews().queue(conn, limit: 10).map(\.interactionID) == ids.sorted(by: >))
                let first = try #require(try Reviews().next(conn, reviewer: ReviewerID("reviewer:a")!))
                #expect(first.interactionID == ids.max())
                #expect(try Reviews().next(conn, reviewer: ReviewerID("reviewer:b")!)?.interactionID == ids.sorted(by: >)[1])
                #expect(try Reviews().next(conn, reviewer: ReviewerID("reviewer:a")!)?.interactionID == first.interactionID, "a reload")
                // A filter the held item does not match does not hand it out (nothing else matches).
                #expect(try Reviews().next(conn, reviewer: ReviewerID("reviewer:a")!, filter: Reviews.Filter(mode: .university)) == nil)
            }
        }

        @Test func revokingConsentRemovesItemsAndRefusesDecisions() async throws {
            try await TestDatabase.with { db in
                let ids = try await Self.lowRated(db, 2, user: "u-revoke")
                let conn = try db.connect()
                #expect(try Reviews().queue(conn, limit: 10).count == 2)
                try conn.query("SELECT coachspool.set_consent('u-revoke', 'training', false)")
                #expect(try Reviews().queue(conn, limit: 10).isEmpty)
                do {
                    try Reviews().decide(conn, interaction: ids[0], decision: .correct, reviewer: ReviewerID("reviewer:x")!, correctedAnswer: "Ett bättre svar.")
                    Issue.record("a decision without consent was recorded")
                } catch let error as PGError {
                    #expect(error.sqlState == PGError.SQLState.objectNotInPrerequisiteState)
                }
            }
        }

        /// A correction is redacted before it is stored; bad fields are refused naming the field.
        @Test func aCorrectionIsRedactedBeforeTheDatabaseAndBadFieldsAreNamed() async throws {
            try await TestDatabase.with { db in
                let ids = try await Self.lowRated(db, 1, user: "u-redact")
                let conn = try db.connect()
                try Reviews().decide(
                    conn, interaction: ids[0], decision: .correct, reviewer: ReviewerID("reviewer:x")!,
                    correctedAnswer: "Ring Jonas Berg på 070-123 45 67 eller mejla jonas@example.com.")
                let stored = try conn.query("SELECT corrected_answer FROM coachspool.reviews").scalar(String.self)
                #expect(!stored.contains("Jonas") && !stored.contains("070") && !stored.contains("example.com"), "\(stored)")
                #expect(throws: Reviews.Invalid.self) {
                    try Reviews.validate(.approve, correctedAnswer: "x", reason: nil)
                }
                #expect(throws: Reviews.Invalid.self) { try Reviews.validate(.correct, correctedAnswer: "  ", reason: nil) }
                #expect(throws: Reviews.Invalid.self) { try Reviews.validate(.correct, correctedAnswer: String(repeating: "a", count: 40_000), reason: nil) }
                #expect(throws: Reviews.Invalid.self) { try Reviews.validate(.reject, correctedAnswer: nil, reason: String(repeating: "b", count: 2_000)) }
            }
        }

        /// The review endpoints: a reviewer token gets the queue and decides, and 403 elsewhere;
        /// a bad body is a 400 naming the field.
        @Test func reviewEndpointsTakeReviewerTokensAndNameBadFields() async throws {
            try await TestDatabase.with { db in
                let ids = try await Self.lowRated(db, 2, user: "u-http")
                let api = "api-token-" + String(repeating: "a", count: 30), reviewer = "rev-token-" + String(repeating: "b", count: 30)
                let server = try CoachSpoolProcess(
                    ["serve", "--port", "0", "--embedder", "hash"], database: db,
                    environment: ["COACHSPOOL_API_TOKENS": api, "COACHSPOOL_REVIEWER_TOKENS": reviewer])
                defer { server.signal(SIGKILL) }
                let port = try await HTTPAPITests.port(of: server)
                func call(_ method: String, _ path: String, _ token: String, _ body: String? = nil) async throws -> (Int, String) {
                    var command = "curl -s -o /tmp/cs-review-\(port).out -w '%{http_code}' -X \(method) -H 'Authorization: Bearer \(token)'"
                    if let body { command += " -H 'Content-Type: application/json' --data-binary '\(body)'" }
                    let status = temporaryFile("curl-status")
                    _ = try await runShell(command + " http://127.0.0.1:\(port)\(path) > \(status.path)")
                    let code = Int((try? String(contentsOf: status, encoding: .utf8)) ?? "") ?? -1
                    return (code, (try? String(contentsOfFile: "/tmp/cs-review-\(port).out", encoding: .utf8)) ?? "")
                }
                let (nextStatus, next) = try await call("GET", "/v1/review/next?mode=personal", reviewer)
                #expect(nextStatus == 200 && next.contains("\"interaction_id\""), "\(next)")
                #expect(try await call("GET", "/v1/review/queue?limit=10", reviewer).0 == 200)
                #expect(try await call("POST", "/v1/search", reviewer, "{\"query\":\"x\"}").0 == 403)
                #expect(try await call("GET", "/v1/review/queue?limit=0", api).0 == 400)
                let (badStatus, bad) = try await call("POST", "/v1/review", api, "{\"interaction_id\":\(ids[1]),\"decision\":\"correct\"}")
                #expect(badStatus == 400 && bad.contains("corrected_answer"), "\(bad)")
                #expect(try await call("POST", "/v1/review", api, "{\"interaction_id\":\(ids[1]),\"decision\":\"maybe\"}").0 == 400)
                #expect(try await call("POST", "/v1/review", api, "{\"interaction_id\":999999,\"decision\":\"approve\"}").0 == 404)
                let held = ids.first { next.contains("\"interaction_id\":\($0)") }!
                #expect(try await call("POST", "/v1/review", api, "{\"interaction_id\":\(held),\"decision\":\"approve\"}").0 == 409, "held by the reviewer")
                let (created, answer) = try await call("POST", "/v1/review", reviewer, "{\"interaction_id\":\(held),\"decision\":\"approve\"}")
                #expect(created == 201, "\(answer)")
            }
        }
    }
}
