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
            try await ReplicaPair.with(sync: true) { pair in
                let (primaryURL, standbyURL, run) = (pair.primaryURL, pair.standbyURL, pair.script)
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
}
