import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    @Suite struct LibPQTests {
        @Test func interpolatedValuesAreParametersNotSQL() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let hostile = "x'); DROP TABLE coachspool.jobs; --"
                let query: PGQuery = "SELECT \(hostile)::text, \(42)::int + 1, \(Optional<String>.none)::text IS NULL"
                #expect(query.sql == "SELECT $1::text, $2::int + 1, $3::text IS NULL")
                let row = try conn.query(query)[0]
                #expect(try row.decode(String.self, at: 0) == hostile)
                #expect(try row.decode(Int.self, at: 1) == 43)
                #expect(try row.decode(Bool.self, at: 2))
                #expect(try conn.query("SELECT to_regclass('coachspool.jobs') IS NOT NULL").scalar(Bool.self))
            }
        }

        @Test func decodesTypedRowsNullsAndArrays() async throws {
            try await TestDatabase.with { db in
                let row = try db.connect().query("""
                    SELECT 9007199254740993::bigint AS big, NULL::text AS nothing, ARRAY['a', 'b c', 'd"e']::text[] AS words,
                           \([Int64(1), 2, 3])::bigint[] AS ids, 2.5::float8 AS half
                    """)[0]
                #expect(try row.decode(Int64.self, named: "big") == 9_007_199_254_740_993)
                #expect(try row.decode(String?.self, named: "nothing") == nil)
                #expect(try row.decode([String].self, named: "words") == ["a", "b c", "d\"e"])
                #expect(try row.decode([Int64].self, named: "ids") == [1, 2, 3])
                #expect(try row.decode(Double.self, named: "half") == 2.5)
                #expect(throws: PGError.self) { try row.decode(String.self, named: "nothing") }
                #expect(throws: PGError.self) { try row.decode(Int.self, named: "words") }
            }
        }

        @Test func serverErrorsCarrySQLStateAndHideDetail() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                try conn.query("CREATE TABLE t (k text PRIMARY KEY)")
                try conn.query("INSERT INTO t VALUES (\("secret-value"))")
                let error = try #require(throws: PGError.self) { try conn.query("INSERT INTO t VALUES (\("secret-value"))") }
                #expect(error.code == .server)
                #expect(error.sqlState == PGError.SQLState.uniqueViolation)
                #expect(!error.description.contains("secret-value"), "description must not quote row values")
                #expect(error.debugDescription.contains("secret-value"))
                // The connection stays usable after an error.
                #expect(try conn.query("SELECT 1").scalar(Int.self) == 1)
            }
        }

        @Test func transactionsCommitOrRollBack() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                try conn.query("CREATE TABLE t (n int)")
                try conn.transaction { try $0.query("INSERT INTO t VALUES (1)") }
                struct Boom: Error {}
                #expect(throws: Boom.self) {
                    try conn.transaction { conn -> Void in
                        try conn.query("INSERT INTO t VALUES (2)")
                        throw Boom()
                    }
                }
                #expect(try conn.query("SELECT array_agg(n) FROM t").scalar([Int].self) == [1])
            }
        }

        @Test func binaryCopyRoundTripsEveryFieldType() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                try conn.query("CREATE TABLE t (n bigint, i int, s smallint, b boolean, txt text, ts timestamptz)")
                var writer = PGCopyBinaryWriter(fieldsPerRow: 6)
                writer.startRow()
                writer.write(Int64(-5)); writer.write(Int32(7)); writer.write(Int16(3)); writer.write(true)
                writer.write("Hej då 👋 \t\"quoted\"")
                writer.writeTimestamp(microsSinceUnixEpoch: 1_759_140_000_123_456)
                writer.startRow()
                writer.write(Int64?.none); writer.write(Int32?.none); writer.write(Int16?.none); writer.write(Bool?.none)
                writer.write(String?.none); writer.writeTimestamp(microsSinceUnixEpoch: nil)
                let stored = try conn.copyIn("COPY t FROM STDIN (FORMAT binary)", payload: writer.finish())
                #expect(stored == 2)
                let row = try conn.query("""
                    SELECT n, i, s, b, txt, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM t WHERE n IS NOT NULL
                    """)[0]
                #expect(try row.decode(Int64.self, at: 0) == -5)
                #expect(try row.decode(Int.self, at: 1) == 7)
                #expect(try row.decode(Int.self, at: 2) == 3)
                #expect(try row.decode(Bool.self, at: 3))
                #expect(try row.decode(String.self, at: 4) == "Hej då 👋 \t\"quoted\"")
                #expect(try row.decode(String.self, at: 5) == "2025-09-29 10:00:00.123456")
                #expect(try conn.query("SELECT count(*) FROM t WHERE n IS NULL AND txt IS NULL AND ts IS NULL").scalar(Int.self) == 1)
            }
        }

        @Test func copyErrorsAreReportedAndTheConnectionRecovers() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                try conn.query("CREATE TABLE t (n int NOT NULL)")
                var writer = PGCopyBinaryWriter(fieldsPerRow: 1)
                writer.startRow()
                writer.write(Int32?.none)
                let error = try #require(throws: PGError.self) {
                    try conn.copyIn("COPY t FROM STDIN (FORMAT binary)", payload: writer.finish())
                }
                #expect(error.sqlState == "23502")  // not_null_violation
                #expect(try conn.query("SELECT count(*) FROM t").scalar(Int.self) == 0)
            }
        }

        @Test func listenReceivesNotifyAfterCommitOnly() async throws {
            try await TestDatabase.with { db in
                let listener = try db.connect()
                try listener.listen("coachspool_jobs")
                let sender = try db.connect()
                try sender.execute(unsafeSQL: "BEGIN")
                try sender.query("SELECT pg_notify('coachspool_jobs', 'hello')")
                #expect(try listener.waitForNotifications(timeout: .milliseconds(200)).isEmpty)
                try sender.execute(unsafeSQL: "COMMIT")
                let notes = try listener.waitForNotifications(timeout: .seconds(5))
                #expect(notes.map(\.payload) == ["hello"])
                #expect(notes.first?.senderPID == sender.backendPID)
            }
        }

        @Test func cancelStopsARunningQueryFromAnotherThread() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let canceller = try #require(conn.makeCanceller())
                let started = Date()
                let cancelThread = Thread {
                    Thread.sleep(forTimeInterval: 0.3)
                    canceller.cancel()
                }
                cancelThread.start()
                let error = try #require(throws: PGError.self) { try conn.query("SELECT pg_sleep(30)") }
                #expect(error.code == .cancelled)
                #expect(error.sqlState == PGError.SQLState.queryCanceled)
                #expect(Date().timeIntervalSince(started) < 10)
                #expect(try conn.query("SELECT 2").scalar(Int.self) == 2)
            }
        }

        @Test func lostConnectionIsAConnectionProblem() async throws {
            try await TestDatabase.with { db in
                let victim = try db.connect()
                try db.execute("SELECT pg_terminate_backend(\(victim.backendPID))")
                let error = try #require(throws: PGError.self) { try victim.query("SELECT 1") }
                #expect(error.isConnectionProblem)
                #expect(!victim.isHealthy)
            }
        }

        /// A standby (or the old primary after a failover) answers writes with 25006: reconnect,
        /// so that a multi-host URL finds the writable host. Other server errors are not.
        @Test func aReadOnlyServerIsAConnectionProblem() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                try conn.execute(unsafeSQL: "SET default_transaction_read_only = on")
                let readOnly = try #require(throws: PGError.self) { try conn.query("INSERT INTO coachspool.jobs (kind, source_id) VALUES ('noop', 1)") }
                #expect(readOnly.sqlState == "25006")
                #expect(readOnly.isConnectionProblem)
                let other = try #require(throws: PGError.self) { try conn.query("SELECT 1/0") }
                #expect(!other.isConnectionProblem)
            }
        }

        /// What a reconnect can mend (a server away, a standby) and what it cannot (a wrong
        /// database or password): producers and workers wait for the first, fail at once on the second.
        @Test func aWrongDatabaseIsAPermanentConnectionFailure() throws {
            let server = try TestDatabase.serverURL
            let wrong = try #require(throws: PGError.self) { try PGConnection(conninfo: TestDatabase.url(server, database: "cs_no_such_db")) }
            #expect(wrong.isConnectionProblem && wrong.isPermanentConnectionFailure && !wrong.isWorthReconnecting, "\(wrong)")
            let away = try #require(throws: PGError.self) { try PGConnection(conninfo: "postgresql://postgres@127.0.0.1:1/x?connect_timeout=2") }
            #expect(away.isWorthReconnecting, "\(away)")
        }

        @Test func unreachableServerFailsWithoutLeakingThePassword() {
            let error = #expect(throws: PGError.self) {
                try PGConnection(conninfo: "postgresql://someone:hunter2@127.0.0.1:1/nowhere?connect_timeout=2")
            }
            #expect(error?.code == .connectionFailed)
            #expect(error?.description.contains("hunter2") == false)
        }
    }
}
