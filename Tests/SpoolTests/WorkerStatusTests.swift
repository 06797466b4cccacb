import Foundation
import Spool
import Testing

extension DatabaseTests {
    /// `status` tells live workers from gone ones: live means a heartbeat younger than the
    /// worker's lease; a worker killed with SIGKILL never says it stopped.
    @Suite struct WorkerStatusTests {
        struct Status: Decodable {
            struct Live: Decodable { var id: String }
            struct Gone: Decodable { var id: String; var stopped: Bool }
            var workers: [Live]
            var goneWorkers: [Gone]
        }

        func status(_ db: TestDatabase) async throws -> Status {
            let result = try await CoachSpoolProcess.run(["status", "--json"], database: db)
            #expect(result.status == 0, "\(result.err)")
            return try JSONDecoder().decode(Status.self, from: Data(result.out.utf8))
        }

        @Test func killedWorkersAreShownAsGoneThenPrunedByALiveWorker() async throws {
            try await TestDatabase.with { db in
                let killed = try CoachSpoolProcess(["work", "--lease", "2", "--no-embeddings"], database: db)
                let stopped = try CoachSpoolProcess(["work", "--lease", "2", "--no-embeddings"], database: db)
                defer {
                    killed.signal(SIGKILL)
                    stopped.signal(SIGKILL)
                }
                #expect(try await eventually { try db.scalar("SELECT count(*) FROM coachspool.live_workers", as: Int.self) == 2 })
                #expect(try await status(db).workers.count == 2)

                killed.signal(SIGKILL)
                await killed.wait()
                stopped.signal(SIGTERM)
                #expect(await stopped.wait() == 0)
                try await Task.sleep(for: .seconds(2.5))

                let after = try await status(db)
                #expect(after.workers.isEmpty, "a killed worker is not live once its lease has passed")
                #expect(after.goneWorkers.count == 2)
                #expect(after.goneWorkers.filter(\.stopped).count == 1, "one stopped, one vanished")
                // status writes nothing: asked again, it shows the same.
                #expect(try await status(db).goneWorkers.count == 2)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.workers", as: Int.self) == 2)

                // A day later a live worker's reaper deletes their rows.
                try db.execute("""
                    UPDATE coachspool.workers SET last_heartbeat = now() - interval '25 hours',
                           stopped_at = CASE WHEN stopped_at IS NOT NULL THEN now() - interval '25 hours' END
                    """)
                let live = try CoachSpoolProcess(["work", "--lease", "2", "--no-embeddings"], database: db)
                defer { live.signal(SIGKILL) }
                #expect(try await eventually { try db.scalar("SELECT count(*) FROM coachspool.workers", as: Int.self) == 1 })
                let pruned = try await status(db)
                #expect(pruned.workers.count == 1 && pruned.goneWorkers.isEmpty)
                live.signal(SIGTERM)
                #expect(await live.wait() == 0)
            }
        }

        /// A worker paused past its lease (pruned meanwhile) registers again with its next heartbeat.
        @Test func aPrunedWorkerThatComesBackIsLiveAgain() async throws {
            try await TestDatabase.with { db in
                let worker = try CoachSpoolProcess(["work", "--lease", "2", "--no-embeddings"], database: db)
                defer { worker.signal(SIGKILL) }
                #expect(try await eventually { try db.scalar("SELECT count(*) FROM coachspool.live_workers", as: Int.self) == 1 })
                worker.signal(SIGSTOP)
                try await Task.sleep(for: .seconds(2.5))
                #expect(try await status(db).goneWorkers.count == 1)
                try db.execute("DELETE FROM coachspool.workers")  // as a live worker's reaper does a day later
                worker.signal(SIGCONT)
                #expect(try await eventually { try db.scalar("SELECT count(*) FROM coachspool.live_workers", as: Int.self) == 1 })
                worker.signal(SIGTERM)
                #expect(await worker.wait() == 0)
            }
        }
    }
}
