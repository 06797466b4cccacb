import Foundation
import LibPQ
import Spool
import Stages
import Testing

extension DatabaseTests {
    /// The language of knowledge documents: given (a JSON line's field, a file name's tag,
    /// `ingest --language`), else detected by the embed worker; full-text search and the language
    /// filter use it; `spaces` and `status` show it.
    @Suite struct DocumentLanguageTests {
        static let english = """
            # Sleep

            Sleep is the basis of recovery. Try to go to bed at the same time every night, and avoid \
            screens in the last hour before you fall asleep.
            """
        static let swedish = """
            # Sömn

            Sömn är grunden för återhämtning. Försök att gå och lägga dig vid samma tid varje kväll, \
            och undvik skärmar den sista timmen innan du somnar.
            """

        static func folder(_ files: [String: String]) throws -> URL {
            let folder = temporaryFile("documents")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, text) in files { try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
            return folder
        }

        typealias Result = (status: Int32, out: String, err: String)

        static func run(_ arguments: [String], _ db: TestDatabase) async throws -> Result {
            let result = try await CoachSpoolProcess.run(arguments, database: db)
            #expect(result.status == 0, "\(arguments): \(result.err)")
            return result
        }

        static func languages(_ db: TestDatabase) throws -> [String: String] {
            var languages: [String: String] = [:]
            for row in try db.connect().query("SELECT external_id, coalesce(language, '-') || '/' || coalesce(detected_language, '-') FROM coachspool.documents") {
                languages[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
            }
            return languages
        }

        static func sources(_ found: Result) throws -> [String] {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(found.out.utf8)) as? [String: Any])
            return try #require(object["results"] as? [[String: Any]]).compactMap { $0["source"] as? String }
        }

        @Test func untaggedDocumentsGetTheirDetectedLanguage() async throws {
            try await TestDatabase.with { db in
                let folder = try Self.folder([
                    "sleep.md": Self.english, "somn.md": Self.swedish, "hej.md": "# Hej\n\nHej!",
                    // A tag wins over the text.
                    "notes.en.md": Self.swedish.replacingOccurrences(of: "# Sömn", with: "# Anteckningar"),
                ])
                _ = try await Self.run(["ingest", "--format", "documents", folder.path], db)
                _ = try await Self.run(["work", "--drain", "--embedder", "hash"], db)
                #expect(try Self.languages(db) == ["sleep.md": "-/en", "somn.md": "-/sv", "hej.md": "-/-", "notes.en.md": "en/-"])

                // English stemming and the English filter find the untagged English document.
                for mode in ["text", "hybrid"] {
                    let found = try await Self.run(["search", "sleeping", "--language", "en", "--mode", mode, "--json"], db)
                    #expect(try Self.sources(found).first == "sleep.md", "\(mode): \(found.out)")
                }
                let swedish = try await Self.run(["search", "sömnen", "--language", "sv", "--mode", "text", "--json"], db)
                #expect(try Self.sources(swedish) == ["somn.md"])
                // The chunks' full-text index uses the detected language.
                #expect(try db.scalar("""
                    SELECT bool_and(c.tsv = to_tsvector('english', c.body)) FROM coachspool.chunks c
                      JOIN coachspool.documents d ON d.id = c.document_id WHERE d.external_id = 'sleep.md'
                    """, as: Bool.self))

                let spaces = try await Self.run(["spaces", "list"], db)
                #expect(spaces.out.contains("(en 2, none 1, sv 1)"), "\(spaces.out)")
                let status = try await Self.run(["status"], db)
                #expect(status.out.contains("documents     4: en 2 (1 detected), none 1, sv 1 (1 detected)"), "\(status.out)")
                let json = try await Self.run(["status", "--json"], db)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
                let documents = try #require(object["documents"] as? [[String: Any]])
                #expect(documents.first?["language"] as? String == "en" && documents.first?["detected"] as? Int == 1)
            }
        }

        @Test func ingestLanguageIsTheDefaultAndATagOrFieldWins() async throws {
            try await TestDatabase.with { db in
                let folder = try Self.folder(["plain.md": Self.english, "tagged.en.md": Self.english])
                let lines = temporaryFile("documents.jsonl")
                try """
                    {"id": "line-1", "title": "Sleep", "text": "Go to bed at the same time every night."}
                    {"id": "line-2", "title": "Sleep", "text": "Go to bed at the same time every night.", "language": "en-GB"}

                    """.write(to: lines, atomically: true, encoding: .utf8)
                _ = try await Self.run(["ingest", "--format", "documents", "--language", "sv", folder.path, lines.path], db)
                _ = try await Self.run(["work", "--drain", "--embedder", "hash"], db)
                // Given, so nothing is detected (not even for the English text filed as Swedish).
                #expect(try Self.languages(db) == ["plain.md": "sv/-", "tagged.en.md": "en/-", "line-1": "sv/-", "line-2": "en-GB/-"])

                let invalid = try await CoachSpoolProcess.run(["ingest", "--format", "documents", "--language", "sv; drop", folder.path], database: db)
                #expect(invalid.status == 64)
                #expect(invalid.err.contains("--language: expected a language tag"), "\(invalid.err)")
                let interactions = try await CoachSpoolProcess.run(["ingest", "--language", "sv", lines.path], database: db)
                #expect(interactions.status == 64)
                #expect(interactions.err.contains("--language applies to --format documents"), "\(interactions.err)")
            }
        }

        /// Documents stored through SQL without a language, chunked before detection existed (or
        /// whose given language was removed), get one when a job for them comes round, without
        /// being embedded again; the full-text index follows.
        @Test func sqlDocumentsChunkedAlreadyAreDetectedWithoutEmbeddingAgain() async throws {
            try await TestDatabase.with { db in
                try db.execute("SELECT coachspool.upsert_document('sleep', 'Sleep', \(Self.english))")
                _ = try await Self.run(["work", "--drain", "--embedder", "hash"], db)
                #expect(try Self.languages(db) == ["sleep": "-/en"])
                // As a database migrated from before detection: no detected language, chunks indexed 'simple'.
                try db.execute("UPDATE coachspool.documents SET detected_language = NULL")
                #expect(try db.scalar("SELECT bool_and(tsv = to_tsvector('simple', body)) FROM coachspool.chunks", as: Bool.self))
                let embedded = try db.scalar("SELECT max(embedded_at)::text FROM coachspool.chunks", as: String.self)
                try db.execute("SELECT coachspool.enqueue('embed:' || id, (SELECT id FROM coachspool.documents)) FROM coachspool.embedding_spaces")
                _ = try await Self.run(["work", "--drain", "--embedder", "hash"], db)
                #expect(try Self.languages(db) == ["sleep": "-/en"])
                #expect(try db.scalar("SELECT bool_and(tsv = to_tsvector('english', body)) FROM coachspool.chunks", as: Bool.self))
                #expect(try db.scalar("SELECT max(embedded_at)::text FROM coachspool.chunks", as: String.self) == embedded)
                // A language given later wins, and the detection is dropped.
                try db.execute("SELECT coachspool.upsert_document('sleep', 'Sleep', \(Self.english), p_language => 'sv')")
                _ = try await Self.run(["work", "--drain", "--embedder", "hash"], db)
                #expect(try Self.languages(db) == ["sleep": "sv/-"])
                #expect(try db.scalar("SELECT bool_and(tsv = to_tsvector('swedish', body)) FROM coachspool.chunks", as: Bool.self))
            }
        }

        /// `Language(tag:)` (Swift) and `coachspool.text_config` (SQL) read every tag alike.
        @Test func swiftAndSQLAgreeOnWhatATagMeans() async throws {
            try await TestDatabase.with { db in
                let tags = [
                    "sv", "SV", "sv-SE", "sv_FI", "swe", "Swedish", "SVENSKA", "svenska-x", "sv-", "sv_",
                    "en", "EN-gb", "en_US", "eng", "english", "ENGLISH-1", "en-", "se", "s", "svx", "sve", "swedishx",
                    "english2", "e", "engl", "de", "fr-CA", "", "-sv", "x-sv", "sv.SE", "en GB", "nb", "da", "fi",
                ]
                let conn = try db.connect()
                for tag in tags {
                    let sql = try conn.query("SELECT coachspool.text_config(\(tag))::text").scalar(String.self)
                    let swift = switch Language(tag: tag) {
                    case .sv: "swedish"
                    case .en: "english"
                    case nil: "simple"
                    }
                    #expect(sql == swift, "\(tag)")
                }
                #expect(try conn.query("SELECT coachspool.text_config(NULL)::text").scalar(String.self) == "simple")
                #expect(Language(tag: nil) == nil)
            }
        }
    }
}
