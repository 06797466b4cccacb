import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    @Suite struct ConsentTests {
        @Test func consentIsSetByTheCLIAndBySQLAndCountedInTheCoverageView() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                for user in ["anna", "erik"] {
                    try conn.query("""
                        SELECT coachspool.log_interaction(p_user_input => 'Hur planerar jag veckan bäst?',
                               p_ai_response => 'Börja med det som redan är bestämt och lägg in fokuspass.',
                               p_user_id => \(user), p_session_id => \(user))
                        """)
                }
                let granted = try await CoachSpoolProcess.run(["consent", "grant", "anna", "--purpose", "training"], database: db)
                #expect(granted.status == 0, "\(granted.err)")
                #expect(granted.out.contains("training consent granted"))
                #expect(!granted.out.contains("anna") && !granted.err.contains("anna"))
                let again = try await CoachSpoolProcess.run(["consent", "grant", "anna", "--purpose", "training"], database: db)
                #expect(again.out.contains("(unchanged)"))
                #expect(try db.scalar("SELECT coachspool.set_consent('erik', 'retrieval', true)", as: Bool.self))
                #expect(try await CoachSpoolProcess.run(["consent", "revoke", "erik", "--purpose", "retrieval"], database: db).status == 0)
                #expect(try db.scalar("SELECT granted FROM coachspool.consents WHERE user_id = 'erik'", as: Bool.self) == false)
                #expect(try db.scalar("SELECT users_granted FROM coachspool.consent_coverage WHERE purpose = 'training'", as: Int.self) == 1)
                #expect(try db.scalar("SELECT users_granted FROM coachspool.consent_coverage WHERE purpose = 'retrieval'", as: Int.self) == 0)
                let bad = try await CoachSpoolProcess.run(["consent", "grant", "anna", "--purpose", "marketing"], database: db)
                #expect(bad.status != 0)
            }
        }
    
        /// Backfills carry consent given earlier; they never override a recorded decision.
        @Test func ingestedLinesRecordConsentWithoutOverridingDecisions() async throws {
            try await TestDatabase.with { db in
                #expect(try db.scalar("SELECT coachspool.set_consent('erik', 'training', false)", as: Bool.self))
                let file = temporaryFile("consent.jsonl")
                let exchange = #""timestamp": "2025-10-01T10:00:00Z", "user_input": "Hur planerar jag veckan?", "ai_response": "Börja med det som redan är bestämt, och lägg in fokuspass.""#
                try """
                    {\(exchange), "user_id": "anna", "consent": {"training": true, "retrieval": false}}
                    {\(exchange), "user_id": "erik", "session_id": "e1", "consent": {"training": true}}
                    {\(exchange), "session_id": "x", "consent": {"training": true}}
                    {\(exchange), "user_id": "olle", "session_id": "o1", "consent": {"training": "yes"}}

                    """.write(to: file, atomically: true, encoding: .utf8)
                let result = try await CoachSpoolProcess.run(["ingest", file.path], database: db)
                #expect(result.status == 3)
                #expect(result.err.contains("line 3: consent: needs user_id"))
                #expect(result.err.contains("line 4: consent.training: expected true or false"))
                let rows = try db.connect().query("SELECT user_id || ':' || purpose || ':' || granted || ':' || source FROM coachspool.consents ORDER BY 1")
                #expect(try rows.map { try $0.decode(String.self, at: 0) } == [
                    "anna:retrieval:false:ingest", "anna:training:true:ingest", "erik:training:false:app",
                ])
            }
        }
    }
}
