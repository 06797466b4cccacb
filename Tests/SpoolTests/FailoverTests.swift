import Foundation
import LibPQ
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension DatabaseTests {
    /// Issue 19: a primary and a standby of their own (`scripts/postgres.sh standby`), workers on
    /// the multi-host URL, and what happens when the primary goes, a worker only sees a standby,
    /// a synchronous commit hangs, and reads go to the replica.
    @Suite struct FailoverTests {
        /// The primary stops in the middle of a drain and the standby is promoted: the workers
        /// move to it through the multi-host URL, without a restart, and every interaction gets
        /// exactly one verdict — with a handful of log lines, not one per retry.
        @Test func failoverMidDrainGivesEveryInteractionOneVerdict() async throws {
            try await ReplicaPair.with(sync: true) { pair in
                let total = 4_000
                try await ingest(total, into: pair.database(pair.primaryURL))
                let both = pair.database(try await pair.writableURL)
                let workers = try (0..<2).map { _ in
                    try CoachSpoolProcess(
                        ["work", "--concurrency", "1", "--batch-size", "50", "--lease", "3", "--no-embeddings", "--log-level", "info"],
                        database: both)
                }
                defer { workers.forEach { $0.signal(SIGKILL) } }
                let primary = try PGConnection(conninfo: pair.primaryURL)
                #expect(try await eventually(timeout: 120, interval: 0.05) {
                    try primary.query("SELECT count(*) FROM coachspool.quality_verdicts").scalar(Int.self) >= 400
                })
                #expect(try await pair.script("down").status == 0)
                let promote = try await pair.script("standby promote")
                #expect(promote.status == 0, "\(promote.out)")

                let promoted = try PGConnection(conninfo: pair.standbyURL)
                #expect(try await eventually(timeout: 180, interval: 0.2) {
                    try promoted.query("SELECT count(*) FROM coachspool.jobs WHERE state IN ('ready', 'running', 'retrying')")
                        .scalar(Int.self) == 0
                }, "\(workers.map(\.stderr))")
                for worker in workers {
                    worker.signal(SIGTERM)
                    #expect(await worker.wait(timeout: 60) == 0, "\(worker.stderr)")
                    let warnings = worker.stderr.split(separator: "\n").filter { $0.contains("warning") }
                    #expect(warnings.count <= 8, "a log line per retry:\n\(worker.stderr)")
                }
                try expectExactlyOnce(pair.database(pair.standbyURL), total: total)
            }
        }

        /// An ingest on the multi-host URL while the primary stops and the standby is promoted:
        /// its writers store the batch in hand again on the new primary, and the run ends with
        /// every line stored once (synchronous replication: nothing acknowledged is lost).
        @Test func anIngestCarriesOnAcrossAFailover() async throws {
            try await ReplicaPair.with(sync: true) { pair in
                let total = 100_000
                let file = temporaryFile("failover-ingest.jsonl")
                try writeInteractions(count: total, to: file)
                let ingest = try CoachSpoolProcess(
                    ["ingest", "--batch-size", "500", "--writers", "2", file.path], database: pair.database(try await pair.writableURL),
                    environment: ["COACHSPOOL_LOG_LEVEL": "info"])
                defer { ingest.signal(SIGKILL) }
                let primary = try PGConnection(conninfo: pair.primaryURL)
                #expect(try await eventually(timeout: 60, interval: 0.01) {
                    try primary.query("SELECT count(*) FROM coachspool.interactions").scalar(Int.self) > 0
                })
                #expect(try await pair.script("down").status == 0)
                #expect(try await pair.script("standby promote").status == 0)
                #expect(await ingest.wait(timeout: 180) == 0, "\(ingest.stderr)")
                #expect(ingest.stderr.contains("the database is away"), "the ingest ended before the failover: \(ingest.stderr)")
                let promoted = pair.database(pair.standbyURL)
                #expect(try promoted.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == total)
                // Every interaction queued once, in one of ingest's batch jobs.
                #expect(try promoted.scalar("""
                    SELECT count(*) FROM coachspool.jobs j JOIN coachspool.interaction_batches b ON b.id = j.source_id,
                           unnest(b.interaction_ids) m WHERE j.kind = 'interaction_batch'
                    """, as: Int.self) == total)
                #expect(try promoted.scalar("SELECT count(DISTINCT m) FROM coachspool.interaction_batches, unnest(interaction_ids) m", as: Int.self) == total)
                #expect(try promoted.scalar("SELECT count(DISTINCT origin_line) FROM coachspool.interactions", as: Int.self) == total)
            }
        }

        /// The coach app's HTTP API on the multi-host URL, when the node it is connected to starts
        /// answering as read-only (25006, as an old primary does after a failover) while another
        /// node takes writes: the pool drops each connection that answered so, and the next
        /// requests are stored on the writable node — no restart of `serve`.
        @Test func theHTTPAPIMovesToTheWritableNode() async throws {
            try await ReplicaPair.with(sync: false) { pair in
                let (server, port) = try await HTTPAPITests.start(pair.database(try await pair.writableURL))
                defer { server.signal(SIGKILL) }
                func log(_ n: Int) async -> Int {
                    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/interactions")!)
                    request.httpMethod = "POST"
                    request.setValue("Bearer \(HTTPAPITests.token)", forHTTPHeaderField: "Authorization")
                    request.httpBody = Data(#"{"user_input": "Hur planerar jag vecka \#(n)?", "ai_response": "Börja med det som redan är bestämt, vecka \#(n)."}"#.utf8)
                    let response = try? await URLSession.shared.data(for: request).1
                    return (response as? HTTPURLResponse)?.statusCode ?? 0
                }
                #expect(await log(1) == 201)
                // The standby becomes writable; the first node answers read-only from now on, on
                // the pool's open connections too (a reloaded setting).
                #expect(try await pair.script("standby promote").status == 0)
                let first = try PGConnection(conninfo: pair.primaryURL)
                try first.execute(unsafeSQL: "ALTER SYSTEM SET default_transaction_read_only = on")
                try first.execute(unsafeSQL: "SELECT pg_reload_conf()")
                // The reload is asynchronous: until the postmaster has read the file (a new
                // session shows it), a request may still be stored on the first node.
                #expect(await eventually(timeout: 10, interval: 0.05) {
                    (try? PGConnection(conninfo: pair.primaryURL).query("SHOW default_transaction_read_only").scalar(String.self)) == "on"
                })
                var n = 1
                #expect(await eventually(timeout: 60, interval: 0.2) { n += 1; return await log(n) == 201 }, "\(server.stderr)")
                #expect(await log(n + 1) == 201)
                let writable = pair.database(pair.standbyURL)
                #expect(try writable.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) >= 3)
                #expect(server.process.isRunning)
            }
        }

        /// Workers whose URL names only a standby wait: /ready answers 503, nothing is claimed,
        /// each thread logs the refusal once. Once the standby is promoted they start and drain.
        @Test func aWorkerPointedOnlyAtAStandbyWaitsNotReadyAndLogsOnce() async throws {
            try await ReplicaPair.with(sync: false) { pair in
                let total = 300
                try await ingest(total, into: pair.database(pair.primaryURL))
                #expect(try await pair.caughtUp())
                let standby = pair.database(pair.standbyURL)
                // One that embeds (its space is registered at start: it waits before it starts)
                // and one that does not (it starts, and its loops and side channel wait).
                let workers = try [["--embedder", "hash"], ["--no-embeddings"]].map {
                    try CoachSpoolProcess(
                        ["work", "--concurrency", "2", "--metrics-port", "0", "--metrics-host", "127.0.0.1", "--log-level", "info"] + $0,
                        database: standby)
                }
                defer { workers.forEach { $0.signal(SIGKILL) } }
                var bases: [URL] = []
                for worker in workers {
                    var port: Int?
                    _ = await eventually(timeout: 60) {
                        port = worker.stderr.firstMatch(of: /metrics\.port=(\d+)/).flatMap { Int($0.1) }
                        return port != nil
                    }
                    bases.append(URL(string: "http://127.0.0.1:\(try #require(port, "\(worker.stderr)"))")!)
                }
                try await Task.sleep(for: .seconds(8))  // retries at 0.2, 0.4 … 3.2 s, 5 s
                for (worker, base) in zip(workers, bases) {
                    #expect(try await httpGet(base.appendingPathComponent("ready")).0 == 503)
                    let warnings = worker.stderr.split(separator: "\n").filter { $0.contains("warning") }
                    // At most one per thread (two claim loops, the side channel, the start).
                    #expect(!warnings.isEmpty && warnings.count <= 3, "\(worker.stderr)")
                }
                #expect(workers[0].stderr.components(separatedBy: "waiting for a writable database").count == 2, "\(workers[0].stderr)")
                #expect(try standby.scalar("SELECT count(*) FROM coachspool.quality_verdicts", as: Int.self) == 0)

                #expect(try await pair.script("down").status == 0)
                #expect(try await pair.script("standby promote").status == 0)
                for base in bases {
                    #expect(try await eventually(timeout: 60, interval: 0.2) { try await httpGet(base.appendingPathComponent("ready")).0 == 200 })
                }
                #expect(try await eventually(timeout: 120, interval: 0.2) {
                    try standby.scalar("SELECT count(*) FROM coachspool.jobs WHERE state IN ('ready', 'running', 'retrying')", as: Int.self) == 0
                })
                for worker in workers {
                    worker.signal(SIGTERM)
                    #expect(await worker.wait(timeout: 60) == 0, "\(worker.stderr)")
                }
                try expectExactlyOnce(standby, total: total)
            }
        }

        /// The synchronous standby is gone, so every commit on the primary waits for it (the wait
        /// event SyncRep). SIGTERM ends the worker within its deadline; once the standby is back
        /// another worker finishes the queue, every interaction exactly once.
        @Test func sigtermWhileASynchronousCommitHangsExitsWithinTheDeadline() async throws {
            try await ReplicaPair.with(sync: true) { pair in
                let total = 1_000
                let primary = pair.database(pair.primaryURL)
                try await ingest(total, into: primary)
                #expect(try await pair.script("standby down").status == 0)
                let worker = try CoachSpoolProcess(
                    ["work", "--concurrency", "1", "--batch-size", "100", "--lease", "3", "--shutdown-timeout", "2",
                     "--stall-threshold", "1", "--no-embeddings", "--log-level", "info"],
                    database: primary)
                defer { worker.signal(SIGKILL) }
                let watcher = try primary.connect()
                #expect(try await eventually(timeout: 60) {
                    try watcher.query("""
                        SELECT count(*) FROM pg_stat_activity
                         WHERE application_name = 'coachspool-worker' AND wait_event = 'SyncRep'
                        """).scalar(Int.self) >= 1
                })
                #expect(await eventually(timeout: 10) { worker.stderr.contains("stall threshold") }, "\(worker.stderr)")
                await expectStopsWithinTheDeadline(worker)

                let back = try await pair.script("standby up --sync")
                #expect(back.status == 0, "\(back.out)")
                let rescuer = try await CoachSpoolProcess.run(["work", "--drain", "--lease", "3", "--no-embeddings"], database: primary)
                #expect(rescuer.status == 0, "\(rescuer.err)")
                try expectExactlyOnce(primary, total: total)
            }
        }

        /// Reads on a caught-up replica: `search`, `status` and `export` through
        /// COACHSPOOL_READ_URL (or --read-url) answer what the primary answers.
        @Test func searchOnACaughtUpReplicaEqualsSearchOnThePrimary() async throws {
            try await ReplicaPair.with(sync: false) { pair in
                let primary = pair.database(pair.primaryURL)
                let documents = Repository.path("scripts/sample-data/knowledge").path
                let ingested = try await CoachSpoolProcess.run(["ingest", "--format", "documents", documents], database: primary)
                #expect(ingested.status == 0, "\(ingested.err)")
                let sessions = temporaryFile("sessions.jsonl")
                try TrainingSessions(count: 12).write(to: sessions)
                let conversations = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", sessions.path], database: primary)
                #expect(conversations.status == 0, "\(conversations.err)")
                let drained = try await CoachSpoolProcess.run(["work", "--drain", "--embedder", "hash"], database: primary)
                #expect(drained.status == 0, "\(drained.err)")
                #expect(try await pair.caughtUp())

                // Reads only: the replica serves them even when DATABASE_URL names nothing reachable.
                let nowhere = TestDatabase(name: "coachspool", url: "postgresql://postgres@127.0.0.1:1/coachspool?connect_timeout=2")
                for question in ["Hur planerar jag min vecka?", "How do I cite sources in an essay?", "stress inför tentan"] {
                    for mode in ["hybrid", "vector", "text"] {
                        let onPrimary = try await CoachSpoolProcess.run(["search", question, "--mode", mode, "-k", "5", "--json"], database: primary)
                        let onReplica = try await CoachSpoolProcess.run(
                            ["search", question, "--mode", mode, "-k", "5", "--json"], database: nowhere,
                            environment: ["COACHSPOOL_READ_URL": pair.standbyURL])
                        #expect(onPrimary.status == 0 && onReplica.status == 0, "\(onPrimary.err) \(onReplica.err)")
                        #expect(!onPrimary.out.isEmpty && onPrimary.out == onReplica.out, "\(question) (\(mode))")
                    }
                }
                let byFlag = try await CoachSpoolProcess.run(
                    ["search", "stress inför tentan", "--json", "--read-url", pair.standbyURL], database: nowhere)
                let onPrimary = try await CoachSpoolProcess.run(["search", "stress inför tentan", "--json"], database: primary)
                #expect(byFlag.status == 0 && byFlag.out == onPrimary.out, "\(byFlag.err)")
                let secret = try await CoachSpoolProcess.run(
                    ["status", "--read-url", "postgresql://postgres:hunter2@127.0.0.1:1/coachspool"], database: nowhere)
                #expect(secret.status != 0 && secret.err.contains("--read-url holds a password"), "\(secret.err)")

                let status = try await CoachSpoolProcess.run(["status"], database: nowhere, environment: ["COACHSPOOL_READ_URL": pair.standbyURL])
                #expect(status.status == 0, "\(status.err)")
                #expect(status.out.contains("read from a standby") && status.out.contains("streaming"), "\(status.out)")
                #expect(status.out.contains("interactions  36"), "\(status.out)")
                let onThePrimary = try await CoachSpoolProcess.run(["status", "--json"], database: primary)
                #expect(onThePrimary.out.contains("\"role\" : \"primary\"") && onThePrimary.out.contains("coachspool_standby"), "\(onThePrimary.out)")

                // An export reads on the replica but is recorded on the primary (erasure names it):
                // with the primary away it refuses before writing anything.
                let unrecorded = temporaryFile("export-unrecorded")
                let refused = try await CoachSpoolProcess.run(
                    ["export", "--format", "openai", "--out", unrecorded.path], database: nowhere, environment: ["COACHSPOOL_READ_URL": pair.standbyURL])
                #expect(refused.status != 0 && refused.err.contains("every export is recorded there"), "\(refused.err)")
                #expect(!FileManager.default.fileExists(atPath: unrecorded.appendingPathComponent("train.jsonl").path))
                var sums: [String] = []
                for (name, environment) in [("primary", [String: String]()), ("replica", ["COACHSPOOL_READ_URL": pair.standbyURL])] {
                    let out = temporaryFile("export-\(name)")
                    let export = try await CoachSpoolProcess.run(
                        ["export", "--format", "openai", "--out", out.path], database: primary, environment: environment)
                    #expect(export.status == 0, "\(export.err)")
                    sums.append(try String(contentsOf: out.appendingPathComponent("train.jsonl"), encoding: .utf8))
                }
                #expect(!sums[0].isEmpty && sums[0] == sums[1])
            }
        }
    }
}
