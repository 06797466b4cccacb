import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// People's names and street addresses end to end (issue 29): sessions naming people are
    /// ingested and worked; no export format and no memory holds a name or an address, and a
    /// person keeps one placeholder across the turns of a conversation, or one invented name with
    /// `work --pseudonyms surrogate`.
    @Suite struct NameRedactionEndToEndTests {
        /// The real names and address words in the sessions: none may leave the spool.
        static let secrets = ["Jonas", "Berg", "Anna", "Lindqvist", "Linnea", "Chloe", "Okafor", "Storgatan", "Maple", "113 45"]

        /// Twelve sessions, Swedish and English: the same colleague named in full, by given name
        /// in lower case and by surname across turns; a regenerated answer (DPO pairs); rated
        /// answers marked helpful (KTO); an address.
        static func sessions() -> String {
            (0..<12).map { k -> String in
                let english = k % 2 == 1
                // Each session its own (exports drop duplicate conversations).
                let topic = ["budget", "schedule", "thesis", "launch", "audit", "roadmap"][k / 2]
                let turns: [[String: Any]]
                if english {
                    turns = [
                        ["role": "user", "content": "My roommate Chloe Okafor keeps borrowing my notes before every \(topic) meeting."],
                        ["role": "assistant", "content": "It sounds like Chloe relies on you. You could tell Chloe what you need in return.", "feedback": ["rating": 5, "helpful": true]],
                        ["role": "assistant", "content": "Just ignore it.", "feedback": ["rating": 2, "helpful": false]],
                        ["role": "user", "content": "chloe said okafor family rules say sharing is normal. We live at 14 Maple Street."],
                        ["role": "assistant", "content": "Then talk with Chloe about a fair arrangement that works for both of you.", "feedback": ["rating": 4, "helpful": true]],
                    ]
                } else {
                    turns = [
                        ["role": "user", "content": "Min kollega Jonas Berg tar åt sig äran för mitt arbete med \(topic) inför chefen Anna Lindqvist."],
                        ["role": "assistant", "content": "Det låter frustrerande. Kan du prata med Jonas direkt om hur ni fördelar äran?", "feedback": ["rating": 5, "helpful": true]],
                        ["role": "assistant", "content": "Strunta i det.", "feedback": ["rating": 2, "helpful": false]],
                        ["role": "user", "content": "jonas ringde igen i dag och Berg vill att jag ska skriva hans rapport. Linnea tycker jag ska säga nej. Vi ses på Storgatan 12, 113 45 Stockholm."],
                        ["role": "assistant", "content": "Linnea har en poäng. Säg till Jonas att du gärna hjälper till men att rapporten är hans, och ta upp det med Anna om det fortsätter.", "feedback": ["rating": 4, "helpful": true]],
                    ]
                }
                let session: [String: Any] = [
                    "session_id": "names-\(k)", "timestamp": "2025-11-0\(1 + k % 9)T10:00:00Z", "mode": "personal",
                    "language": english ? "en" : "sv", "user_id": "names-user-\(k)",
                    "consent": ["training": true, "retrieval": true], "conversation": turns,
                ]
                return String(decoding: try! JSONSerialization.data(withJSONObject: session, options: [.sortedKeys]), as: UTF8.self)
            }.joined(separator: "\n") + "\n"
        }

        static func assertNoSecret(_ text: String, _ context: String, among secrets: [String] = secrets) {
            for secret in secrets {
                #expect(text.range(of: "\\b\(secret)\\b", options: [.regularExpression, .caseInsensitive]) == nil, "\(context) holds \(secret)")
            }
        }

        @Test func noExportAndNoMemoryHoldsANameAndAPersonKeepsOnePlaceholder() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("name-sessions.jsonl")
                try Self.sessions().write(to: file, atomically: true, encoding: .utf8)
                let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
                #expect(ingest.status == 0, "\(ingest.err)")
                try await HybridSearchTests.prepare(db)  // a space, and the workers drained

                // The admin view counts the new types.
                #expect(try db.scalar("SELECT sum(entities) FROM coachspool.redaction_summary WHERE type = 'PERSON'", as: Int.self) > 0)
                #expect(try db.scalar("SELECT sum(entities) FROM coachspool.redaction_summary WHERE type = 'ADDRESS'", as: Int.self) == 12)
                // The memory: every accepted exchange of the twelve users, none with a name.
                let memories = try db.connect().query("SELECT body FROM coachspool.memories").map { try $0.decode(String.self, at: 0) }
                #expect(memories.count >= 24)
                for body in memories { Self.assertNoSecret(body, "a memory") }

                var folders: [String: URL] = [:]
                for format in ["trl-sft", "openai", "sharegpt", "alpaca", "trl-dpo", "openai-dpo", "kto"] {
                    let (dir, result) = try await DatasetTests.export(db, format, ["--val-fraction", "0"])
                    folders[format] = dir
                    #expect(result.status == 0, "\(format): \(result.err)")
                    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".jsonl") }
                    #expect(!files.isEmpty, "\(format)")
                    for name in files {
                        Self.assertNoSecret(try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8), "\(format)/\(name)")
                    }
                }

                // trl-sft: one number per person across the turns of a conversation.
                let rows = try DatasetTests.lines(try #require(folders["trl-sft"]).appendingPathComponent("train.jsonl"))
                // TRL's prompt-completion form: a row per trained answer; the rows of the second
                // answers hold the whole conversation.
                let whole = rows.map(Self.contents).filter { $0.contains("ringde igen") || $0.contains("family rules") }
                #expect(whole.count == 12)
                for contents in whole {
                    if contents.contains("roommate") {
                        #expect(contents.contains("My roommate <PERSON_1> keeps"), "\(contents)")
                        #expect(contents.contains("<PERSON_1> said <PERSON_1> family"), "\(contents)")
                        #expect(contents.contains("talk with <PERSON_1> about"), "\(contents)")
                        #expect(contents.contains("We live at <ADDRESS_1>."), "\(contents)")
                    } else {
                        #expect(contents.contains("Min kollega <PERSON_1> tar åt sig äran") && contents.contains("inför chefen <PERSON_2>."), "\(contents)")
                        #expect(contents.contains("<PERSON_1> ringde igen i dag och <PERSON_1> vill"), "\(contents)")
                        #expect(contents.contains("<PERSON_3> tycker") && contents.contains("<PERSON_3> har en poäng"), "\(contents)")
                        #expect(contents.contains("ta upp det med <PERSON_2> om"), "\(contents)")
                        #expect(contents.contains("Vi ses på <ADDRESS_1>."), "\(contents)")
                    }
                }

                // Surrogates: a new examples version, rebuilt at the worker's start; invented
                // names, the same across turns, no placeholder left and no real name.
                let surrogate = try await CoachSpoolProcess.run(["work", "--drain", "--pseudonyms", "surrogate"], database: db)
                #expect(surrogate.status == 0, "\(surrogate.err)")
                let invented = temporaryFile("export-surrogates")
                let result = try await CoachSpoolProcess.run(["export", "--format", "trl-sft", "--out", invented.path, "--val-fraction", "0"], database: db)
                #expect(result.status == 0, "\(result.err)")
                let inventedRows = try DatasetTests.lines(invented.appendingPathComponent("train.jsonl"))
                let inventedWhole = inventedRows.map(Self.contents).filter { $0.contains("ringde igen") || $0.contains("family rules") }
                #expect(inventedWhole.count == 12)
                for contents in inventedWhole {
                    // An invented name may be a real name of another conversation ("Anna" for Chloe).
                    let own = contents.contains("roommate") ? ["Chloe", "Okafor", "Maple"]
                        : ["Jonas", "Berg", "Anna", "Lindqvist", "Linnea", "Storgatan", "113 45"]
                    Self.assertNoSecret(contents, "a surrogate example: \(contents)", among: own)
                    #expect(!contents.contains("<PERSON") && !contents.contains("<ADDRESS"), "\(contents)")
                    if contents.contains("roommate") {
                        // "My roommate X Y keeps", later "talk with X about": the same X.
                        let given = NameRedactionEndToEndTests.word(after: "My roommate ", in: contents)
                        #expect(contents.contains("talk with \(given) about"), "\(contents)")
                    } else {
                        let given = NameRedactionEndToEndTests.word(after: "Min kollega ", in: contents)
                        #expect(contents.contains("Säg till \(given) att"), "\(contents)")
                    }
                }
            }
        }

        /// A database whose texts an earlier redactor made (no names) is brought forward at the
        /// next worker's start: the texts redone, the examples rebuilt, the names gone.
        @Test func textsOfAnEarlierRedactionVersionAreRedoneByTheWorkers() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("name-sessions-v2.jsonl")
                try Self.sessions().write(to: file, atomically: true, encoding: .utf8)
                let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
                #expect(ingest.status == 0, "\(ingest.err)")
                try await DatasetTests.drain(db)
                // What redact-v2 left: the names in the texts, under its version.
                let conn = try db.connect()
                try conn.query("""
                    UPDATE coachspool.interaction_texts t
                       SET text_version = 'redact-v2:CARD,EMAIL,IBAN,IP,PERSONNUMMER,PHONE,URL_SECRET;cl100k_base',
                           user_input = i.user_input, ai_response = i.ai_response
                      FROM coachspool.interactions i WHERE i.id = t.interaction_id
                    """)
                let work = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(work.status == 0, "\(work.err)")
                let current = try conn.query("SELECT count(DISTINCT interaction_id) FROM coachspool.interaction_texts WHERE text_version LIKE 'redact-v3:%'").scalar(Int.self)
                #expect(current == (try conn.query("SELECT count(*) FROM coachspool.interactions").scalar(Int.self)))
                let (dir, result) = try await DatasetTests.export(db, "openai", ["--val-fraction", "0"])
                #expect(result.status == 0, "\(result.err)")
                let train = try String(contentsOf: dir.appendingPathComponent("train.jsonl"), encoding: .utf8)
                #expect(train.contains("<PERSON_1>"))
                Self.assertNoSecret(train, "openai after the upgrade")
            }
        }

        /// The texts of a trl-sft row's prompt and completion, in order.
        static func contents(_ row: [String: Any]) -> String {
            ((row["prompt"] as? [[String: Any]] ?? []) + (row["completion"] as? [[String: Any]] ?? []))
                .map { $0["content"] as? String ?? "" }.joined(separator: "\n")
        }

        static func word(after prefix: String, in text: String) -> String {
            guard let range = text.range(of: prefix) else { return "?" }
            return String(text[range.upperBound...].prefix { $0.isLetter })
        }
    }
}
