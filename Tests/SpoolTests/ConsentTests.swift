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
    }
}
