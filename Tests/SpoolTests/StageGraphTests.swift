import Foundation
import LibPQ
import Logging
import Spool
import Testing

extension DatabaseTests {
    /// The stage declaration, the CHECK that mirrors it, and the SQL functions' single definitions.
    @Suite struct StageGraphTests {
        @Test func theJobsTableAcceptsTheDeclaredKindsAndNothingElse() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let declared = StageGraph.stages.map(\.kind).flatMap { $0.hasSuffix(":N") ? [String($0.dropLast()) + "1", String($0.dropLast()) + "4242"] : [$0] }
                for (index, kind) in declared.enumerated() {
                    try conn.query("INSERT INTO coachspool.jobs (kind, source_id) VALUES (\(kind), \(index))")
                    #expect(JobKind(rawValue: kind) != nil, "\(kind) is declared, so JobKind knows it")
                }
                for kind in ["quality", "Interaction", "embed:0", "embed:", "embed:x", "memory:0", "memory:-1", "conversations", ""] {
                    #expect(JobKind(rawValue: kind) == nil, "\(kind)")
                    do {
                        try conn.query("INSERT INTO coachspool.jobs (kind, source_id) VALUES (\(kind), 1)")
                        Issue.record("the jobs table accepted the undeclared kind '\(kind)'")
                    } catch let error as PGError {
                        #expect(error.sqlState == "23514", "check_violation for '\(kind)'")
                    }
                }
            }
        }

        /// A database migrated with the schema as it was before functions had files of their own
        /// (0001–0008) is brought to the current definitions by a plain `migrate`.
        @Test func anExistingDatabaseGetsTheCurrentFunctionDefinitions() async throws {
            let server = try TestDatabase.serverURL
            let db = try TestDatabase.create(name: "cs_test_funcs_\(UInt32.random(in: 0...UInt32.max))", server: server)
            defer { db.drop(server: server) }
            let schema = try SchemaLocator.locate(explicit: nil)
            let old = temporaryFile("schema-0008")
            try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: schema.path)
            where name.hasSuffix(".sql") && Int(name.prefix(4))! <= 8 {
                try FileManager.default.copyItem(at: schema.appendingPathComponent(name), to: old.appendingPathComponent(name))
            }
            let conn = try db.connect()
            try Migrator(directory: old, logger: Logger(label: "test")).migrate(conn)
            #expect(try Self.rejects(conn, "SELECT coachspool.log_interaction('hej', NULL)") == "23502", "the old definition's raw constraint error")

            let result = try await CoachSpoolProcess.run(["migrate"], database: db)
            #expect(result.status == 0, "\(result.err)")
            #expect(result.out.contains("0009_stage_graph.sql") && result.out.contains("functions/log_interaction.sql"))
            let functionFiles = try FileManager.default.contentsOfDirectory(atPath: schema.appendingPathComponent("functions").path)
                .filter { $0.hasSuffix(".sql") }
            #expect(try db.scalar("SELECT count(*) FROM coachspool.schema_functions", as: Int.self) == functionFiles.count)
            #expect(try Self.rejects(conn, "SELECT coachspool.log_interaction('hej', NULL)") == "22023")
            // Security stays as each file states it.
            let definers = try conn.query("""
                SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'coachspool'::regnamespace AND p.prosecdef
                   AND EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=pg_catalog,%')
                 ORDER BY 1
                """).map { try $0.decode(String.self, at: 0) }
            #expect(definers == [
                "build_space_index", "defer_space_index", "embedding_space", "erase_user", "log_feedback", "log_interaction", "recall", "register_space",
                "set_consent",
            ])
            let again = try await CoachSpoolProcess.run(["migrate"], database: db)
            #expect(again.out.contains("schema up to date"), "\(again.out)")
        }

        /// Every function in the schema has exactly one file, and every file's function exists.
        @Test func everyFunctionHasItsOwnFile() async throws {
            try await TestDatabase.with { db in
                let names = try db.connect().query("""
                    SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'coachspool'::regnamespace ORDER BY 1
                    """).map { try $0.decode(String.self, at: 0) + ".sql" }
                let files = try FileManager.default.contentsOfDirectory(
                    atPath: try SchemaLocator.locate(explicit: nil).appendingPathComponent("functions").path
                ).filter { $0.hasSuffix(".sql") }.sorted()
                #expect(names == files)
            }
        }

        /// The producer API answers bad arguments with 22023 and names the argument, never its value.
        @Test func producerFunctionsNameTheBadArgument() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let cases: [(PGQuery, String)] = [
                    ("SELECT coachspool.log_interaction(NULL, 'svar')", "p_user_input: expected a non-empty string"),
                    ("SELECT coachspool.log_interaction('fråga', NULL)", "p_ai_response: expected a non-empty string"),
                    ("SELECT coachspool.log_interaction('fråga', '')", "p_ai_response: expected a non-empty string"),
                    ("SELECT coachspool.log_interaction('fråga', 'svar', p_mode => 'work')", "p_mode: expected 'personal' or 'university'"),
                    ("SELECT coachspool.log_interaction('fråga', 'svar', p_rating => 9)", "p_rating: expected NULL or an integer from 1 to 5"),
                    ("SELECT coachspool.log_interaction('fråga', 'svar', p_turn_index => -1)", "p_turn_index: expected NULL or an integer from 0 to 1000000"),
                    ("SELECT coachspool.log_interaction('fråga', 'svar', p_occurred_at => NULL)", "p_occurred_at: expected a finite timestamp"),
                    ("SELECT coachspool.log_feedback(1, 0)", "p_rating: expected NULL or an integer from 1 to 5"),
                    ("SELECT coachspool.log_feedback(1, NULL, NULL)", "p_rating, p_helpful: expected at least one of them"),
                    ("SELECT coachspool.set_consent('u1', 'marketing', true)", "p_purpose: expected 'training' or 'retrieval'"),
                    ("SELECT coachspool.set_consent('u1', 'training', NULL)", "p_granted: expected true or false"),
                    ("SELECT coachspool.set_consent(' ', 'training', true)", "p_user_id: expected a non-empty string"),
                ]
                for (query, message) in cases {
                    do {
                        try conn.query(query)
                        Issue.record("accepted: \(query)")
                    } catch let error as PGError {
                        #expect(error.sqlState == "22023", "\(query)")
                        #expect(error.message == message, "\(query)")
                    }
                }
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == 0)
            }
        }

        static func rejects(_ conn: PGConnection, _ query: PGQuery) throws -> String? {
            do {
                try conn.query(query)
                return nil
            } catch let error as PGError {
                return error.sqlState
            }
        }
    }
}
