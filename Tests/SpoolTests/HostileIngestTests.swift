import CoachSpoolCore
import Foundation
import Stages
import Spool
import Testing

extension DatabaseTests {
    /// Ingest and the CLI under careless and hostile input: a bad line is one rejected line with
    /// its number, whatever it holds, and never aborts the file or cuts a value.
    @Suite struct HostileIngestTests {
        @Test func aNULOnOneLineRejectsThatLineAndKeepsTheOthers() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("nul.jsonl")
                let rejects = temporaryFile("nul.rejects.jsonl")
                try """
                    {"timestamp":"2025-10-01T10:00:00Z","user_input":"First question","ai_response":"First answer."}
                    {"timestamp":"2025-10-01T10:01:00Z","user_input":"hello\\u0000 my personnummer is","ai_response":"ok","user_id":"nul\\u0000tail"}
                    {"timestamp":"2025-10-01T10:02:00Z","user_input":"Third question","ai_response":"Third answer."}
                    """.write(to: file, atomically: true, encoding: .utf8)
                let result = try await CoachSpoolProcess.run(["ingest", "--rejects", rejects.path, file.path], database: db)
                #expect(result.status == 3, "\(result.err)")
                #expect(result.out.contains("accepted 2, duplicates 0, rejected 1"), "\(result.out)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == 2)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions WHERE user_input LIKE 'hello%'", as: Int.self) == 0)
                let rejected = try String(contentsOf: rejects, encoding: .utf8)
                #expect(rejected.contains(#""line":2"#) && rejected.contains(": contains a NUL character (U+0000)"), "\(rejected)")
            }
        }

        /// A value the checks let through but the database refuses (here a CHECK constraint the
        /// test adds) costs that line only: the batch is stored line by line.
        @Test func aLineTheDatabaseRefusesIsRejectedAloneAndTheBatchStored() async throws {
            try await TestDatabase.with { db in
                try db.execute("ALTER TABLE coachspool.interactions ADD CONSTRAINT test_refuse CHECK (user_input NOT LIKE '%REFUSE-ME%')")
                let file = temporaryFile("refused.jsonl")
                let rejects = temporaryFile("refused.rejects.jsonl")
                try (1...7).map { number in
                    let text = number == 4 ? "please REFUSE-ME" : "question \(number)"
                    return #"{"timestamp":"2025-10-01T10:00:0\#(number)Z","user_input":"\#(text)","ai_response":"answer \#(number)"}"#
                }.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
                let result = try await CoachSpoolProcess.run(["ingest", "--batch-size", "100", "--rejects", rejects.path, file.path], database: db)
                #expect(result.status == 3, "\(result.err)")
                #expect(result.out.contains("accepted 6, duplicates 0, rejected 1"), "\(result.out)")
                #expect(!result.err.contains("error:"), "exit 3 explains itself on stdout: \(result.err)")
                let rejected = try String(contentsOf: rejects, encoding: .utf8)
                #expect(rejected.contains(#""line":4"#) && rejected.contains("refused by the database (SQLSTATE 23514)"), "\(rejected)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == 6)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs", as: Int.self) == 6)
            }
        }

        @Test func documentsWithANULOrOverLongFieldsAreRejectedByLine() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("docs.jsonl")
                try """
                    {"id":"ok-1","title":"Sleep","text":"Sleep well and keep regular hours."}
                    {"id":"nul-1","title":"Cut\\u0000here","text":"The rest of the title would be lost."}
                    {"id":"\(String(repeating: "x", count: 2_000))","title":"Long id","text":"An id over the limit."}
                    {"id":"nul-2","title":"Body","text":"Before\\u0000after"}
                    {"id":"dup-1","title":"One","title":"Two","text":"Which title?"}
                    """.write(to: file, atomically: true, encoding: .utf8)
                let result = try await CoachSpoolProcess.run(["ingest", "--format", "documents", file.path], database: db)
                #expect(result.status == 3, "\(result.err)")
                #expect(result.out.contains("stored 1, unchanged 0, rejected 4"), "\(result.out)")
                #expect(result.err.contains("line 5: title: appears twice"), "\(result.err)")
                #expect(try db.scalar("SELECT string_agg(external_id, ',') FROM coachspool.documents", as: String.self) == "ok-1")
            }
        }

        /// Random lines through the real ingest and database: every line is stored or rejected
        /// with its number, the counts add up, and nothing is stored twice or cut short.
        @Test func randomLinesEndStoredOrRejectedNeverAborted() async throws {
            try await TestDatabase.with { db in
                var generator = SplitMix64(seed: 2_026)
                var lines: [String] = []
                let values = [
                    #""plain text""#, #""\u0000""#, #""a\u0000b""#, #""\ud800""#, #""å😀""#, "12", "null", "true",
                    #""\#(String(repeating: "z", count: 300))""#, #""sv-SE""#, #""1e9""#, #""""#,
                ]
                let fields = ["user_input", "ai_response", "user_id", "session_id", "language", "id", "turn_index", "mode"]
                for number in 1...400 {
                    switch generator.next() % 4 {
                    case 0:
                        lines.append(String(decoding: (0..<Int(generator.next() % 40)).map { _ in UInt8.random(in: 0x20...0x7E, using: &generator) }, as: UTF8.self))
                    default:
                        let field = fields[Int(generator.next() % UInt64(fields.count))]
                        let value = values[Int(generator.next() % UInt64(values.count))]
                        lines.append(#"{"timestamp":"2025-10-01T10:00:00Z","user_input":"q\#(number)","ai_response":"a\#(number)","\#(field)":\#(value)}"#)
                    }
                }
                let file = temporaryFile("random.jsonl")
                let rejects = temporaryFile("random.rejects.jsonl")
                try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
                let result = try await CoachSpoolProcess.run(["ingest", "--batch-size", "37", "--rejects", rejects.path, file.path], database: db)
                #expect(result.status == 0 || result.status == 3, "\(result.err)")
                let counts = try #require(result.out.firstMatch(of: /accepted (\d+), duplicates (\d+), rejected (\d+)/), "\(result.out)")
                let (accepted, duplicates, rejected) = (Int(counts.1)!, Int(counts.2)!, Int(counts.3)!)
                let nonBlank = lines.filter { !$0.allSatisfy { $0 == " " } }.count
                #expect(accepted + duplicates + rejected == nonBlank)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == accepted)
                #expect(try String(contentsOf: rejects, encoding: .utf8).split(separator: "\n").count == rejected)
                // Every stored line is stored whole: its question is the line's own.
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions WHERE user_input <> 'q' || origin_line", as: Int.self) == 0)
            }
        }

        @Test func aFolderOfLogsIsReadFileByFileAndAFolderWithoutLogsIsOneErrorLine() async throws {
            try await TestDatabase.with { db in
                let folder = temporaryFile("logs")
                try FileManager.default.createDirectory(at: folder.appendingPathComponent("2025"), withIntermediateDirectories: true)
                try #"{"timestamp":"2025-10-01T10:00:00Z","user_input":"One","ai_response":"Answer one."}"#
                    .write(to: folder.appendingPathComponent("2025/10-01.jsonl"), atomically: true, encoding: .utf8)
                try #"{"timestamp":"2025-10-02T10:00:00Z","user_input":"Two","ai_response":"Answer two."}"#
                    .write(to: folder.appendingPathComponent("2025/10-02.jsonl"), atomically: true, encoding: .utf8)
                try "notes".write(to: folder.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
                let result = try await CoachSpoolProcess.run(["ingest", folder.path], database: db)
                #expect(result.status == 0, "\(result.err)")
                #expect(result.out.contains("total: accepted 2, duplicates 0, rejected 0"), "\(result.out)")
                let empty = temporaryFile("empty-folder")
                try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
                let refused = try await CoachSpoolProcess.run(["ingest", empty.path], database: db)
                #expect(refused.status == 1)
                #expect(refused.err.hasPrefix("error: \(empty.path): a folder without .jsonl"), "\(refused.err)")
                #expect(refused.err.split(separator: "\n").count == 1 && !refused.err.contains("NSCocoaErrorDomain"))
                // The same for documents: a folder with nothing to store is not "stored 0".
                let noDocuments = try await CoachSpoolProcess.run(["ingest", "--format", "documents", empty.path], database: db)
                #expect(noDocuments.status == 1)
                #expect(noDocuments.err == "error: \(empty.path): a folder without .md or .txt files (JSON Lines documents: give the .jsonl files)\n", "\(noDocuments.err)")
            }
        }

        @Test func usageErrorsAreOneErrorLineWithStatus64() async throws {
            for arguments in [["search", "x", "-k", "-1"], ["ingest", "--batch-size", "0", "f"], ["no-such-command"], ["export", "--format", "csv"]] {
                let result = try await CoachSpoolProcess.run(arguments, database: nil)
                #expect(result.status == 64, "\(arguments): \(result.err)")
                let lines = result.err.split(separator: "\n")
                #expect(lines.count == 1 && lines[0].hasPrefix("error: "), "\(arguments): \(result.err)")
                #expect(!result.err.contains("Usage:"))
            }
            // A negative number after an option is that option's value: its own check answers.
            let negative = try await CoachSpoolProcess.run(["search", "x", "-k", "-1"], database: nil)
            #expect(negative.err == "error: -k must be in 1...1000 (see coachspool help)\n", "\(negative.err)")
            #expect(!negative.err.contains("Missing value"))
        }

        /// An export owns its folder: another format's files are removed, a foreign folder refused.
        @Test func anExportOwnsItsFolder() async throws {
            try await TestDatabase.with { db in
                try await DatasetTests.prepareGenerated(db, sessions: 40)
                let out = temporaryFile("owned-export")
                let first = try await CoachSpoolProcess.run(["export", "--format", "sharegpt", "--out", out.path], database: db)
                #expect(first.status == 0, "\(first.err)")
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("dataset_info.json").path))
                let second = try await CoachSpoolProcess.run(["export", "--format", "openai", "--out", out.path], database: db)
                #expect(second.status == 0, "\(second.err)")
                let files = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
                #expect(!files.contains("dataset_info.json") && !files.contains("llamafactory_sft.yaml"), "\(files)")
                #expect(files.contains("manifest.json") && files.contains("train.jsonl"))
                let foreign = temporaryFile("foreign-folder")
                try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
                try "mine".write(to: foreign.appendingPathComponent("thesis.docx"), atomically: true, encoding: .utf8)
                let refused = try await CoachSpoolProcess.run(["export", "--format", "openai", "--out", foreign.path], database: db)
                #expect(refused.status == 1)
                #expect(refused.err.contains("not a CoachSpool export (thesis.docx)"), "\(refused.err)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: foreign.path) == ["thesis.docx"])
            }
        }
    }
}

/// A line over the limit is skipped to its end and reported with its number; the lines around
/// it are read as usual (also when the reader's block ends inside the long line).
@Suite struct LineReaderLimitTests {
    @Test(arguments: [10, 4 << 20])
    func anOverLongLineIsSkippedAndNumbered(limit: Int) throws {
        let file = temporaryFile("long-lines.jsonl")
        let long = String(repeating: "x", count: limit + 1)
        try ["short", long, "ok", long].joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        var reader = LineReader(handle: try FileHandle(forReadingFrom: file), maxLineBytes: limit)
        var seen: [(Int, String, Bool)] = []
        while let line = try reader.next() { seen.append((line.number, String(decoding: line.bytes, as: UTF8.self), line.isOverLong)) }
        #expect(seen.map(\.0) == [1, 2, 3, 4])
        #expect(seen.map(\.1) == ["short", "", "ok", ""])
        #expect(seen.map(\.2) == [false, true, false, true])
    }
}
