import CoachSpoolCore
import Foundation
import Knowledge
import LibPQ
import Logging
import Spool
import Testing

extension DatabaseTests {
    /// Who may do what in the schema, read from the catalog and held to the tables below
    /// (schema/privileges/grants.sql makes them; docs/operations.md, "Roles", lists them). A new
    /// function, table or view fails this suite until its row here records who may use it.
    @Suite struct PrivilegesTests {
        enum Role: String, CaseIterable, Sendable {
            case producer = "coachspool_producer", worker = "coachspool_worker", admin = "coachspool_admin"
            case reviewer = "coachspool_reviewer"
        }

        /// The roles that may execute each function of the schema. PUBLIC may execute none.
        static let executors: [String: Set<Role>] = [
            "build_space_index": [.worker, .admin],
            "check_text_limit": [.worker, .admin],
            "conversation_key": [.worker, .admin],
            "defer_space_index": [.worker, .admin],
            "document_language": [.worker, .admin],
            "embedding_space": [.producer, .worker, .admin],
            "enqueue": [.worker, .admin],
            "erase_user": [.admin],
            "exports_of_user": [.worker, .admin],
            "flag_lineage_on_erasure": [.worker, .admin],
            "interaction_key": [.worker, .admin],
            "log_feedback": [.producer, .worker, .admin],
            "log_interaction": [.producer, .worker, .admin],
            "memories_of_changed_consents": [.worker, .admin],
            "question_tsquery": [.worker, .admin],
            "reap_training_runs": [.worker, .admin],
            "review_decide": [.reviewer, .worker, .admin],
            "review_next": [.reviewer, .worker, .admin],
            "recall": [.producer, .worker, .admin],
            "register_space": [.worker, .admin],
            "requeue_conversations_of_changed_consents": [.worker, .admin],
            "resolve_space": [.worker, .admin],
            "search": [.worker, .admin],
            "search_conversations": [.worker, .admin],
            "search_hybrid": [.worker, .admin],
            "search_text": [.worker, .admin],
            "search_vector": [.worker, .admin],
            "set_consent": [.producer, .worker, .admin],
            "space_index_ddl": [.worker, .admin],
            "space_index_plan": [.worker, .admin],
            "text_config": [.worker, .admin],
            "text_index_chunks": [.worker, .admin],
            "text_index_documents": [.worker, .admin],
            "training_runs_of_user": [.worker, .admin],
            "upsert_document": [.worker, .admin],
            "wake_workers": [.worker, .admin],
        ]

        /// Each table, view and sequence: what the worker and the admin may do, in psql's `\dp`
        /// letters (r SELECT, a INSERT, w UPDATE, d DELETE; U USAGE on a sequence). The producer
        /// and PUBLIC may do nothing anywhere, and nobody may TRUNCATE, REFERENCE or TRIGGER.
        static let relations: [String: (worker: String, admin: String)] = [
            // tables
            "chunks": ("arwd", "r"),
            "consents": ("arwd", "r"),
            "conversation_builds": ("arwd", "r"),
            "conversations": ("arwd", "r"),
            "documents": ("arwd", "r"),
            "embedding_spaces": ("arwd", "r"),
            "eval_runs": ("r", "ar"),
            "examples": ("arwd", "r"),
            "export_conversations": ("r", "arw"),
            "exports": ("r", "arw"),
            "feedback": ("arwd", "r"),
            "feedback_examples": ("arwd", "r"),
            "interaction_texts": ("arwd", "r"),
            "interaction_batches": ("arwd", "r"),
            "interactions": ("arwd", "r"),
            "jobs": ("arwd", "rwd"),
            "memories": ("arwd", "r"),
            "preference_pairs": ("arwd", "r"),
            "quality_verdicts": ("arwd", "r"),
            "audit_log": ("arwd", "r"),
            "review_leases": ("arwd", "r"),
            "review_settings": ("arwd", "arw"),
            "reviews": ("arwd", "r"),
            "schema_functions": ("r", "r"),
            "schema_migrations": ("r", "r"),
            "schema_privileges": ("r", "r"),
            "training_run_conversations": ("r", "arw"),
            "training_run_validation_conversations": ("r", "arw"),
            "training_runs": ("r", "arw"),
            "workers": ("arwd", "rd"),
            // views
            "all_feedback": ("r", "r"),
            "answer_eval_history": ("r", "r"),
            "consent_coverage": ("r", "r"),
            "dataset_overview": ("r", "r"),
            "dead_jobs": ("r", "r"),
            "embedding_space_status": ("r", "r"),
            "eval_history": ("r", "r"),
            "export_overview": ("r", "r"),
            "gone_workers": ("r", "r"),
            "latest_feedback": ("r", "r"),
            "live_workers": ("r", "r"),
            "pipeline_progress": ("r", "r"),
            "preference_overview": ("r", "r"),
            "prepared_interactions": ("r", "r"),
            "quality_rejections": ("r", "r"),
            "queue_status": ("r", "r"),
            "queue_status_by_kind": ("r", "r"),
            "redaction_summary": ("r", "r"),
            "review_queue": ("r", "r"),
            "running_by_heartbeat": ("r", "r"),
            "space_indexes": ("r", "r"),
            "training_run_overview": ("r", "r"),
            // sequences (identity columns: inserting needs no right on them)
            "audit_log_id_seq": ("U", ""),
            "chunks_id_seq": ("U", ""),
            "conversations_id_seq": ("U", ""),
            "documents_id_seq": ("U", ""),
            "embedding_spaces_id_seq": ("U", ""),
            "eval_runs_id_seq": ("U", ""),
            "exports_id_seq": ("U", ""),
            "feedback_id_seq": ("U", ""),
            "interaction_batches_id_seq": ("U", ""),
            "interactions_id_seq": ("U", ""),
            "jobs_id_seq": ("U", ""),
            "reviews_id_seq": ("U", ""),
            "training_runs_id_seq": ("U", ""),
        ]

        /// What the reviewer may do (issue 30): read the queue, nothing else (its functions run
        /// with their owner's rights).
        static let reviewerRelations: [String: String] = ["review_queue": "r"]

        static var producerFunctions: Set<String> { Set(executors.filter { $0.value.contains(.producer) }.keys) }

        @Test func everyFunctionHasExactlyItsGrants() async throws {
            try await TestDatabase.with { db in
                Self.expectExecutors(try Self.executors(try db.connect()))
            }
        }

        @Test func everyTableViewAndSequenceHasExactlyItsGrants() async throws {
            try await TestDatabase.with { db in
                Self.expectRelationGrants(try Self.relationGrants(try db.connect()))
            }
        }

        /// A database of an earlier version ends with the same grants: one migrated before the
        /// functions had files (0001–0008), and one of the version before the grants had a file
        /// (every migration and function, each function left with PostgreSQL's grant to PUBLIC).
        @Test(arguments: [8, 13])
        func anEarlierDatabaseEndsWithTheSameGrants(upTo version: Int) async throws {
            let server = try TestDatabase.serverURL
            let db = try TestDatabase.create(name: "cs_test_grants_\(UInt32.random(in: 0...UInt32.max))", server: server)
            defer { db.drop(server: server) }
            let schema = try SchemaLocator.locate(explicit: nil)
            let old = temporaryFile("schema-\(version)")
            try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: schema.path)
            where name.hasSuffix(".sql") && (Int(name.prefix(4)).map { $0 <= version } ?? false) {
                try FileManager.default.copyItem(at: schema.appendingPathComponent(name), to: old.appendingPathComponent(name))
            }
            if version >= 9 {
                try FileManager.default.copyItem(at: schema.appendingPathComponent("functions"), to: old.appendingPathComponent("functions"))
            }
            let conn = try db.connect()
            try Migrator(directory: old, logger: Logger(label: "test")).migrate(conn)
            if version >= 9 {
                #expect(try conn.query(Self.publicExecutable).scalar(Int.self) > 0, "the defect this file repairs")
            }

            let result = try await CoachSpoolProcess.run(["migrate"], database: db)
            #expect(result.status == 0, "\(result.err)")
            #expect(result.out.contains("privileges/grants.sql"), "\(result.out)")
            #expect(try conn.query(Self.publicExecutable).scalar(Int.self) == 0)
            Self.expectExecutors(try Self.executors(conn))
            Self.expectRelationGrants(try Self.relationGrants(conn))
            let again = try await CoachSpoolProcess.run(["migrate"], database: db)
            #expect(again.out.contains("schema up to date"), "\(again.out)")
        }

        /// A function added later (a new file) gets its grants from the same `migrate`, not
        /// PostgreSQL's default EXECUTE for PUBLIC.
        @Test func aNewFunctionFileGetsTheGrantsOfEveryFunction() async throws {
            try await TestDatabase.with { db in
                let schema = try SchemaLocator.locate(explicit: nil)
                let copy = temporaryFile("schema-new-function")
                try FileManager.default.copyItem(at: schema, to: copy)
                try """
                    CREATE OR REPLACE FUNCTION coachspool.probe() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
                    """.write(to: copy.appendingPathComponent("functions/probe.sql"), atomically: true, encoding: .utf8)
                let conn = try db.connect()
                let applied = try Migrator(directory: copy, logger: Logger(label: "test")).migrate(conn)
                #expect(applied == ["functions/probe.sql", "privileges/grants.sql"])
                let probe = try Self.executors(conn)["probe"]
                #expect(probe?.public == false)
                #expect(probe?.roles == [.worker, .admin])
            }
        }

        /// A login role in coachspool_producer (the coach app) calls its functions and is refused
        /// every other function, table, view and sequence.
        @Test func aProducerLoginCallsExactlyItsFunctions() async throws {
            try await TestDatabase.with { db in
                try await Self.withLogin(in: .producer, db: db) { app in
                    let id = try app.query("""
                        SELECT coachspool.log_interaction(p_user_input => 'Hur tränar jag inför ett lopp?',
                               p_ai_response => 'Öka distansen lite varje vecka.', p_user_id => 'u-app')
                        """).scalar(Int64.self)
                    try app.query("SELECT coachspool.log_feedback(\(id), 5, true)")
                    #expect(try app.query("SELECT coachspool.set_consent('u-app', 'retrieval', true)").scalar(Bool.self))
                    #expect(Self.sqlState(app, "SELECT coachspool.build_space_index(1)") == "42501", "SECURITY DEFINER, workers only")

                    // Every function of the schema, called with NULLs: its own get past the
                    // permission check (to their own argument checks), every other is refused.
                    let calls = try db.connect().query("""
                        SELECT p.proname, format('SELECT %s(%s)', p.oid::regproc,
                               (SELECT string_agg('NULL::' || format_type(t, NULL), ', ') FROM unnest(p.proargtypes) t))
                          FROM pg_proc p WHERE p.pronamespace = 'coachspool'::regnamespace ORDER BY 1
                        """).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
                    #expect(calls.count == Self.executors.count)
                    for (name, call) in calls {
                        let state = Self.sqlState(app, call)
                        if Self.producerFunctions.contains(name) {
                            #expect(state != "42501", "\(call)")
                        } else {
                            #expect(state == "42501", "\(call) gave \(state ?? "no error")")
                        }
                    }
                    for name in Self.relations.keys.sorted() {
                        let query = "SELECT * FROM coachspool.\(name) LIMIT 1"
                        #expect(Self.sqlState(app, query) == "42501", "\(query)")
                    }
                }
            }
        }

        /// A login role in coachspool_reviewer reads the review queue and records decisions, and
        /// is refused every other function, table, view and sequence.
        @Test func aReviewerLoginReadsTheQueueAndDecidesAndNothingElse() async throws {
            try await TestDatabase.with { db in
                let owner = try db.connect()
                let id = try owner.query("""
                    SELECT coachspool.log_interaction(p_user_input => 'Hur tränar jag inför ett lopp?',
                           p_ai_response => 'Öka distansen lite varje vecka.', p_user_id => 'u-rev')
                    """).scalar(Int64.self)
                try owner.query("SELECT coachspool.set_consent('u-rev', 'training', true)")
                let calls = try owner.query("""
                    SELECT p.proname, format('SELECT %s(%s)', p.oid::regproc,
                           (SELECT string_agg('NULL::' || format_type(t, NULL), ', ') FROM unnest(p.proargtypes) t))
                      FROM pg_proc p WHERE p.pronamespace = 'coachspool'::regnamespace ORDER BY 1
                    """).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
                try await Self.withLogin(in: .reviewer, db: db) { coach in
                    #expect(Self.sqlState(coach, "SELECT count(*) FROM coachspool.review_queue") == nil)
                    #expect(Self.sqlState(coach, "SELECT * FROM coachspool.review_next('reviewer:probe')") == nil)
                    let decision = try coach.query("SELECT coachspool.review_decide(\(id), 'approve', 'reviewer:probe')").scalar(Int64.self)
                    #expect(decision > 0)
                    for (name, call) in calls {
                        let state = Self.sqlState(coach, call)
                        if Self.executors[name]?.contains(.reviewer) == true {
                            #expect(state != "42501", "\(call)")
                        } else {
                            #expect(state == "42501", "\(call) gave \(state ?? "no error")")
                        }
                    }
                    for name in Self.relations.keys.sorted() where Self.reviewerRelations[name] == nil {
                        let query = "SELECT * FROM coachspool.\(name) LIMIT 1"
                        #expect(Self.sqlState(coach, query) == "42501", "\(query)")
                    }
                    // Not even through the view: no right to write, and the view cannot be written (55000).
                    #expect(["42501", "55000"].contains(Self.sqlState(coach, "DELETE FROM coachspool.review_queue")))
                }
                #expect(try owner.query("SELECT count(*) FROM coachspool.reviews WHERE reviewer = 'reviewer:probe'").scalar(Int.self) == 1)
            }
        }

        /// The coach app's recall path (`serve`'s `/v1/recall`, `coachspool recall`) as a
        /// producer login: the space's settings through `KnowledgeBase.space`, then the memory.
        @Test func aProducerLoginResolvesTheSpaceAndRecalls() async throws {
            try await TestDatabase.with { db in
                let owner = try db.connect()
                let spaceID = try KnowledgeBase.registerSpace(
                    owner, embedder: "test", model: "probe", dimensions: 3, chunker: ChunkerSettings(unit: .chars, size: 400, overlap: 40))
                let interaction = try owner.query("""
                    SELECT coachspool.log_interaction(p_user_input => 'Jag springer på morgonen.',
                           p_ai_response => 'Ät något lätt först.', p_user_id => 'u-mem')
                    """).scalar(Int64.self)
                try owner.query("""
                    INSERT INTO coachspool.memories (space_id, interaction_id, user_id, occurred_at, body, text_version, embedding, worker)
                    SELECT \(spaceID)::integer, id, user_id, occurred_at, 'User: Jag springer på morgonen.', 'v1', '[1,0,0]', 'test'
                      FROM coachspool.interactions WHERE id = \(interaction)
                    """)

                try await Self.withLogin(in: .producer, db: db) { app in
                    let space = try KnowledgeBase.space(app)
                    #expect(space.id == spaceID && space.isActive)
                    #expect(space.embedder == "test" && space.model == "probe" && space.dimensions == 3)
                    #expect(space.chunker == ChunkerSettings(unit: .chars, size: 400, overlap: 40))
                    #expect(try KnowledgeBase.space(app, id: spaceID) == space)
                    #expect(throws: CoachSpoolError.self) { try KnowledgeBase.space(app, id: spaceID + 1) }
                    #expect(try Retriever(app, space: nil, modes: [.text]).space == space)

                    let hits = try Memory.recall(app, user: "u-mem", vector: [1, 0, 0], k: 3, space: space.id)
                    #expect(hits.map(\.interactionID) == [interaction])
                    #expect(hits.first?.text == "User: Jag springer på morgonen.")
                    #expect(try Memory.recall(app, user: "u-other", vector: [1, 0, 0], k: 3, space: nil).isEmpty)
                }
            }
        }

        // MARK: - the catalog

        /// Functions of the schema (not an extension's) that PUBLIC may execute.
        static let publicExecutable: PGQuery = """
            SELECT count(*) FROM pg_proc p
             WHERE p.pronamespace = 'coachspool'::regnamespace
               AND EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                            WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
               AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
            """

        /// Each function: whether PUBLIC may execute it, and which roles may.
        static func executors(_ conn: PGConnection) throws -> [String: (public: Bool, roles: Set<Role>)] {
            var result: [String: (public: Bool, roles: Set<Role>)] = [:]
            for row in try conn.query("""
                SELECT p.proname,
                       EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                                WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'),
                       has_function_privilege('coachspool_producer', p.oid, 'EXECUTE'),
                       has_function_privilege('coachspool_worker', p.oid, 'EXECUTE'),
                       has_function_privilege('coachspool_admin', p.oid, 'EXECUTE'),
                       has_function_privilege('coachspool_reviewer', p.oid, 'EXECUTE')
                  FROM pg_proc p
                 WHERE p.pronamespace = 'coachspool'::regnamespace
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
                """) {
                let name = try row.decode(String.self, at: 0)
                var roles: Set<Role> = []
                for (index, role) in Role.allCases.enumerated() where try row.decode(Bool.self, at: 2 + index) {
                    roles.insert(role)
                }
                #expect(result[name] == nil, "\(name) is overloaded: give each function one signature")
                result[name] = (try row.decode(Bool.self, at: 1), roles)
            }
            return result
        }

        static func expectExecutors(_ actual: [String: (public: Bool, roles: Set<Role>)]) {
            for name in Set(actual.keys).union(executors.keys).sorted() {
                guard let found = actual[name] else {
                    Issue.record("\(name) is in the expected grants but not in the schema")
                    continue
                }
                #expect(!found.public, "PUBLIC may execute \(name)")
                let roles = found.roles.map(\.rawValue).sorted(), expected = (executors[name] ?? []).map(\.rawValue).sorted()
                #expect(roles == expected, "\(name): decide in schema/privileges/grants.sql and here")
            }
        }

        /// Each table, view and sequence: what PUBLIC, the producer, the worker and the admin may
        /// do, in `\dp` letters (every privilege a table or sequence has, column grants included).
        static func relationGrants(_ conn: PGConnection) throws -> [String: [String]] {
            var result: [String: [String]] = [:]
            for row in try conn.query("""
                SELECT c.relname,
                       (SELECT string_agg(a.privilege_type, ' ') FROM aclexplode(coalesce(c.relacl,
                               acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
                         WHERE a.grantee = 0),
                       r.rolname,
                       CASE WHEN c.relkind = 'S' THEN
                           concat(CASE WHEN has_sequence_privilege(r.oid, c.oid, 'SELECT') THEN 'r' END,
                                  CASE WHEN has_sequence_privilege(r.oid, c.oid, 'UPDATE') THEN 'w' END,
                                  CASE WHEN has_sequence_privilege(r.oid, c.oid, 'USAGE') THEN 'U' END)
                       ELSE
                           concat(CASE WHEN has_any_column_privilege(r.oid, c.oid, 'INSERT') THEN 'a' END,
                                  CASE WHEN has_any_column_privilege(r.oid, c.oid, 'SELECT') THEN 'r' END,
                                  CASE WHEN has_any_column_privilege(r.oid, c.oid, 'UPDATE') THEN 'w' END,
                                  CASE WHEN has_table_privilege(r.oid, c.oid, 'DELETE') THEN 'd' END,
                                  CASE WHEN has_table_privilege(r.oid, c.oid, 'TRUNCATE') THEN 'D' END,
                                  CASE WHEN has_any_column_privilege(r.oid, c.oid, 'REFERENCES') THEN 'x' END,
                                  CASE WHEN has_table_privilege(r.oid, c.oid, 'TRIGGER') THEN 't' END)
                       END
                  FROM pg_class c
                 CROSS JOIN pg_roles r
                 WHERE c.relnamespace = 'coachspool'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                   AND r.rolname IN ('coachspool_producer', 'coachspool_worker', 'coachspool_admin', 'coachspool_reviewer')
                 ORDER BY c.relname, r.rolname
                """) {
                let name = try row.decode(String.self, at: 0)
                var grants = result[name] ?? ["", "", "", "", ""]
                grants[0] = try row.decode(String?.self, at: 1) ?? ""
                let role = Role(rawValue: try row.decode(String.self, at: 2))!
                grants[1 + Role.allCases.firstIndex(of: role)!] = try row.decode(String.self, at: 3)
                result[name] = grants
            }
            return result
        }

        static func expectRelationGrants(_ actual: [String: [String]]) {
            for name in Set(actual.keys).union(relations.keys).sorted() {
                guard let found = actual[name], let expected = relations[name] else {
                    Issue.record("\(name): \(actual[name] == nil ? "expected but not in the schema" : "no expected grants: decide and add them here")")
                    continue
                }
                #expect(found == ["", "", expected.worker, expected.admin, reviewerRelations[name] ?? ""], "\(name): PUBLIC, producer, worker, admin, reviewer")
            }
        }

        // MARK: - logins

        /// Runs `body` on a connection of a new login role in `group`; drops the role after.
        /// Roles belong to the cluster, so the name is random and the role owns nothing.
        static func withLogin<T>(in group: Role, db: TestDatabase, _ body: (PGConnection) async throws -> T) async throws -> T {
            try await withLoginURL(in: group, db: db) { url, name in
                let login = try PGConnection(conninfo: url, applicationName: "coachspool-test")
                #expect(try login.query("SELECT current_user::text").scalar(String.self) == name)
                return try await body(login)
            }
        }

        /// Runs `body` with the URL (and the name) of a new login role in `group`, for a child
        /// process's DATABASE_URL; drops the role after.
        static func withLoginURL<T>(in group: Role, db: TestDatabase, _ body: (String, String) async throws -> T) async throws -> T {
            let name = "cs_test_login_\(UInt32.random(in: 0...UInt32.max))"
            let password = UUID().uuidString
            let owner = try db.connect()
            try owner.execute(unsafeSQL: "CREATE ROLE \(name) LOGIN PASSWORD '\(password)' IN ROLE \(group.rawValue)")
            defer { try? owner.execute(unsafeSQL: "DROP ROLE IF EXISTS \(name)") }
            return try await body(loginURL(db.url, user: name, password: password), name)
        }

        /// `url` with another user and password (a URL's user part, or conninfo keywords).
        static func loginURL(_ url: String, user: String, password: String) -> String {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"), var components = URLComponents(string: url) else {
                return url + " user=\(user) password=\(password)"
            }
            components.user = user
            components.password = password
            return components.string ?? url
        }

        /// Runs `sql` and returns the SQLSTATE it failed with; nil when it succeeded.
        static func sqlState(_ conn: PGConnection, _ sql: String) -> String? {
            do {
                try conn.query(PGQuery(unsafeSQL: sql))
                return nil
            } catch let error as PGError {
                return error.sqlState
            } catch {
                return "?"
            }
        }
    }
}
