import Foundation
import LibPQ
import Logging
import Pipeline
import Queue
import Spool
import Stages
import Synchronization
import Testing
import Tokenizers

/// The worker runtime driven with a handler of the test's own: it knows no stage, claims the
/// kinds of the handlers it is given, and retires, retries or buries what they say.
final class RecordingHandler: JobHandler {
    let kind: JobKind
    /// Jobs whose source id is in here fail every attempt.
    let failing: Set<Int64>
    private let seen = Mutex<[Int64: Int]>([:])

    init(kind: JobKind, failing: Set<Int64> = []) {
        self.kind = kind
        self.failing = failing
    }

    var sightings: [Int64: Int] { seen.withLock { $0 } }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> StageOutcome {
        seen.withLock { for job in jobs { $0[job.sourceID, default: 0] += 1 } }
        // A derived row per job, written by the runtime's completion statement only for the jobs
        // that did not fail and are still ours.
        return StageOutcome(
            failures: jobs.filter { failing.contains($0.sourceID) }.map { ($0, "source \($0.sourceID) is bad") },
            writes: .statement("""
                marks AS (
                    INSERT INTO claim_loop_marks (source_id, worker)
                    SELECT source_id, \(owner) FROM ours
                )
                """))
    }
}

extension DatabaseTests {
    @Suite struct ClaimLoopTests {
        func configuration(_ db: TestDatabase) throws -> WorkerConfiguration {
            let models = ProcessInfo.processInfo.environment["COACHSPOOL_MODELS"] ?? ".coachspool/models"
            var config = WorkerConfiguration(conninfo: db.url, text: TextPreparation(encoding: try CL100K(modelsDirectory: models)))
            config.drain = true
            config.concurrency = 2
            config.batchSize = 7
            config.retry.baseSeconds = 0.01
            config.retry.maxSeconds = 0.02
            return config
        }

        @Test func aTestHandlerRunsEveryJobOnceAndItsRowsAreWrittenInTheCompletion() async throws {
            try await TestDatabase.with { db in
                try db.execute("CREATE TABLE claim_loop_marks (source_id bigint PRIMARY KEY, worker text NOT NULL)")
                try db.execute("INSERT INTO coachspool.jobs (kind, source_id) SELECT 'noop', g FROM generate_series(1, 100) g")
                try db.execute("UPDATE coachspool.jobs SET max_attempts = 2 WHERE source_id IN (13, 77)")
                let handler = RecordingHandler(kind: .noop, failing: [13, 77])
                let config = try configuration(db)
                let worker = WorkerService(configuration: config, handlers: [handler], logger: Logger(label: "test"))
                try await worker.run()

                let seen = handler.sightings
                #expect(seen.count == 100)
                #expect(seen.filter { $0.key != 13 && $0.key != 77 }.allSatisfy { $0.value == 1 }, "each good job processed once")
                #expect(seen[13] == 2 && seen[77] == 2, "a failing job is retried until its last attempt")
                #expect(try db.scalar("SELECT count(*) FROM claim_loop_marks", as: Int.self) == 98)
                #expect(try db.scalar("SELECT count(*) FROM claim_loop_marks WHERE worker <> \(config.workerID)", as: Int.self) == 0)
                let dead = try db.connect().query("SELECT source_id, last_error FROM coachspool.jobs WHERE state = 'dead' ORDER BY 1")
                #expect(try dead.map { try $0.decode(Int64.self, at: 0) } == [13, 77])
                #expect(try dead[0].decode(String.self, at: 1) == "source 13 is bad")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs WHERE state <> 'dead'", as: Int.self) == 0)
                #expect(worker.statistics.snapshot.completed == 98)
            }
        }

        /// A worker claims only the kinds it has handlers for: the others wait for a worker that does.
        @Test func kindsWithoutAHandlerAreLeftForOtherWorkers() async throws {
            try await TestDatabase.with { db in
                try db.execute("CREATE TABLE claim_loop_marks (source_id bigint PRIMARY KEY, worker text NOT NULL)")
                try db.execute("INSERT INTO coachspool.jobs (kind, source_id) SELECT 'noop', g FROM generate_series(1, 20) g")
                try db.execute("INSERT INTO coachspool.jobs (kind, source_id) SELECT 'embed:3', g FROM generate_series(1, 5) g")
                let handler = RecordingHandler(kind: .noop)
                try await WorkerService(configuration: try configuration(db), handlers: [handler], logger: Logger(label: "test")).run()
                #expect(handler.sightings.count == 20)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs WHERE kind = 'embed:3' AND state = 'ready' AND attempt = 0", as: Int.self) == 5)
            }
        }
    }
}
