import Foundation
import LibPQ
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension DatabaseTests {
    /// Issue 19: SIGTERM while the batch in hand cannot complete (its statement waits on the
    /// database — here a lock, as a commit waits for a synchronous standby that is gone) ends
    /// within the shutdown deadline; the batch's leases expire and another worker completes it,
    /// every interaction exactly once.
    @Suite struct ShutdownDeadlineTests {
        @Test func sigtermWhileAStatementHangsExitsWithinTheDeadline() async throws {
            try await TestDatabase.with { db in
                let total = 2_000
                try await ingest(total, into: db)
                let blocker = try db.connect()
                try blocker.execute(unsafeSQL: "BEGIN; LOCK TABLE coachspool.quality_verdicts IN ACCESS EXCLUSIVE MODE")
                let worker = try CoachSpoolProcess(
                    ["work", "--concurrency", "1", "--batch-size", "100", "--lease", "3", "--shutdown-timeout", "2", "--no-embeddings"],
                    database: db, environment: ["COACHSPOOL_LOG_LEVEL": "notice"])
                // Its completion waits for the lock (seen from another connection: a transaction
                // reads pg_stat_activity once).
                let watcher = try db.connect()
                #expect(try await eventually(timeout: 60) {
                    try watcher.query("""
                        SELECT count(*) FROM pg_stat_activity
                         WHERE application_name = 'coachspool-worker' AND wait_event_type = 'Lock'
                        """).scalar(Int.self) == 1
                })
                await expectStopsWithinTheDeadline(worker)
                try blocker.execute(unsafeSQL: "ROLLBACK")

                let rescuer = try await CoachSpoolProcess.run(["work", "--drain", "--lease", "3", "--no-embeddings"], database: db)
                #expect(rescuer.status == 0, "\(rescuer.err)")
                try expectExactlyOnce(db, total: total)
            }
        }
    
        /// A worker whose statements hang shows it: /ready answers 503, the stall gauge counts the
        /// stalled loop, one log line when it starts and one when it ends — not one per check.
        @Test func aHangingStatementFailsReadinessAndLogsOnce() async throws {
            try await TestDatabase.with { db in
                try await ingest(500, into: db)
                let blocker = try db.connect()
                try blocker.execute(unsafeSQL: "BEGIN; LOCK TABLE coachspool.quality_verdicts IN ACCESS EXCLUSIVE MODE")
                let worker = try CoachSpoolProcess(
                    ["work", "--concurrency", "1", "--no-embeddings", "--stall-threshold", "1", "--metrics-port", "0",
                     "--metrics-host", "127.0.0.1", "--log-level", "info"],
                    database: db)
                defer { worker.signal(SIGKILL) }
                var port: Int?
                _ = await eventually(timeout: 30) {
                    port = worker.stderr.firstMatch(of: /metrics\.port=(\d+)/).flatMap { Int($0.1) }
                    return port != nil
                }
                let base = URL(string: "http://127.0.0.1:\(try #require(port))")!
                // /ready is 503 also while the worker is still starting (not yet connected): wait
                // for the stall itself, then check that readiness reports it.
                var samples: [String: Double] = [:]
                _ = try await eventually(timeout: 30, interval: 0.2) {
                    samples = prometheusSamples(try await httpGet(base.appendingPathComponent("metrics")).1)
                    return samples["coachspool_worker_statements_stalled"] == 1
                }
                #expect(try await eventually(timeout: 30, interval: 0.2) { try await httpGet(base.appendingPathComponent("ready")).0 == 503 })
                #expect(samples["coachspool_worker_statements_stalled"] == 1)
                #expect(samples["coachspool_worker_statement_stalls_total"] == 1)
                try await Task.sleep(for: .seconds(2.5))  // more checks pass: still one line
                #expect(worker.stderr.components(separatedBy: "stall threshold").count == 2, "\(worker.stderr)")

                try blocker.execute(unsafeSQL: "ROLLBACK")
                #expect(try await eventually(timeout: 30, interval: 0.2) { try await httpGet(base.appendingPathComponent("ready")).0 == 200 })
                #expect(worker.stderr.contains("statements complete again"))
                worker.signal(SIGTERM)
                #expect(await worker.wait(timeout: 30) == 0)
            }
        }
    
        /// A database that refuses the worker for seconds: one warning per thread and distinct
        /// failure, one notice when it is back — not one line per retry.
        @Test func aDatabaseAwayIsLoggedOncePerThread() async throws {
            try await TestDatabase.with { db in
                let worker = try CoachSpoolProcess(
                    ["work", "--concurrency", "1", "--no-embeddings", "--log-level", "info"], database: db)
                defer { worker.signal(SIGKILL) }
                #expect(await eventually(timeout: 30) { worker.stderr.contains("worker started") })
                let server = try PGConnection(conninfo: try TestDatabase.serverURL)
                let name = try server.quoteIdentifier(db.name)
                try server.execute(unsafeSQL: "ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
                try server.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(db.name)")
                try await Task.sleep(for: .seconds(7))  // retries at 0.2, 0.4 … 3.2 s
                let away = worker.stderr
                try server.execute(unsafeSQL: "ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
                // Two failures, two lines: the connection lost, then the refusal — against about six
                // retries in these seconds.
                #expect(away.components(separatedBy: "side channel lost the database").count == 3, "\(away)")
                #expect(away.components(separatedBy: "claim loop error").count <= 3, "\(away)")
                #expect(await eventually(timeout: 30) { worker.stderr.contains("side channel reconnected") }, "\(worker.stderr)")
                worker.signal(SIGTERM)
                #expect(await worker.wait(timeout: 30) == 0)
            }
        }
    }
}

/// SIGTERM to a worker started with `--shutdown-timeout 2` whose statement hangs: it exits 0
/// within a few seconds, with one "deadline passed" line (not one per retry).
func expectStopsWithinTheDeadline(_ worker: CoachSpoolProcess, sourceLocation: SourceLocation = #_sourceLocation) async {
    let sent = Date()
    worker.signal(SIGTERM)
    let status = await worker.wait(timeout: 30)
    let took = Date().timeIntervalSince(sent)
    #expect(status == 0, "\(worker.stderr)", sourceLocation: sourceLocation)
    #expect(took < 6, "exited \(took) s after SIGTERM; the deadline is 2 s", sourceLocation: sourceLocation)
    #expect(worker.stderr.components(separatedBy: "shutdown deadline passed").count == 2, "\(worker.stderr)", sourceLocation: sourceLocation)
}
