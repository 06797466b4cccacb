import Foundation
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

        @Test func killedWorkersAreShownAsGoneOnceThenPruned() async throws {
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
                let again = try await status(db)
                #expect(again.workers.isEmpty && again.goneWorkers.isEmpty, "gone workers are pruned after being shown")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.workers", as: Int.self) == 0)
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
                worker.signal(SIGCONT)
                #expect(try await eventually { try db.scalar("SELECT count(*) FROM coachspool.live_workers", as: Int.self) == 1 })
                worker.signal(SIGTERM)
                #expect(await worker.wait() == 0)
            }
        }
    }
}
