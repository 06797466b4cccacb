import Crypto
import Datasets
import Foundation
import LibPQ
import Spool
import Stages
import Testing

/// Sessions of two users: anna's has a regenerated turn (ratings 5 and 2) and a rejected answer
/// in the middle; erik's is one good exchange. Only anna consents to training at first.
/// (Records are separated by blank lines here for reading; `datasetSessionLines` makes JSON Lines.)
let datasetSessions = """
    {"session_id": "s-anna", "timestamp": "2025-10-01T10:00:00Z", "mode": "university", "language": "sv", "user_id": "anna", "conversation": [
      {"role": "user", "content": "Hur använder jag AI i min uppsats på ett ärligt sätt?"},
      {"role": "assistant", "content": "Redovisa alltid hur du har använt AI-verktyg och kontrollera källorna själv.", "feedback": {"rating": 5, "helpful": true}},
      {"role": "assistant", "content": "Det spelar ingen roll, skriv bara som vanligt och hoppas på det bästa.", "feedback": {"rating": 2, "helpful": false}},
      {"role": "user", "content": "Vad säger universitetets regler om det här?"},
      {"role": "assistant", "content": "Kolla.", "feedback": {"rating": 1, "helpful": false}},
      {"role": "user", "content": "Kan jag be AI att sammanfatta artiklar åt mig?"},
      {"role": "assistant", "content": "Ja, men läs artiklarna själv också: sammanfattningar kan missa viktiga förbehåll.", "feedback": {"rating": 4, "helpful": true}}]}

    {"session_id": "s-erik", "timestamp": "2025-10-02T09:00:00Z", "mode": "personal", "language": "sv", "user_id": "erik", "conversation": [
      {"role": "user", "content": "Jag vill komma igång med att träna igen."},
      {"role": "assistant", "content": "Börja smått: två korta pass i veckan som du bokar in i kalendern.", "feedback": {"rating": 5, "helpful": true}}]}

    """

let datasetSessionLines = datasetSessions.components(separatedBy: "\n\n")
    .map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n") + "\n"

extension DatabaseTests {
    @Suite struct DatasetTests {
        static func prepare(_ db: TestDatabase) async throws {
            let file = temporaryFile("dataset-sessions.jsonl")
            try datasetSessionLines.write(to: file, atomically: true, encoding: .utf8)
            let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
            #expect(ingest.status == 0, "\(ingest.err)")
            #expect(try db.scalar("SELECT coachspool.set_consent('anna', 'training', true)", as: Bool.self))
            try await drain(db)
        }

        static func drain(_ db: TestDatabase) async throws {
            let work = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
            #expect(work.status == 0, "\(work.err)")
        }

        @Test func workersBuildExamplesOnlyForConsentedUsersAndRebuildOnlyOnChange() async throws {
            try await TestDatabase.with { db in
                try await Self.prepare(db)
                let conn = try db.connect()
                let messages = try conn.query("""
                    SELECT e.messages::text FROM coachspool.examples e
                      JOIN coachspool.conversations c ON c.id = e.conversation_id WHERE c.key = 's:s-anna'
                    """)
                try #require(messages.count == 1)
                let decoded = try JSONSerialization.jsonObject(with: Data(try messages[0].decode(String.self, at: 0).utf8)) as! [[String: Any]]
                #expect(decoded.map { $0["role"] as! String } == ["system", "user", "assistant", "user", "assistant", "user", "assistant"])
                #expect(decoded.map { $0["weight"] as? Int } == [nil, nil, 1, nil, 0, nil, 1])
                #expect((decoded[2]["content"] as! String).hasPrefix("Redovisa"))
                #expect((decoded[0]["content"] as! String).contains("universitets-AI"))
                #expect(try db.scalar("SELECT count(*) FROM coachspool.preference_pairs", as: Int.self) == 1)
                #expect(try db.scalar("SELECT preferred FROM coachspool.preference_pairs", as: String.self).hasPrefix("Redovisa"))
                // KTO: the two single rated answers with `helpful` (turns 2 and 3), not the regenerated turn.
                #expect(try db.scalar("SELECT string_agg(label::text, ',' ORDER BY interaction_id) FROM coachspool.feedback_examples", as: String.self) == "false,true")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.examples", as: Int.self) == 1, "erik has not consented")
                #expect(try db.scalar("SELECT tokens FROM coachspool.examples", as: Int.self) > 50)

                // Nothing changed: a re-queued conversation writes nothing.
                let builtAt = try db.scalar("SELECT max(built_at)::text FROM coachspool.conversation_builds", as: String.self)
                try db.execute("SELECT coachspool.enqueue('conversation', id) FROM coachspool.conversations")
                try await Self.drain(db)
                #expect(try db.scalar("SELECT max(built_at)::text FROM coachspool.conversation_builds", as: String.self) == builtAt)

                // Consent: granting builds erik's example; revoking anna's removes hers.
                #expect(try db.scalar("SELECT coachspool.set_consent('erik', 'training', true)", as: Bool.self))
                #expect(try db.scalar("SELECT coachspool.set_consent('anna', 'training', false)", as: Bool.self))
                try await Self.drain(db)
                #expect(try db.scalar("SELECT string_agg(c.key, ',') FROM coachspool.examples e JOIN coachspool.conversations c ON c.id = e.conversation_id", as: String.self) == "s:s-erik")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.preference_pairs", as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.feedback_examples WHERE conversation_id IN (SELECT id FROM coachspool.conversations WHERE key = 's:s-anna')", as: Int.self) == 0)

                // Late feedback re-evaluates the interaction and rebuilds its conversation.
                try db.execute("SELECT coachspool.log_feedback(id, 1, false) FROM coachspool.interactions WHERE user_id = 'erik'")
                try await Self.drain(db)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.examples", as: Int.self) == 0, "its only answer is now rejected")
                #expect(try db.scalar("SELECT label::text FROM coachspool.feedback_examples", as: String.self) == "false")
            }
        }

        /// Consent recorded by an ingested line (a backfill) rebuilds the user's earlier
        /// conversations too, not only the one the line belongs to.
        @Test func consentFromABackfillRebuildsEarlierConversations() async throws {
            try await TestDatabase.with { db in
                try await Self.prepare(db)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.examples e JOIN coachspool.conversations c ON c.id = e.conversation_id WHERE c.key = 's:s-erik'", as: Int.self) == 0)
                let file = temporaryFile("erik-backfill.jsonl")
                try #"{"timestamp": "2025-10-05T09:00:00Z", "user_id": "erik", "consent": {"training": true}, "user_input": "Hur håller jag fast vid träningen?", "ai_response": "Boka in passen i kalendern och följ upp varje söndag.", "feedback": {"rating": 4, "helpful": true}}"#
                    .appending("\n").write(to: file, atomically: true, encoding: .utf8)
                let ingest = try await CoachSpoolProcess.run(["ingest", file.path], database: db)
                #expect(ingest.status == 0, "\(ingest.err)")
                try await Self.drain(db)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.examples e JOIN coachspool.conversations c ON c.id = e.conversation_id WHERE c.key = 's:s-erik'", as: Int.self) == 1)
            }
        }

        /// English conversations get the English system prompt — tagged, or untagged and written
        /// in English — and a new examples version rebuilds what an earlier one built: examples
        /// made as releases before prompts had a language made them (the Swedish prompts for every
        /// language, here through the old shape of --system-prompts) are rebuilt, beside the old
        /// rows, by the next worker of the new version, without any job queued by hand.
        @Test func englishConversationsGetTheEnglishPromptAndANewVersionRebuildsThem() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("english-sessions.jsonl")
                try """
                    {"session_id": "s-en", "timestamp": "2025-10-01T10:00:00Z", "mode": "personal", "language": "en-GB", "user_id": "anna", "conversation": [{"role": "user", "content": "How do I keep going with my training?"}, {"role": "assistant", "content": "Book two short sessions a week in your calendar.", "feedback": {"rating": 5}}]}
                    {"session_id": "s-untagged", "timestamp": "2025-10-02T10:00:00Z", "mode": "university", "user_id": "anna", "conversation": [{"role": "user", "content": "Can I use an AI tool when I write my thesis?"}, {"role": "assistant", "content": "Yes, if you say how you used it and check every source yourself.", "feedback": {"rating": 5}}]}
                    {"session_id": "s-sv", "timestamp": "2025-10-03T10:00:00Z", "mode": "personal", "user_id": "anna", "conversation": [{"role": "user", "content": "Hur kommer jag igång med att träna igen?"}, {"role": "assistant", "content": "Börja smått: två korta pass i veckan som du bokar in.", "feedback": {"rating": 5}}]}

                    """.write(to: file, atomically: true, encoding: .utf8)
                #expect(try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db).status == 0)
                #expect(try db.scalar("SELECT coachspool.set_consent('anna', 'training', true)", as: Bool.self))
                let swedish = SystemPrompts()
                let old = temporaryFile("old-prompts.json")
                try """
                    {"personal": "\(swedish.prompt(for: .personal, in: .sv))", "university": "\(swedish.prompt(for: .university, in: .sv))"}
                    """.write(to: old, atomically: true, encoding: .utf8)
                let before = try await CoachSpoolProcess.run(["work", "--drain", "--system-prompts", old.path], database: db)
                #expect(before.status == 0, "\(before.err)")
                func systemPrompts(_ version: String) throws -> [String: String] {
                    var prompts: [String: String] = [:]
                    for row in try db.connect().query("""
                        SELECT c.key, e.messages -> 0 ->> 'content' FROM coachspool.examples e
                          JOIN coachspool.conversations c ON c.id = e.conversation_id WHERE e.version = \(version)
                        """) {
                        prompts[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
                    }
                    return prompts
                }
                let oldVersion = try db.scalar("SELECT min(version) FROM coachspool.examples", as: String.self)
                #expect(try systemPrompts(oldVersion) == [
                    "s:s-en": swedish.prompt(for: .personal, in: .sv), "s:s-untagged": swedish.prompt(for: .university, in: .sv),
                    "s:s-sv": swedish.prompt(for: .personal, in: .sv),
                ])

                let after = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(after.status == 0, "\(after.err)")
                let newVersion = try db.scalar("SELECT max(version) FROM coachspool.examples WHERE version <> \(oldVersion)", as: String.self)
                #expect(try systemPrompts(newVersion) == [
                    "s:s-en": swedish.prompt(for: .personal, in: .en), "s:s-untagged": swedish.prompt(for: .university, in: .en),
                    "s:s-sv": swedish.prompt(for: .personal, in: .sv),
                ])
                #expect(try systemPrompts(oldVersion).count == 3, "the old version's rows stay")
                // Every conversation has a build of the new version: the next start queues nothing.
                let again = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(again.status == 0 && again.out.contains("completed 0 jobs"), "\(again.out)")
            }
        }
    }
}

/// `count` generated sessions of users u0…u3 (u3 never consents): a first turn answered twice
/// (ratings 5 and 2: a DPO pair), then a follow-up rated 4 (a KTO example). Sessions `dup-a`
/// and `dup-b` have the same content up to case and spacing; `long` has an answer of ~600 tokens.
func writeDatasetSessions(count: Int, to url: URL) throws {
    func session(_ id: String, user: String, mode: String, question: String, long: Bool = false) -> [String: Any] {
        let answer = long ? String(repeating: "Ta ett steg i taget och följ upp varje vecka. ", count: 60)
                          : "Bra fråga om \(question): börja med ett litet, konkret steg i dag."
        return [
            "session_id": id, "timestamp": "2025-10-\(10 + id.count % 10)T10:00:00Z", "mode": mode, "language": "sv", "user_id": user,
            "consent": ["training": user != "u3"],
            "conversation": [
                ["role": "user", "content": "Hur kommer jag vidare med \(question)?"],
                ["role": "assistant", "content": answer, "feedback": ["rating": 5, "helpful": true]],
                ["role": "assistant", "content": "Det ordnar sig säkert av sig självt, \(question) är inget att oroa sig för.", "feedback": ["rating": 2, "helpful": false]],
                ["role": "user", "content": "Och om jag inte hinner med \(question) den här veckan?"],
                ["role": "assistant", "content": "Då flyttar vi målet för \(question) en vecka och gör det mindre.", "feedback": ["rating": 4, "helpful": true]],
            ],
        ]
    }
    var sessions = (0..<count).map { session("g\($0)", user: "u\($0 % 4)", mode: $0 % 3 == 0 ? "university" : "personal", question: "mål nummer \($0)") }
    sessions.append(session("dup-a", user: "u0", mode: "personal", question: "sömnen"))
    var twin = session("dup-b", user: "u1", mode: "personal", question: "sömnen")
    var turns = twin["conversation"] as! [[String: Any]]
    turns[0]["content"] = "HUR kommer jag  vidare med sömnen?"
    twin["conversation"] = turns
    sessions.append(twin)
    sessions.append(session("long", user: "u0", mode: "personal", question: "allt", long: true))
    let lines = try sessions.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
    try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
}

extension DatabaseTests.DatasetTests {
    static func prepareGenerated(_ db: TestDatabase, sessions: Int) async throws {
        let file = temporaryFile("generated-sessions.jsonl")
        try writeDatasetSessions(count: sessions, to: file)
        let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
        #expect(ingest.status == 0, "\(ingest.err)")
        try await drain(db)
    }

    static func export(_ db: TestDatabase, _ format: String, _ extra: [String] = []) async throws -> (dir: URL, result: (status: Int32, out: String, err: String)) {
        let dir = temporaryFile("export-\(format)")
        let result = try await CoachSpoolProcess.run(["export", "--format", format, "--out", dir.path] + extra, database: db)
        return (dir, (result.status, result.out, result.err))
    }

    static func lines(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test func exportsAreDeterministicSplitByConversationDeduplicatedAndValidated() async throws {
        try await TestDatabase.with { db in
            try await Self.prepareGenerated(db, sessions: 40)
            let options = ["--val-fraction", "0.25", "--seed", "s1", "--max-tokens", "300"]
            let (first, run1) = try await Self.export(db, "openai", options)
            #expect(run1.status == 0, "\(run1.err)")
            let (second, _) = try await Self.export(db, "openai", options)
            for name in ["train.jsonl", "validation.jsonl", "manifest.json"] {
                #expect(try Data(contentsOf: first.appendingPathComponent(name)) == Data(contentsOf: second.appendingPathComponent(name)), "\(name) differs between runs")
            }
            // One type writes and reads the manifest: read back and written again, it is the same
            // bytes (no key it does not know, none it drops; the reasons' keys stay as written).
            let typed = try DatasetManifest(directory: first)
            #expect(try typed.encoded() == Data(contentsOf: first.appendingPathComponent("manifest.json")))
            #expect(typed.excluded.byReason == ["duplicate": 1, "over_token_limit": 1])
            #expect(typed.filters.mode == nil && typed.split.validationFraction == 0.25)
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: first.appendingPathComponent("manifest.json"))) as! [String: Any]
            #expect((manifest["filters"] as? [String: Any])?.keys.sorted() == ["mode", "since"], "null filters keep their keys")
            let excluded = (manifest["excluded"] as! [String: Any])["by_reason"] as! [String: Int]
            #expect(excluded == ["duplicate": 1, "over_token_limit": 1])
            // 40 generated (30 consented) + dup-a; dup-b is the duplicate, long is over the limit.
            #expect(manifest["examples"] as? Int == 31)
            let files = manifest["files"] as! [String: [String: Any]]
            for (name, entry) in files {
                let digest = SHA256.hash(data: try Data(contentsOf: first.appendingPathComponent(name))).map { String(format: "%02x", $0) }.joined()
                #expect(entry["sha256"] as? String == digest)
            }
            let train = try Self.lines(first.appendingPathComponent("train.jsonl"))
            let validation = try Self.lines(first.appendingPathComponent("validation.jsonl"))
            #expect(train.count + validation.count == 31)
            #expect(validation.count > 0 && train.count > validation.count)
            let text = try String(contentsOf: first.appendingPathComponent("train.jsonl"), encoding: .utf8)
                + String(contentsOf: first.appendingPathComponent("validation.jsonl"), encoding: .utf8)
            #expect(!text.contains("mål nummer 3?"), "u3 has not consented")
            #expect(!text.contains("\"content\":\"Det ordnar sig"), "the worse regeneration is not in SFT data")
            // Another seed gives another split of the same examples.
            let (third, _) = try await Self.export(db, "openai", ["--val-fraction", "0.25", "--seed", "s2", "--max-tokens", "300"])
            #expect(try Data(contentsOf: third.appendingPathComponent("validation.jsonl")) != Data(contentsOf: first.appendingPathComponent("validation.jsonl")))
        }
    }

    @Test func everyFormatHasItsShapeAndTooFewExamplesFailWithoutWriting() async throws {
        try await TestDatabase.with { db in
            try await Self.prepareGenerated(db, sessions: 20)
            let (dpo, dpoRun) = try await Self.export(db, "openai-dpo", ["--val-fraction", "0"])
            #expect(dpoRun.status == 0, "\(dpoRun.err)")
            let pair = try #require(try Self.lines(dpo.appendingPathComponent("train.jsonl")).first)
            #expect(Set(pair.keys) == ["input", "preferred_output", "non_preferred_output"])
            #expect(((pair["preferred_output"] as! [[String: Any]])[0]["content"] as! String).hasPrefix("Bra fråga"))
            let (kto, _) = try await Self.export(db, "kto", ["--val-fraction", "0"])
            let feedback = try Self.lines(kto.appendingPathComponent("train.jsonl"))
            #expect(feedback.allSatisfy { Set($0.keys) == ["prompt", "completion", "label"] && $0["label"] as? Bool == true })
            // One example per trained answer, ending with it: the first exchange, then both.
            let (sharegpt, _) = try await Self.export(db, "sharegpt")
            let conversations = try Self.lines(sharegpt.appendingPathComponent("train.jsonl")).prefix(2)
            #expect(conversations.map { ($0["conversations"] as! [[String: String]]).map { $0["from"]! } } == [["human", "gpt"], ["human", "gpt", "human", "gpt"]])
            #expect(conversations.allSatisfy { ($0["system"] as? String)?.hasPrefix("Du är en AI-coach") == true })
            let info = try JSONSerialization.jsonObject(with: Data(contentsOf: sharegpt.appendingPathComponent("dataset_info.json"))) as! [String: [String: Any]]
            #expect(info["coachspool_train"]?["file_name"] as? String == "train.jsonl")
            let (alpaca, _) = try await Self.export(db, "alpaca")
            let records = try Self.lines(alpaca.appendingPathComponent("train.jsonl")).prefix(2)
            #expect(records.map { ($0["instruction"] as! String).hasPrefix("Hur kommer jag vidare") } == [true, false])
            #expect(records.map { ($0["history"] as! [[String]]).count } == [0, 1])

            // University: sessions 0, 3, …, 18 minus u3's: fewer than 10.
            let (few, fewRun) = try await Self.export(db, "openai", ["--coach-mode", "university"])
            #expect(fewRun.status == 4)
            #expect(fewRun.err.contains("OpenAI's fine-tuning API needs at least 10"), "\(fewRun.err)")
            #expect(!FileManager.default.fileExists(atPath: few.appendingPathComponent("train.jsonl").path))
            #expect(try FileManager.default.contentsOfDirectory(atPath: few.path).isEmpty)
            let bad = try await CoachSpoolProcess.run(["export", "--format", "csv", "--out", few.path], database: db)
            #expect(bad.status != 0 && bad.err.contains("csv"))
        }
    }
}
