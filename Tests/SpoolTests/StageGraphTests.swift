import Foundation
import LibPQ
import Logging
import Queue
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
                    #expect(StageGraph.declares(kind), "\(kind) is declared, so JobKind knows it")
                }
                for kind in ["quality", "Interaction", "embed:0", "embed:", "embed:x", "memory:0", "memory:-1", "conversations", ""] {
                    #expect(!StageGraph.declares(kind), "\(kind)")
                    do {
                        try conn.query("INSERT INTO coachspool.jobs (kind, source_id) VALUES (\(kind), 1)")
                        Issue.record("the jobs table accepted the undeclared kind '\(kind)'")
                    } catch let error as PGError {
                        #expect(error.sqlState == "23514", "check_violation for '\(kind)'")
                    }
                }
            }
        }

        /// What each completion really queues, against the graph's `enqueues`: a trigger logs every
        /// job inserted or deleted with its transaction, the pipeline runs (ingest with a member
        /// that fails, documents, retrieval consent, a producer call, a consent change), and each
        /// transaction that retired jobs of one kind may have queued only what that kind declares.
        @Test func everyCompletionQueuesOnlyWhatTheGraphDeclares() async throws {
            try await TestDatabase.with { db in
                try db.connect().execute(unsafeSQL: """
                    CREATE TABLE public.job_log (txid bigint, op text, kind text);
                    CREATE FUNCTION public.log_job() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        INSERT INTO public.job_log VALUES (txid_current(), TG_OP, CASE WHEN TG_OP = 'DELETE' THEN OLD.kind ELSE NEW.kind END);
                        RETURN NULL;
                    END $$;
                    CREATE TRIGGER job_log AFTER INSERT OR DELETE ON coachspool.jobs FOR EACH ROW EXECUTE FUNCTION public.log_job();
                    """)
                let file = temporaryFile("graph-sessions.jsonl")
                let failing = #"{"session_id": "g-fail", "timestamp": "2025-10-01T11:00:00Z", "mode": "personal", "user_id": "u-yes", "conversation": [{"role": "user", "content": "Ring 08-123 456+46 70 123 45 67"}, {"role": "assistant", "content": "Gärna."}, {"role": "user", "content": "Hur länge ska långpasset vara?"}, {"role": "assistant", "content": "Börja med en timme och öka med tio minuter i veckan.", "feedback": {"rating": 5}}]}"#
                try (MemoryTests.sessions.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
                #expect(try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db).status == 0)
                try await HybridSearchTests.prepare(db)  // documents, an active space, the workers
                // Then, with a worker already running (a starting worker queues the memory of
                // consenting users itself, through register_space): a consent change, a batch with a
                // member the redactor cannot vouch for and an exchange of a user with retrieval
                // consent, and a producer's call.
                let worker = try CoachSpoolProcess(["work", "--retry-base", "0.05", "--log-level", "info"], database: db)
                defer { worker.signal(SIGKILL) }
                #expect(await eventually(timeout: 60) { worker.stderr.contains("worker started") })
                #expect(try await CoachSpoolProcess.run(["consent", "grant", "u-yes", "--purpose", "training"], database: db).status == 0)
                try (failing + "\n").write(to: file, atomically: true, encoding: .utf8)
                #expect(try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db).status == 0)
                _ = try db.scalar("""
                    SELECT coachspool.log_interaction(p_user_input => 'Hur sover jag bättre?', p_ai_response => 'Gå och lägg dig samma tid varje kväll.',
                                                      p_user_id => 'u-yes', p_rating => 5)
                    """, as: Int64.self)
                #expect(try await eventually(timeout: 60) {
                    try db.scalar("SELECT count(*) FROM coachspool.jobs WHERE state <> 'dead'", as: Int.self) == 0
                        && db.scalar("SELECT count(*) FROM coachspool.jobs WHERE state = 'dead'", as: Int.self) == 1
                })
                worker.signal(SIGTERM)
                #expect(await worker.wait() == 0)

                let perSpace = { (kind: String) in kind.replacing(/:[0-9]+$/, with: ":N") }
                let rows = try db.connect().query("""
                    SELECT d.kind, array_agg(DISTINCT i.kind) FILTER (WHERE i.kind IS NOT NULL)
                      FROM (SELECT DISTINCT txid, kind FROM public.job_log WHERE op = 'DELETE') d
                      LEFT JOIN public.job_log i ON i.txid = d.txid AND i.op = 'INSERT'
                     WHERE (SELECT count(DISTINCT kind) FROM public.job_log x WHERE x.txid = d.txid AND x.op = 'DELETE') = 1
                     GROUP BY d.kind
                    """)
                var completed: Set<String> = []
                var queued: [String: Set<String>] = [:]
                for row in rows {
                    let kind = perSpace(try row.decode(String.self, at: 0))
                    completed.insert(kind)
                    let inserted = (try row.decode(String?.self, at: 1)).map { text in
                        text.trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",").map { perSpace(String($0)) }
                    } ?? []
                    queued[kind, default: []].formUnion(inserted)
                }
                #expect(completed.isSuperset(of: ["interaction_batch", "interaction", "conversation", "embed:N", "memory:N"]), "\(completed)")
                for stage in StageGraph.stages where completed.contains(stage.kind) {
                    let extra = queued[stage.kind, default: []].subtracting(stage.enqueues)
                    #expect(extra.isEmpty, "\(stage.kind) queued \(extra.sorted()), which StageGraph does not declare")
                }
                #expect(queued["interaction_batch"] == ["interaction", "memory:N"], "a failed member and a memory: \(queued)")
                #expect(queued["interaction"] == ["memory:N"], "the producer's exchange's memory: \(queued)")
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
            where name.hasSuffix(".sql") && (Int(name.prefix(4)).map { $0 <= 8 } ?? false) {
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
                "review_decide", "review_next", "set_consent",
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
