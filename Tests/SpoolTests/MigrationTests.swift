import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    @Suite struct MigrationTests {
        /// Ten processes start together on an empty database: the schema is applied exactly once.
        @Test func tenConcurrentMigratorsApplyEachFileOnce() async throws {
            let server = try TestDatabase.serverURL
            let db = try TestDatabase.create(name: "cs_test_empty_\(UInt32.random(in: 0...UInt32.max))", server: server)
            defer { db.drop(server: server) }

            let processes = try (0..<10).map { _ in try CoachSpoolProcess(["migrate"], database: db) }
            var outputs: [String] = []
            for p in processes {
                let status = await p.wait()
                #expect(status == 0, "migrate failed: \(p.stderr)")
                outputs.append(p.stdout)
            }
            #expect(outputs.filter { $0.hasPrefix("applied") }.count == 1)
            #expect(outputs.filter { $0.hasPrefix("schema up to date") }.count == 9)
            let files = try FileManager.default.contentsOfDirectory(atPath: ProcessInfo.processInfo.environment["COACHSPOOL_SCHEMA_DIR"]!)
                .filter { $0.hasSuffix(".sql") }
            #expect(try db.scalar("SELECT count(*) FROM coachspool.schema_migrations", as: Int.self) == files.count)
        }

        @Test func anEditedMigrationIsRefused() async throws {
            try await TestDatabase.with { db in
                try db.execute("UPDATE coachspool.schema_migrations SET checksum = 'tampered' WHERE version = 1")
                let result = try await CoachSpoolProcess.run(["migrate"], database: db)
                #expect(result.status != 0)
                #expect(result.err.contains("changed after it was applied"))
            }
        }

        @Test func commandsOnAnUnmigratedDatabaseSayWhatToDo() async throws {
            let server = try TestDatabase.serverURL
            let db = try TestDatabase.create(name: "cs_test_empty_\(UInt32.random(in: 0...UInt32.max))", server: server)
            defer { db.drop(server: server) }
            let result = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
            #expect(result.status != 0)
            #expect(result.err.contains("run `coachspool migrate` first"))
        }
    }
}
