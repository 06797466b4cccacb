import Foundation
@testable import HTTPAPI
import LibPQ
import Testing

extension DatabaseTests {
    /// The Overview's figures on a large job table (scripts/bench-console.sh measures their speed
    /// at 10 M jobs): forced onto that path on a small table, where every figure can be checked.
    @Suite struct ConsoleCountsTests {
        @Test func largeTableFiguresAreExactWhereSmallAndRunningJobsComeFromHeartbeats() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                try conn.query("""
                    INSERT INTO coachspool.jobs (kind, source_id, state, run_at, attempt, lease_owner, lease_expires_at, last_error)
                    VALUES ('conversation', 1, 'dead', now(), 5, NULL, NULL, 'simulated: one'),
                           ('conversation', 2, 'dead', now(), 5, NULL, NULL, 'simulated: two'),
                           ('conversation', 3, 'dead', now(), 5, NULL, NULL, 'simulated: three'),
                           ('interaction', 1, 'ready', now() - interval '1 minute', 0, NULL, NULL, NULL),
                           ('interaction', 2, 'ready', now() - interval '1 minute', 0, NULL, NULL, NULL),
                           ('interaction', 3, 'ready', now() + interval '1 hour', 1, NULL, NULL, 'simulated: retry'),
                           ('interaction', 4, 'running', now(), 1, 'w-test', now() + interval '1 minute', NULL)
                    """)
                try conn.query("ANALYZE coachspool.jobs")
                // What the holding worker's heartbeat wrote; a gone worker's report does not count.
                try conn.query("""
                    INSERT INTO coachspool.workers (id, host, pid, concurrency, held)
                    VALUES ('w-test', 'test', 1, 1, '{"interaction": 1}'), ('w-gone', 'test', 2, 1, '{"interaction": 7, "conversation": 3}')
                    """)
                try conn.query("UPDATE coachspool.workers SET last_heartbeat = now() - interval '1 hour' WHERE id = 'w-gone'")
                let exact = try ConsoleData.stageCounts(conn)
                #expect(exact == [
                    .init(kind: "conversation", ready: .exact(0), running: .exact(0), retrying: .exact(0), dead: .exact(3)),
                    .init(kind: "interaction", ready: .exact(2), running: .exact(1), retrying: .exact(1), dead: .exact(0)),
                ])
                // Time enough to count on a loaded machine: the budget is what this test is not about.
                let large = try ConsoleData.stageCounts(conn, exactBelow: 0, time: .init(budget: .seconds(60), statementTimeout: .seconds(30)))
                #expect(large == [
                    .init(kind: "conversation", ready: .exact(0), running: .byHeartbeat(0), retrying: .exact(0), dead: .exact(3)),
                    .init(kind: "interaction", ready: .exact(2), running: .byHeartbeat(1), retrying: .exact(1), dead: .exact(0)),
                ], "small figures are counted on the large path too; running jobs are the live workers' reports")
                let dead = try #require(try ConsoleData.jobs(conn, kind: nil, state: .dead, before: nil))
                #expect(dead.map(\.lastError) == ["simulated: three", "simulated: two", "simulated: one"], "newest first")
                #expect(try ConsoleData.jobs(conn, kind: "conversation", state: .dead, before: dead[0].id)?.map(\.lastError) == ["simulated: two", "simulated: one"])
                #expect(try ConsoleData.jobs(conn, kind: nil, state: .running, before: nil)?.map(\.sourceID) == [4])
                #expect(try ConsoleData.kinds(conn) == ["conversation", "interaction"])
            }
        }

        @Test func theBigFiguresOfALargeTableAreThePlannersEstimates() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                try conn.query("""
                    INSERT INTO coachspool.jobs (kind, source_id, state, run_at)
                    SELECT 'interaction', g, 'ready', now() - interval '1 minute' FROM generate_series(1, 30000) g
                    """)
                try conn.query("ANALYZE coachspool.jobs")
                let counts = try #require(try ConsoleData.stageCounts(conn, exactBelow: 0, time: .init(budget: .seconds(60), statementTimeout: .seconds(30))).first)
                guard case .estimate(let n) = counts.ready else {
                    Issue.record("expected an estimate for 30,000 ready jobs, got \(counts.ready)")
                    return
                }
                #expect((20_000...40_000).contains(n), "the planner's estimate after ANALYZE: \(n)")
                #expect(counts.dead == .exact(0))
            }
        }
    }
}
