import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// Issue 19, first part: `scripts/postgres.sh standby` makes a synchronous streaming replica of
    /// an embedded server of its own, promotes it (without the synchronous_standby_names that
    /// would make every commit wait for a standby that is not there), and the old primary rejoins
    /// as its standby through pg_rewind; the multi-host URL finds the writable node.
    @Suite struct StandbyScriptTests {
        @Test func promoteAndRejoinWithTheProjectsScripts() async throws {
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("cs-standby-\(UInt32.random(in: 0...UInt32.max))")
            let script = Repository.path("scripts/postgres.sh").path
            func run(_ arguments: String) async throws -> (status: Int32, out: String) {
                let out = state.appendingPathComponent("out.txt")
                try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
                let status = try await runShell("COACHSPOOL_STATE_DIR='\(state.path)' COACHSPOOL_PG_PORT= '\(script)' \(arguments) >'\(out.path)' 2>&1")
                return (status, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
            }
            do {
                try await scenario(run)
            } catch {
                Issue.record(error)
            }
            // Both servers stop whatever happened above.
            _ = try await run("standby down")
            _ = try await run("down")
            try? FileManager.default.removeItem(at: state)
        }

        func scenario(_ run: (String) async throws -> (status: Int32, out: String)) async throws {
            let up = try await run("up")
            #expect(up.status == 0, "\(up.out)")
            let standby = try await run("standby up --sync")
            #expect(standby.status == 0, "\(standby.out)")
            let primaryURL = try #require(up.out.split(separator: "\n").last.map(String.init))
            let standbyURL = try #require(standby.out.split(separator: "\n").last.map(String.init))

            let primary = try PGConnection(conninfo: primaryURL)
            try primary.execute(unsafeSQL: "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
            #expect(try primary.query("SELECT sync_state FROM pg_stat_replication").scalar(String.self) == "sync")
            let replica = try PGConnection(conninfo: standbyURL)
            #expect(try await eventually { try replica.query("SELECT count(*) FROM t").scalar(Int.self) == 1 })

            // The primary is lost; the standby is promoted and takes writes at once.
            #expect(try await run("down").status == 0)
            let promote = try await run("standby promote")
            #expect(promote.status == 0, "\(promote.out)")
            let promoted = try PGConnection(conninfo: standbyURL)
            #expect(try promoted.query("SHOW synchronous_standby_names").scalar(String.self) == "")
            try promoted.execute(unsafeSQL: "SET statement_timeout = '10s'; INSERT INTO t VALUES (2)")

            // The old primary follows the new one.
            let rejoin = try await run("standby rejoin")
            #expect(rejoin.status == 0, "\(rejoin.out)")
            let old = try PGConnection(conninfo: primaryURL)
            #expect(try old.query("SELECT pg_is_in_recovery()").scalar(Bool.self))
            #expect(try await eventually { try old.query("SELECT count(*) FROM t").scalar(Int.self) == 2 })
            let both = try await run("standby url")
            let writable = try PGConnection(conninfo: try #require(both.out.split(separator: "\n").last.map(String.init)))
            #expect(try writable.query("SELECT pg_is_in_recovery()").scalar(Bool.self) == false)
            #expect(try await run("standby status").out.contains("replication to coachspool_rejoined: streaming"))
        }
    }
}
