import Foundation
import LibPQ
import Privacy
import Spool
import Testing

extension DatabaseTests {
    /// What `erase` leaves in the database's files and what `erase --compact` removes
    /// (docs/operations.md, "What erasure removes from disk"). The files are read directly: the
    /// tests run on the machine of the embedded server (scripts/postgres.sh), as a user that may
    /// read its data directory, and connect as a superuser (`data_directory`, CHECKPOINT).
    @Suite struct ErasureOnDiskTests {
        /// A fake personnummer (Skatteverket's test number): redaction replaces it in every
        /// derived text, so only `interactions` holds it raw.
        static let personnummer = "19121212-1212"

        static func sessions(gone: String, kept: String, marker: String) -> String {
            """
            {"session_id": "\(gone)-s", "timestamp": "2025-10-01T09:00:00Z", "mode": "personal", "language": "sv", "user_id": "\(gone)", "consent": {"retrieval": true, "training": true}, "conversation": [{"role": "user", "content": "Mitt personnummer är \(personnummer) och jag tränar inför ett maratonlopp med gruppen \(marker) i maj."}, {"role": "assistant", "content": "Lägg upp långpassen på söndagar med gruppen \(marker) och öka distansen med högst tio procent i veckan.", "feedback": {"rating": 5, "helpful": true}}, {"role": "user", "content": "Hur ska jag äta före långpasset med \(marker)?"}, {"role": "assistant", "content": "Ät något lätt med kolhydrater två timmar före, och drick vatten under passet.", "feedback": {"rating": 2, "helpful": false}}]}
            {"session_id": "\(kept)-s", "timestamp": "2025-10-02T09:00:00Z", "mode": "personal", "language": "sv", "user_id": "\(kept)", "consent": {"retrieval": true, "training": true}, "conversation": [{"role": "user", "content": "Jag vill börja cykla till jobbet, hur kommer jag igång på bästa sätt?"}, {"role": "assistant", "content": "Börja med två dagar i veckan och välj en lugn väg, så bygger du upp vanan utan att bli för trött.", "feedback": {"rating": 5, "helpful": true}}]}

            """
        }

        /// Before: `erase` removes the rows (no SQL finds them, pg_stats included) but the bytes
        /// stay in the table files. A snapshot older than the erasure makes `--compact` refuse
        /// (VACUUM FULL would copy the rows for it). After: `--compact` as an admin login leaves
        /// them in no file of any table, TOAST table or index of the schema; as a superuser it
        /// also rewrites pg_statistic, and no file of the database holds them.
        @Test func eraseLeavesTheBytesAndCompactRemovesThemFromEveryTableFile() async throws {
            try await TestDatabase.with { db in
                let token = String((0..<12).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
                let marker = "zq\(token)", gone = "u-gone-\(token)", kept = "u-kept-\(token)"
                let needles = [marker, Self.personnummer, gone]
                let file = temporaryFile("erasure-on-disk.jsonl")
                try Self.sessions(gone: gone, kept: kept, marker: marker).write(to: file, atomically: true, encoding: .utf8)
                let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
                #expect(ingest.status == 0, "\(ingest.err)")
                try await HybridSearchTests.prepare(db)  // documents, an active space, `work --drain`
                let conn = try db.connect()
                #expect(Set(try PrivacyTests.tablesContaining(marker, in: db))
                    == ["examples", "feedback_examples", "interaction_texts", "interactions", "memories"])
                #expect(try PrivacyTests.tablesContaining(Self.personnummer, in: db) == ["interactions"], "redacted everywhere else")

                // Autovacuum would analyse a busy table: the statistics sample the texts and ids.
                try conn.execute(unsafeSQL: "ANALYZE")
                #expect(try Self.statisticsHolding(marker, conn) > 0)
                try conn.execute(unsafeSQL: "CHECKPOINT")
                let live = try Self.relationsHolding(needles, conn)
                for table in ["examples", "feedback_examples", "interaction_texts", "interactions", "memories"] {
                    #expect(live[marker]?.contains("coachspool.\(table)") == true, "the scan finds live rows: \(live)")
                }
                #expect(live[Self.personnummer]?.contains("coachspool.interactions") == true, "\(live)")

                // A reader whose snapshot predates the erasure (a long export, an idle-in-transaction session).
                let reader = try db.connect()
                try reader.execute(unsafeSQL: "BEGIN ISOLATION LEVEL REPEATABLE READ")
                try reader.query("SELECT count(*) FROM coachspool.documents")

                let erase = try await CoachSpoolProcess.run(["erase", "--user", gone], database: db)
                #expect(erase.status == 0, "\(erase.err)")
                #expect(erase.out.contains("interactions 2") && !erase.out.contains("rewrote"), "\(erase.out)")
                for needle in needles {
                    #expect(try PrivacyTests.tablesContaining(needle, in: db) == [], "\(needle): no row left")
                    #expect(try Self.statisticsHolding(needle, conn) == 0, "\(needle): erase analyses the erased tables again")
                }
                try conn.execute(unsafeSQL: "CHECKPOINT")
                // The documented "before": the deleted rows' bytes are still in the files. Not
                // required: autovacuum or a page prune may have overwritten them meanwhile.
                let before = try Self.relationsHolding(needles, conn)
                print("ErasureOnDiskTests: after erase, before --compact: \(before)")
                if before[Self.personnummer]?.contains("coachspool.interactions") != true {
                    print("ErasureOnDiskTests: the personnummer was already gone from interactions' file (overwritten by PostgreSQL)")
                }

                let refused = try await CoachSpoolProcess.run(["erase", "--user", gone, "--compact", "--compact-wait", "1"], database: db)
                #expect(refused.status == 1, "\(refused.out)\(refused.err)")
                #expect(refused.out.contains("erased user sha256:") && !refused.out.contains("rewrote"), "\(refused.out)")
                #expect(refused.err.contains("error: the erasure itself committed") && refused.err.contains("rerun"), "\(refused.err)")
                #expect(refused.err.contains("session pid \(reader.backendPID)"), "\(refused.err)")
                #expect(!(refused.out + refused.err + erase.out + erase.err).contains(gone), "the id is never printed")
                try reader.execute(unsafeSQL: "COMMIT")

                // An admin login (MAINTAIN from PostgreSQL 17; before, only the owner may).
                let version = try conn.query("SELECT current_setting('server_version_num')::int").scalar(Int.self)
                let compact = try await Self.asAdmin(db, if: version >= 170000) { environment in
                    try await CoachSpoolProcess.run(["erase", "--user", gone, "--compact"], database: db, environment: environment)
                }
                #expect(compact.status == 0, "\(compact.err)")
                print("ErasureOnDiskTests: erase --compact (admin):\n\(compact.out)\(compact.err)")
                #expect(compact.out.contains("rewriting every table erasure deletes from"), "nothing left to erase: \(compact.out)")
                for table in Erasure.tables {
                    #expect(compact.out.contains("rewrote coachspool.\(table) in "), "\(table): \(compact.out)")
                }
                #expect(compact.out.contains("compacted \(Erasure.tables.count) tables in "), "\(compact.out)")
                if version >= 170000 {
                    #expect(compact.err.contains("note: no CHECKPOINT"), "an admin is not in pg_checkpoint: \(compact.err)")
                }
                try conn.execute(unsafeSQL: "CHECKPOINT")
                // VACUUM FULL gave each table a new file: the scan reads the paths again.
                let after = try Self.relationsHolding(needles, conn)
                print("ErasureOnDiskTests: after --compact (admin): \(after)")
                for needle in needles {
                    let schemaFiles = (after[needle] ?? []).filter { !$0.hasPrefix("pg_catalog.") }
                    #expect(schemaFiles == [], "\(needle) is still in the files of \(schemaFiles)")
                }

                // A superuser's --compact also rewrites pg_statistic and checkpoints: no file of
                // the database holds any of it.
                let full = try await CoachSpoolProcess.run(["erase", "--user", gone, "--compact"], database: db)
                #expect(full.status == 0, "\(full.err)")
                #expect(full.out.contains("rewrote pg_catalog.pg_statistic in ") && full.out.contains("checkpoint in "), "\(full.out)")
                let anywhere = try Self.databaseFilesHolding(needles, conn)
                print("ErasureOnDiskTests: after --compact (superuser), files of the database holding any: \(anywhere)")
                #expect(anywhere.isEmpty, "\(anywhere)")
            }
        }

        /// `erase --compact` of a user with rows rewrites only the tables the erasure removed rows
        /// from, as an admin login, and clears the statistics of the tables it left empty
        /// (PostgreSQL 18's pg_clear_attribute_stats; a superuser before 18).
        @Test func compactRewritesTheTablesWithErasedRowsAndForgetsTheirStatistics() async throws {
            try await TestDatabase.with { db in
                let token = String((0..<12).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
                let user = "u-only-\(token)", marker = "zq\(token)"
                // Three rows: ANALYZE keeps no histogram or common values for a single row.
                for question in ["Jag heter \(marker) och mitt personnummer är \(Self.personnummer).", "Hur sover jag bättre?", "Vad ska jag äta?"] {
                    try db.execute("""
                        SELECT coachspool.log_interaction(p_user_input => \(question),
                               p_ai_response => 'Tack, hur kan jag hjälpa dig i dag?', p_user_id => \(user))
                        """)
                }
                let conn = try db.connect()
                try conn.execute(unsafeSQL: "ANALYZE coachspool.interactions")
                #expect(try Self.statisticsHolding(marker, conn) > 0)

                let version = try conn.query("SELECT current_setting('server_version_num')::int").scalar(Int.self)
                let compact = try await Self.asAdmin(db, if: version >= 180000) { environment in
                    try await CoachSpoolProcess.run(["erase", "--user", user, "--compact"], database: db, environment: environment)
                }
                #expect(compact.status == 0, "\(compact.err)")
                #expect(compact.out.contains("jobs 3,") && compact.out.contains("interactions 3,"), "\(compact.out)")
                #expect(compact.out.contains("rewrote coachspool.jobs in ") && compact.out.contains("rewrote coachspool.interactions in "))
                #expect(!compact.out.contains("rewrote coachspool.examples"), "no rows removed there: \(compact.out)")
                #expect(compact.out.contains("compacted 2 tables in "), "\(compact.out)")
                for needle in [marker, Self.personnummer, user] {
                    #expect(try Self.statisticsHolding(needle, conn) == 0, "\(needle): cleared from pg_stats")
                }
                try conn.execute(unsafeSQL: "CHECKPOINT")
                let after = try Self.relationsHolding([marker, Self.personnummer, user], conn)
                #expect(after.values.allSatisfy { $0.allSatisfy { $0.hasPrefix("pg_catalog.") } }, "\(after)")
            }
        }

        /// `Erasure.tables` (what --compact may rewrite) is erase_user's list, and the admin role
        /// may MAINTAIN exactly those tables (PostgreSQL 17+), nobody else any.
        @Test func erasuresTablesAreEraseUsersAndOnlyTheAdminMayMaintainThem() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let returned = try conn.query("SELECT table_name FROM coachspool.erase_user('nobody')").map { try $0.decode(String.self, at: 0) }
                #expect(returned == Erasure.tables)
                guard try conn.query("SELECT current_setting('server_version_num')::int").scalar(Int.self) >= 170000 else { return }
                let maintainers = try conn.query("""
                    SELECT r.rolname, coalesce(string_agg(c.relname, ',' ORDER BY c.relname) FILTER (WHERE has_table_privilege(r.oid, c.oid, 'MAINTAIN')), '')
                      FROM pg_roles r CROSS JOIN pg_class c
                     WHERE r.rolname IN ('coachspool_producer', 'coachspool_worker', 'coachspool_admin')
                       AND c.relnamespace = 'coachspool'::regnamespace AND c.relkind IN ('r', 'p', 'm')
                     GROUP BY r.rolname
                    """).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
                let byRole = Dictionary(uniqueKeysWithValues: maintainers)
                #expect(byRole["coachspool_admin"] == Erasure.tables.sorted().joined(separator: ","))
                #expect(byRole["coachspool_worker"] == "" && byRole["coachspool_producer"] == "")
                let publicMaintains = try conn.query("""
                    SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a
                     WHERE c.relnamespace = 'coachspool'::regnamespace AND a.grantee = 0 AND a.privilege_type = 'MAINTAIN'
                    """).scalar(Int.self)
                #expect(publicMaintains == 0)
            }
        }

        // MARK: - reading the files

        /// Runs `body` with the environment of an admin login (a new role in coachspool_admin,
        /// dropped after) when `condition` holds, else with the test's own (superuser) URL.
        static func asAdmin<T>(_ db: TestDatabase, if condition: Bool, _ body: ([String: String]) async throws -> T) async throws -> T {
            guard condition else { return try await body([:]) }
            let name = "cs_test_eraser_\(UInt32.random(in: 0...UInt32.max))", password = UUID().uuidString
            let owner = try db.connect()
            try owner.execute(unsafeSQL: "CREATE ROLE \(name) LOGIN PASSWORD '\(password)' IN ROLE coachspool_admin")
            defer { try? owner.execute(unsafeSQL: "DROP ROLE IF EXISTS \(name)") }
            return try await body(["DATABASE_URL": PrivilegesTests.loginURL(db.url, user: name, password: password)])
        }

        /// Statistics rows of the schema (pg_stats: most common values, histogram bounds) whose
        /// sampled values match `needle`.
        static func statisticsHolding(_ needle: String, _ conn: PGConnection) throws -> Int {
            try conn.query("""
                SELECT count(*) FROM pg_stats
                 WHERE schemaname = 'coachspool'
                   AND (strpos(most_common_vals::text, \(needle)) > 0 OR strpos(histogram_bounds::text, \(needle)) > 0)
                """).scalar(Int.self)
        }

        /// For each needle, the relations whose files hold it: every table and index of the
        /// schema, their TOAST tables and TOAST indexes, and pg_statistic (with its TOAST).
        static func relationsHolding(_ needles: [String], _ conn: PGConnection) throws -> [String: [String]] {
            let files = try conn.query("""
                WITH r AS (
                    SELECT c.oid, c.oid::regclass::text AS name FROM pg_class c
                     WHERE c.relnamespace = 'coachspool'::regnamespace AND c.relkind IN ('r', 'i', 'm')
                    UNION ALL SELECT 'pg_catalog.pg_statistic'::regclass, 'pg_catalog.pg_statistic'
                ), f AS (
                    SELECT r.oid, r.name FROM r
                    UNION ALL SELECT c.reltoastrelid, r.name || ' (TOAST)' FROM r JOIN pg_class c ON c.oid = r.oid WHERE c.reltoastrelid <> 0
                    UNION ALL SELECT i.indexrelid, r.name || ' (TOAST index)'
                      FROM r JOIN pg_class c ON c.oid = r.oid JOIN pg_index i ON i.indrelid = c.reltoastrelid WHERE c.reltoastrelid <> 0
                )
                SELECT f.name, current_setting('data_directory') || '/' || pg_relation_filepath(f.oid)
                  FROM f WHERE pg_relation_filepath(f.oid) IS NOT NULL ORDER BY 1
                """).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
            #expect(files.count > 30, "tables, indexes and TOAST of the schema")
            var holding: [String: [String]] = [:]
            for (name, path) in files {
                for needle in try needlesIn(segmentsOf: path, needles) {
                    holding[needle, default: []].append(name)
                }
            }
            return holding
        }

        /// Every file of the database's directory (base/OID) that holds any of `needles`, named
        /// by its relation where the catalog knows it.
        static func databaseFilesHolding(_ needles: [String], _ conn: PGConnection) throws -> [String] {
            let directory = try conn.query("""
                SELECT current_setting('data_directory') || '/base/' || oid FROM pg_database WHERE datname = current_database()
                """).scalar(String.self)
            var holding: [String] = []
            for file in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
                let found = try needlesIn(segmentsOf: directory + "/" + file, needles, segments: false)
                guard !found.isEmpty else { continue }
                let node = file.prefix { $0.isNumber }
                let relation = node.isEmpty ? nil
                    : try conn.query("SELECT pg_filenode_relation(0, \(String(node))::oid)::text").first?.decode(String?.self, at: 0)
                holding.append("\(file) (\(relation ?? "?")): \(found.joined(separator: ", "))")
            }
            return holding
        }

        /// The needles found in the file at `path` and, with `segments`, its 1 GB segments (`path.1`, …).
        static func needlesIn(segmentsOf path: String, _ needles: [String], segments: Bool = true) throws -> [String] {
            var found: Set<String> = []
            var segment = 0
            while true {
                let file = segment == 0 ? path : "\(path).\(segment)"
                guard FileManager.default.fileExists(atPath: file) else { break }
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                for needle in needles where data.range(of: Data(needle.utf8)) != nil {
                    found.insert(needle)
                }
                guard segments else { break }
                segment += 1
            }
            return needles.filter(found.contains)
        }
    }
}
