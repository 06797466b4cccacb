import Foundation
import LibPQ
import Logging
import Spool
import Testing

extension DatabaseTests {
    @Suite struct MigrationTests {
        /// Ten processes start together on an empty database: the schema is applied exactly once.
        @Test func tenConcurrentMigratorsApplyEachFileOnce() async throws {
            let server = try TestDatabase.serverURL
            let db = try TestDatabase.create(name: "cs_test_empty_\(UInt32.random(in: 0...UInt32.max))", server: server)
            defer { db.drop(server: server) }

            let processes = try (0..<10).map { _ in try CoachSpoolProcess(["migrate"], database: db) }
            var outputs: [String] = []
            for p in processes {
                let status = await p.wait()
                #expect(status == 0, "migrate failed: \(p.stderr)")
                outputs.append(p.stdout)
            }
            #expect(outputs.filter { $0.hasPrefix("applied") }.count == 1)
            #expect(outputs.filter { $0.hasPrefix("schema up to date") }.count == 9)
            let files = try FileManager.default.contentsOfDirectory(atPath: ProcessInfo.processInfo.environment["COACHSPOOL_SCHEMA_DIR"]!)
                .filter { $0.hasSuffix(".sql") && $0.first?.isNumber == true }
            #expect(try db.scalar("SELECT count(*) FROM coachspool.schema_migrations", as: Int.self) == files.count)
        }

        /// A fresh install reads schema/current.sql; a database migrated file by file (as every
        /// database made before it was) must end up with the same catalog: columns in order with
        /// types and defaults, constraints, indexes, views, triggers, functions with their
        /// grants, privileges. `scripts/schema-snapshot.sh` rewrites current.sql after a migration.
        @Test func theCurrentSchemaIsWhatTheMigrationsLeave() async throws {
            let server = try TestDatabase.serverURL
            let directory = try SchemaLocator.locate(explicit: nil)
            var catalogs: [[String]] = []
            for replay in [true, false] {
                let db = try TestDatabase.create(name: "cs_test_schema_\(UInt32.random(in: 0...UInt32.max))", server: server)
                defer { db.drop(server: server) }
                var migrator = try Migrator(directory: directory, logger: Logger(label: "test"))
                migrator.replayMigrations = replay
                let applied = try migrator.migrate(try db.connect())
                #expect(applied.contains("current.sql") == !replay)
                catalogs.append(try db.connect().query(PGQuery(unsafeSQL: Self.catalog)).map { try $0.decode(String.self, at: 0) })
                #expect(try db.scalar("SELECT count(*) FROM coachspool.schema_migrations", as: Int.self) == migrator.migrations.count)
            }
            let migrator = try Migrator(directory: directory, logger: Logger(label: "test"))
            #expect(migrator.snapshot?.version == migrator.migrations.last?.version,
                    "schema/current.sql is older than the newest migration: run scripts/schema-snapshot.sh")
            #expect(catalogs[0].count > 300)
            let (replayed, current) = (Set(catalogs[0]), Set(catalogs[1]))
            #expect(replayed.subtracting(current).sorted() == [], "only after replaying the migrations")
            #expect(current.subtracting(replayed).sorted() == [], "only from current.sql")
        }

        /// The catalog of schema `coachspool`, one line per fact, independent of object ids.
        static let catalog = """
            SELECT 'column ' || c.relname || ' ' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum) || ' ' || a.attname
                   || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                   || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') || ' ' || a.attidentity::text || a.attgenerated::text
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE c.relnamespace = 'coachspool'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'p')
            UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated
              FROM pg_constraint WHERE connamespace = 'coachspool'::regnamespace
            UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'coachspool'
            -- a view's text without output aliases: PostgreSQL names the columns of a UNION's later
            -- branches when it reads back its own text (the view's columns are compared above)
            UNION ALL SELECT 'view ' || viewname || ' ' || regexp_replace(definition, ' AS ("[^"]*"|[a-z_][a-z0-9_]*)', '', 'g')
              FROM pg_views WHERE schemaname = 'coachspool'
            UNION ALL SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             WHERE c.relnamespace = 'coachspool'::regnamespace AND NOT t.tgisinternal
            UNION ALL SELECT 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid)) || ' ' || coalesce(array_to_string(p.proacl, ','), '-')
              FROM pg_proc p WHERE p.pronamespace = 'coachspool'::regnamespace
            UNION ALL SELECT 'privileges ' || c.relkind::text || ' ' || c.relname || ' ' || coalesce(array_to_string(c.relacl, ','), '-')
              FROM pg_class c WHERE c.relnamespace = 'coachspool'::regnamespace
            UNION ALL SELECT 'default privileges ' || defaclobjtype::text || ' ' || array_to_string(defaclacl, ',')
              FROM pg_default_acl WHERE defaclnamespace = 'coachspool'::regnamespace
            UNION ALL SELECT 'schema ' || coalesce(array_to_string(nspacl, ','), '-') FROM pg_namespace WHERE nspname = 'coachspool'
            UNION ALL SELECT 'sequence ' || sequencename || ' ' || data_type || ' ' || start_value || ' ' || increment_by || ' ' || cycle
              FROM pg_sequences WHERE schemaname = 'coachspool'
            ORDER BY 1
            """

        @Test func anEditedMigrationIsRefused() async throws {
            try await TestDatabase.with { db in
                try db.execute("UPDATE coachspool.schema_migrations SET checksum = 'tampered' WHERE version = 1")
                let result = try await CoachSpoolProcess.run(["migrate"], database: db)
                #expect(result.status != 0)
                #expect(result.err.contains("changed after it was applied"))
            }
        }

        @Test func commandsOnAnUnmigratedDatabaseSayWhatToDo() async throws {
            let server = try TestDatabase.serverURL
            let db = try TestDatabase.create(name: "cs_test_empty_\(UInt32.random(in: 0...UInt32.max))", server: server)
            defer { db.drop(server: server) }
            let result = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
            #expect(result.status != 0)
            #expect(result.err.contains("run `coachspool migrate` first"))
        }
    }
}
