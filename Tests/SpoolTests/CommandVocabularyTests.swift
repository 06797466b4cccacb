import Foundation
import Testing

extension DatabaseTests {
    /// One name and one default per concept across commands, and messages that name the next
    /// step (issue 27).
    @Suite struct CommandVocabularyTests {
        /// The defaults of the same concept agree between the commands that share it.
        @Test func sharedConceptsHaveOneNameAndOneDefault() async throws {
            func help(_ command: [String]) async throws -> String {
                let result = try await CoachSpoolProcess.run(command + ["--help"], database: nil)
                #expect(result.status == 0, "\(command): \(result.err)")
                return result.out.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: #" +"#, with: " ", options: .regularExpression)
            }
            let (export, train) = (try await help(["export"]), try await help(["train"]))
            #expect(export.contains("--val-fraction <val-fraction> Share of conversations in validation.jsonl (0 to 0.5). (default: 0.2)"), "\(export)")
            #expect(train.contains("(default: 0.2)"), "\(train)")
            #expect(export.contains("--coach-mode <coach-mode>") && !export.contains("--mode <mode>"), "\(export)")
            #expect(export.contains("training consent"), "export --help says what consent does")
            let (work, serve, embed, chunk) = (try await help(["work"]), try await help(["serve"]), try await help(["embed"]), try await help(["chunk"]))
            for text in [work, serve] { #expect(text.contains("(default: 127.0.0.1)"), "\(text)") }
            for text in [work, serve, embed] { #expect(text.contains("--embed-batch-size <"), "\(text)") }
            #expect(chunk.contains("--chunk-size") && chunk.contains("(default: 500)") && chunk.contains("(default: 50)"), "\(chunk)")
            #expect(work.contains("--chunk-overlap <chunk-overlap> Knowledge chunks: overlap between consecutive chunks. (default: 50)"), "\(work)")

            // The old spellings keep working, with the same result as the new ones.
            let input = temporaryFile("vocabulary.jsonl")
            try (String(repeating: "{\"text\": \"\(String(repeating: "Ett ord till. ", count: 60))\"}\n", count: 2)).write(to: input, atomically: true, encoding: .utf8)
            let new = try await CoachSpoolProcess.run(["chunk", "--jsonl"], database: nil, stdin: input)
            let old = try await CoachSpoolProcess.run(["chunk", "--size", "500", "--overlap", "50", "--jsonl"], database: nil, stdin: input)
            #expect(new.status == 0 && new.out == old.out && !new.out.isEmpty, "\(new.err)")
            let embedded = try await CoachSpoolProcess.run(["embed", "--embedder", "hash", "--embed-batch-size", "1", "--jsonl"], database: nil, stdin: input)
            let embeddedOld = try await CoachSpoolProcess.run(["embed", "--embedder", "hash", "--batch-size", "1", "--jsonl"], database: nil, stdin: input)
            #expect(embedded.status == 0 && embedded.out == embeddedOld.out, "\(embedded.err)")
        }

        /// A database nobody migrated: one line that says what to run, for every command.
        @Test func anUnmigratedDatabaseSaysRunMigrate() async throws {
            let fresh = try TestDatabase.create(name: "cs_test_unmigrated_\(UInt32.random(in: 0...UInt32.max))", server: try TestDatabase.serverURL)
            defer { fresh.drop(server: try! TestDatabase.serverURL) }
            for command in [["status"], ["jobs", "list"], ["runs", "list"], ["consent", "grant", "u1", "--purpose", "training"], ["erase", "--user", "u1"]] {
                let result = try await CoachSpoolProcess.run(command, database: fresh)
                #expect(result.status != 0, "\(command)")
                #expect(result.err.contains("run `coachspool migrate`"), "\(command): \(result.err)")
                #expect(!result.err.contains("SQLSTATE"), "\(command): \(result.err)")
                #expect(result.err.split(separator: "\n").count == 1, "\(command): \(result.err)")
            }
        }

        /// A sessions file read as interactions (and the reverse) names the --format to use.
        @Test func aFileInTheOtherFormatSuggestsTheRightFormat() async throws {
            try await TestDatabase.with { db in
                let sessions = temporaryFile("sessions-as-interactions.jsonl")
                try datasetSessionLines.write(to: sessions, atomically: true, encoding: .utf8)
                let asInteractions = try await CoachSpoolProcess.run(["ingest", sessions.path], database: db)
                #expect(asInteractions.status == 3)
                #expect(asInteractions.err.contains("line 1:") && asInteractions.err.contains("did you mean --format sessions?"), "\(asInteractions.err)")
                let interactions = temporaryFile("interactions-as-sessions.jsonl")
                try #"{"timestamp": "2025-10-01T10:00:00Z", "user_input": "Hur planerar jag veckan?", "ai_response": "Börja med det som är bestämt."}"#
                    .appending("\n").write(to: interactions, atomically: true, encoding: .utf8)
                let asSessions = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", interactions.path], database: db)
                #expect(asSessions.status == 3)
                #expect(asSessions.err.contains("did you mean --format interactions?"), "\(asSessions.err)")
                #expect(!asSessions.err.contains("Hur planerar"), "no echo of the input")
            }
        }
    }
}
