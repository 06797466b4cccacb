import Embeddings
import Foundation
import LibPQ
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// GET on the worker's metrics endpoint: (status, body).
func httpGet(_ url: URL) async throws -> (Int, String) {
    let (data, response) = try await URLSession.shared.data(from: url)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

/// Samples of Prometheus's text format by series (`name{labels}` as written), comments skipped.
func prometheusSamples(_ text: String) -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        samples[String(line[..<space])] = value
    }
    return samples
}

extension DatabaseTests {
    @Suite struct MetricsTests {
        /// A worker started with `--metrics-port 0`, and the port it logged.
        func startWorker(_ db: TestDatabase, embedding: [String] = ["--no-embeddings"]) async throws -> (CoachSpoolProcess, URL) {
            let worker = try CoachSpoolProcess(
                ["work"] + embedding + ["--metrics-port", "0", "--metrics-host", "127.0.0.1",
                 "--queue-depth-interval", "1", "--lease", "3", "--log-level", "info"],
                database: db)
            var port: Int?
            _ = await eventually(timeout: 30) {
                port = worker.stderr.firstMatch(of: /metrics\.port=(\d+)/).flatMap { Int($0.1) }
                return port != nil
            }
            let found = try #require(port, "no metrics port in the log: \(worker.stderr)")
            return (worker, URL(string: "http://127.0.0.1:\(found)")!)
        }

        func scrape(_ base: URL) async throws -> [String: Double] {
            let (status, body) = try await httpGet(base.appendingPathComponent("metrics"))
            #expect(status == 200)
            return prometheusSamples(body)
        }

        @Test func countsJobsByStageAndTheQueueDepth() async throws {
            try await TestDatabase.with { db in
                let (worker, base) = try await startWorker(db)
                defer { worker.signal(SIGKILL) }
                #expect(await eventually(timeout: 30) { worker.stderr.contains("worker started") })
                try await ingest(600, into: db)
                #expect(try await eventually(timeout: 60) {
                    try db.scalar("SELECT count(*) FROM coachspool.jobs", as: Int.self) == 0
                })
                // A job whose worker vanished on its last attempt: this worker's reaper finds it dead.
                try db.execute("""
                    INSERT INTO coachspool.jobs (kind, source_id, state, attempt, max_attempts, lease_owner, lease_expires_at)
                    VALUES ('interaction', -1, 'running', 5, 5, 'ghost', now() - interval '1 minute')
                    """)
                var samples: [String: Double] = [:]
                let settled = try await eventually(timeout: 30, interval: 0.2) {
                    samples = try await scrape(base)
                    return samples[#"coachspool_jobs_dead_total{stage="interaction"}"#] == 1
                        && samples[#"coachspool_queue_jobs{stage="interaction",state="dead"}"#] == 1
                }
                #expect(settled, "\(samples.filter { $0.key.hasPrefix("coachspool") })")
                // Ingest queued the 600 interactions as two batch jobs (500 and 100); their conversations
                // were built in the same completions, without conversation jobs.
                #expect(samples[#"coachspool_jobs_claimed_total{stage="interaction_batch"}"#] == 2)
                #expect(samples[#"coachspool_jobs_completed_total{stage="interaction_batch"}"#] == 2)
                #expect(samples[#"coachspool_jobs_completed_total{stage="conversation"}"#] ?? 0 == 0)
                #expect(samples[#"coachspool_jobs_failed_total{stage="interaction_batch"}"#] == 0)
                #expect(samples[#"coachspool_lease_losses_total{stage="interaction_batch"}"#] == 0)
                #expect(samples[#"coachspool_leases_reaped_total{stage="interaction"}"#] == 1)
                #expect(samples[#"coachspool_queue_jobs{stage="interaction_batch",state="ready"}"#] ?? 0 == 0)
                #expect((samples[#"coachspool_batch_duration_seconds_count{stage="interaction_batch"}"#] ?? 0) >= 1)
                #expect((samples[#"coachspool_batch_duration_seconds_sum{stage="interaction_batch"}"#] ?? 0) > 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.conversation_builds", as: Int.self) == 150, "600 interactions in sessions of 4")
                #expect(samples["coachspool_worker_database_connected"] == 1)
                let log = worker.stderr
                #expect(!log.contains("Question number"), "no conversation text in the logs")
                worker.signal(SIGTERM)
                #expect(await worker.wait() == 0)
            }
        }

        /// Readiness follows the database connection: 503 while the database refuses the worker,
        /// 200 again once it is back, without a restart. The worker embeds in process, so it also
        /// logs and exports the CPU and OpenBLAS kernels it runs.
        @Test func readinessFollowsTheDatabaseConnection() async throws {
            try await TestDatabase.with { db in
                let (worker, base) = try await startWorker(db, embedding: ["--embedder", "minilm", "--threads", "1"])
                defer { worker.signal(SIGKILL) }
                let kernels = try OpenBLAS.shared().status
                // The endpoint answers (503) while the worker still loads its model and waits for
                // the database; the kernels are logged and exported once the model is loaded.
                #expect(await eventually(timeout: 60) { worker.stderr.contains("blas.core=\(kernels.core)") }, "\(worker.stderr)")
                var info: [String] = []
                _ = try await eventually(timeout: 30, interval: 0.2) {
                    info = try await scrape(base).keys.filter { $0.hasPrefix("coachspool_blas_info{") }
                    return !info.isEmpty
                }
                #expect(info.count == 1 && info.allSatisfy { $0.contains(#"blas_core="\#(kernels.core)""#) }, "\(info)")
                let ready = base.appendingPathComponent("ready")
                #expect(try await eventually(timeout: 30, interval: 0.2) { try await httpGet(ready).0 == 200 })
                let admin = try PGConnection(conninfo: try TestDatabase.serverURL)
                let name = try admin.quoteIdentifier(db.name)
                try admin.execute(unsafeSQL: "ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
                try admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(db.name) AND pid <> pg_backend_pid()")
                let refused = try await eventually(timeout: 30, interval: 0.2) { try await httpGet(ready).0 == 503 }
                try admin.execute(unsafeSQL: "ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
                #expect(refused, "readiness while the database refuses connections")
                #expect(try await eventually(timeout: 30, interval: 0.2) { try await httpGet(ready).0 == 200 }, "ready again")
                worker.signal(SIGTERM)
                #expect(await worker.wait() == 0)
            }
        }
    }
}
