import Foundation
import Testing

extension DatabaseTests {
    /// Runtime failures are one `error:` line naming the path and what is wrong, with the
    /// documented exit status (1), not a usage error (64) nor Foundation's raw error text.
    @Suite struct CommandErrorsTests {
        @Test func exportToAPathThatCannotBeCreatedNamesThePathAndTheReason() async throws {
            try await TestDatabase.with { db in
                let blocker = temporaryFile("a-file")
                try Data("x".utf8).write(to: blocker)
                let out = blocker.appendingPathComponent("export")
                let result = try await CoachSpoolProcess.run(["export", "--format", "openai", "--out", out.path], database: db)
                #expect(result.status == 1)
                #expect(result.err.contains("error: \(out.path): --out: cannot create this folder: \(blocker.path) is a file, not a folder"), "\(result.err)")
                #expect(!result.err.contains("NSCocoaErrorDomain"))
            }
        }

        @Test func aMissingInputFileIsARuntimeErrorNotAUsageError() async throws {
            try await TestDatabase.with { db in
                let missing = temporaryFile("not-there.jsonl")
                let result = try await CoachSpoolProcess.run(["ingest", missing.path], database: db)
                #expect(result.status == 1, "\(result.err)")
                #expect(result.err.contains("error: \(missing.path): cannot open the file"), "\(result.err)")
                let prompts = try await CoachSpoolProcess.run(["work", "--drain", "--system-prompts", missing.path], database: db)
                #expect(prompts.status == 1, "\(prompts.err)")
                #expect(prompts.err.contains("--system-prompts: cannot read the file"), "\(prompts.err)")
            }
        }

        /// Every command takes `--log-level`, and it decides what reaches stderr.
        @Test func everyCommandHonoursTheLogLevel() async throws {
            try await TestDatabase.with { db in
                let commands: [[String]] = [
                    ["status"], ["jobs", "list"], ["export", "--format", "openai", "--out", temporaryFile("lvl").path],
                    ["ingest", "-"], ["migrate"], ["spaces", "list"], ["runs", "list"], ["hardware"], ["tokens", "--jsonl"],
                    ["consent", "grant", "u1", "--purpose", "training"], ["erase", "--user", "u1"],
                ]
                for command in commands {
                    let bad = try await CoachSpoolProcess.run(command + ["--log-level", "loud"], database: db)
                    #expect(bad.status == 64, "\(command): \(bad.err)")
                    #expect(bad.err.contains("--log-level"), "\(command)")
                }
                let fresh = try TestDatabase.create(name: "cs_test_lvl_\(UInt32.random(in: 0...UInt32.max))", server: try TestDatabase.serverURL)
                defer { fresh.drop(server: try! TestDatabase.serverURL) }
                let quiet = try await CoachSpoolProcess.run(["migrate", "--log-level", "warning"], database: fresh, environment: ["COACHSPOOL_LOG_LEVEL": "info"])
                #expect(quiet.status == 0 && !quiet.err.contains("applied migration"), "\(quiet.err)")
                let erase = try await CoachSpoolProcess.run(["erase", "--user", "u2", "--log-level", "info"], database: db)
                #expect(erase.err.contains("erased a user"), "--log-level info beats the tests' notice: \(erase.err)")
            }
        }
    }
}
