import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// Erasure and least-privilege roles (issue 6).
    @Suite struct PrivacyTests {
        /// Every base table of the schema, checked for `pattern` (a regular expression) in any
        /// column of any row.
        static func tablesContaining(_ pattern: String, in db: TestDatabase) throws -> [String] {
            let conn = try db.connect()
            let tables = try conn.query("SELECT tablename FROM pg_tables WHERE schemaname = 'coachspool' ORDER BY 1")
                .map { try $0.decode(String.self, at: 0) }
            #expect(tables.count >= 15)
            return try tables.filter { table in
                let name = try conn.quoteIdentifier(table)
                return try conn.query(PGQuery(
                    unsafeSQL: "SELECT count(*) FROM coachspool.\(name) x WHERE x::text ~ $1", binds: [pattern]
                )).scalar(Int.self) > 0
            }
        }

        @Test func eraseRemovesThePersonFromEveryTableAndRebuildsSharedConversations() async throws {
            try await TestDatabase.with { db in
                try await DatasetTests.prepare(db)
                // A session shared by anna and olle (both consent), through the app's SQL API.
                for (user, question) in [("anna", "Hur skriver jag en bra sammanfattning av en uppsats?"),
                                         ("olle", "Hur förbereder jag mig inför tentan på bästa sätt?")] {
                    try db.execute("SELECT coachspool.set_consent(\(user), 'training', true)")
                    try db.execute("""
                        SELECT coachspool.log_interaction(p_user_input => \(question),
                               p_ai_response => 'Börja med syftet, sedan metoden och de viktigaste resultaten, i egna ord.',
                               p_session_id => 's-shared', p_turn_index => \(user == "anna" ? 0 : 1), p_user_id => \(user),
                               p_rating => 5, p_helpful => true)
                        """)
                }
                try await DatasetTests.drain(db)
                let annaPatterns = [#"\manna\M"#, "s-anna", "uppsats", "Redovisa alltid"]
                for pattern in annaPatterns {
                    #expect(try !Self.tablesContaining(pattern, in: db).isEmpty, "\(pattern) should be there before")
                }

                let erase = try await CoachSpoolProcess.run(["erase", "--user", "anna"], database: db)
                #expect(erase.status == 0, "\(erase.err)")
                #expect(erase.out.contains("interactions 5"), "\(erase.out)")
                #expect(!(erase.out + erase.err).contains("anna"), "the id is never printed or logged")
                for pattern in annaPatterns {
                    #expect(try Self.tablesContaining(pattern, in: db) == [], "\(pattern) is still somewhere")
                }

                // olle's part of the shared session is rebuilt without anna's turn.
                try await DatasetTests.drain(db)
                let messages = try db.scalar("""
                    SELECT e.messages::text FROM coachspool.examples e JOIN coachspool.conversations c ON c.id = e.conversation_id
                     WHERE c.key = 's:s-shared'
                    """, as: String.self)
                #expect(messages.contains("tentan") && !messages.contains("uppsats"))
                for pattern in annaPatterns {
                    #expect(try Self.tablesContaining(pattern, in: db) == [], "\(pattern) came back after processing")
                }
            }
        }

        /// The derived rows have no foreign keys (schema/0022): what a completion in flight writes
        /// under its locks is committed before an erasure can lock the same rows, and the erasure
        /// then deletes it. Either the interaction stage's completion (the interactions FOR KEY
        /// SHARE, then the conversation FOR UPDATE) or a conversation job's (the conversation only).
        @Test(arguments: [true, false])
        func anErasureWaitsForACompletionInFlightAndDeletesWhatItWrote(interactionStage: Bool) async throws {
            try await TestDatabase.with { db in
                try await DatasetTests.prepare(db)
                let conversation = try db.scalar("SELECT id FROM coachspool.conversations WHERE key = 's:s-anna'", as: Int64.self)
                func derivedRowsOfAnna() throws -> Int {
                    try db.scalar("""
                        SELECT (SELECT count(*) FROM coachspool.quality_verdicts v
                                  JOIN coachspool.interactions i ON i.id = v.interaction_id WHERE i.user_id = 'anna')
                             + (SELECT count(*) FROM coachspool.interaction_texts t
                                  JOIN coachspool.interactions i ON i.id = t.interaction_id WHERE i.user_id = 'anna')
                             + (SELECT count(*) FROM coachspool.conversation_builds WHERE conversation_id = \(conversation))
                             + (SELECT count(*) FROM coachspool.examples WHERE conversation_id = \(conversation))
                        """, as: Int.self)
                }
                let prepared = try derivedRowsOfAnna()
                #expect(prepared >= 4)

                // A completion in flight: the locks a worker's completion takes, and rows of a
                // new version written under them, not committed yet.
                let worker = try db.connect()
                try worker.execute(unsafeSQL: "BEGIN")
                if interactionStage {
                    try worker.query("SELECT id FROM coachspool.interactions WHERE user_id = 'anna' ORDER BY id FOR KEY SHARE")
                }
                try worker.query("SELECT id FROM coachspool.conversations WHERE id = \(conversation) FOR UPDATE")
                let written = (interactionStage ? ["quality_verdicts", "interaction_texts"] : []) + ["conversation_builds", "examples"]
                for table in written {
                    let column = table == "quality_verdicts" ? "pipeline_version" : table == "interaction_texts" ? "text_version" : "version"
                    try worker.execute(unsafeSQL: """
                        CREATE TEMP TABLE in_flight AS SELECT * FROM coachspool.\(table);
                        UPDATE in_flight SET \(column) = 'in-flight';
                        INSERT INTO coachspool.\(table) SELECT * FROM in_flight;
                        DROP TABLE in_flight
                        """)
                }
                let erasure = Task { try await CoachSpoolProcess.run(["erase", "--user", "anna"], database: db) }
                var waited = 0
                while try db.scalar("""
                    SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%erase_user%'
                    """, as: Int.self) == 0 {
                    waited += 1
                    #expect(waited < 300, "the erasure never waited for the completion's locks")
                    if waited >= 300 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                try worker.execute(unsafeSQL: "COMMIT")
                let result = try await erasure.value
                #expect(result.status == 0, "\(result.err)")
                #expect(try derivedRowsOfAnna() == 0)
                for pattern in [#"\manna\M"#, "s-anna"] {
                    #expect(try Self.tablesContaining(pattern, in: db) == [], "\(pattern) is still somewhere")
                }
            }
        }

        @Test func theProducerCanOnlyLogAndReadsNothing() async throws {
            try await TestDatabase.with { db in
                try await DatasetTests.prepare(db)
                let conn = try db.connect()
                try conn.execute(unsafeSQL: "SET ROLE coachspool_producer")
                let id = try conn.query("""
                    SELECT coachspool.log_interaction(p_user_input => 'Hur hittar jag motivation att plugga?',
                           p_ai_response => 'Sätt ett litet delmål för i dag och belöna dig när det är klart.', p_user_id => 'pia')
                    """).scalar(Int64.self)
                try conn.query("SELECT coachspool.log_feedback(\(id), 4, true)")
                #expect(try conn.query("SELECT coachspool.set_consent('pia', 'training', true)").scalar(Bool.self))
                for query in [
                    "SELECT user_input FROM coachspool.interactions LIMIT 1",
                    "SELECT user_input FROM coachspool.interaction_texts LIMIT 1",
                    "SELECT user_input FROM coachspool.prepared_interactions LIMIT 1",
                    "SELECT messages FROM coachspool.examples LIMIT 1",
                    "SELECT * FROM coachspool.dataset_overview LIMIT 1",
                    "SELECT rating FROM coachspool.feedback LIMIT 1",
                    "SELECT rating FROM coachspool.all_feedback LIMIT 1",
                    "SELECT * FROM coachspool.consents LIMIT 1",
                    "SELECT * FROM coachspool.erase_user('anna')",
                    "UPDATE coachspool.interactions SET user_input = 'x'",
                ] {
                    #expect(throws: PGError.self, "\(query)") { try conn.query(PGQuery(unsafeSQL: query)) }
                    #expect(Self.lastSQLState(conn, query) == "42501", "\(query)")
                }

                let worker = try db.connect()
                try worker.execute(unsafeSQL: "SET ROLE coachspool_worker")
                #expect(try worker.query("SELECT count(*) FROM coachspool.interactions").scalar(Int.self) == 6, "anna 4, erik 1, pia 1")
                #expect(Self.lastSQLState(worker, "SELECT * FROM coachspool.erase_user('anna')") == "42501")
                #expect(Self.lastSQLState(worker, "DROP TABLE coachspool.jobs") == "42501")

                let admin = try db.connect()
                try admin.execute(unsafeSQL: "SET ROLE coachspool_admin")
                #expect(try admin.query("SELECT count(*) FROM coachspool.dataset_overview").scalar(Int.self) > 0)
                #expect(try admin.query("SELECT count(*) FROM coachspool.pipeline_progress").scalar(Int.self) >= 2)
                #expect(Self.lastSQLState(admin, "DELETE FROM coachspool.interactions") == "42501")
            }
        }

        /// Runs `sql` expecting a failure and returns its SQLSTATE.
        static func lastSQLState(_ conn: PGConnection, _ sql: String) -> String? {
            do {
                try conn.query(PGQuery(unsafeSQL: sql))
                return nil
            } catch {
                return error.sqlState
            }
        }
    }
}
