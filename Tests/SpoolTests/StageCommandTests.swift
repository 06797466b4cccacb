import Foundation
import Testing

/// The stage commands through the real binary: JSON Lines in, one object per line out, in order,
/// bad lines answered in place with an error object and exit status 3.
@Suite struct StageCommandTests {
    static let reference = Repository.path("Tests/Fixtures/reference")

    func jsonLines(_ texts: [String], badLineAt bad: Int? = nil) throws -> URL {
        var lines = try texts.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self) }
        if let bad { lines.insert("{\"text\": 42}", at: bad) }
        let file = temporaryFile("stage.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        return file
    }

    func outputObjects(_ out: String) throws -> [[String: Any]] {
        try out.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test func tokensMatchTiktokenAndBadLinesKeepTheirPlace() async throws {
        let data = try Data(contentsOf: Self.reference.appendingPathComponent("cl100k_dev.json"))
        let items = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["items"] as! [[String: Any]]
        let input = try jsonLines(items.map { $0["text"] as! String }, badLineAt: 5)
        let result = try await CoachSpoolProcess.run(["tokens", "--jsonl"], database: nil, stdin: input)
        #expect(result.status == 3)
        #expect(result.err.contains("line 6:"))
        var objects = try outputObjects(result.out)
        #expect(objects.count == items.count + 1)
        #expect((objects.remove(at: 5)["error"] as? String)?.hasPrefix("line 6:") == true)
        for (object, item) in zip(objects, items) {
            #expect(object["tokens"] as? [Int] == item["token_ids"] as? [Int])
            #expect(object["count"] as? Int == (item["token_ids"] as! [Int]).count)
        }
    }

    @Test(arguments: [(500, 50), (1000, 200)])
    func chunksMatchLangChain(size: Int, overlap: Int) async throws {
        let data = try Data(contentsOf: Self.reference.appendingPathComponent("chunks_dev.json"))
        let documents = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["documents"] as! [[String: Any]]
        let input = try jsonLines(documents.map { $0["text"] as! String })
        let result = try await CoachSpoolProcess.run(
            ["chunk", "--size", "\(size)", "--overlap", "\(overlap)", "--jsonl"], database: nil, stdin: input)
        #expect(result.status == 0, "\(result.err)")
        let objects = try outputObjects(result.out)
        #expect(objects.count == documents.count)
        for (object, document) in zip(objects, documents) {
            let expected = (document["splits"] as! [[String: Any]]).first { $0["chunk_size"] as? Int == size }!["chunks"] as! [String]
            // Bytes, not String ==, which would equate NFC and NFD forms.
            #expect((object["chunks"] as? [String])?.map { Array($0.utf8) } == expected.map { Array($0.utf8) })
        }
    }

    @Test func redactReplacesValuesAndGivesScalarOffsets() async throws {
        let input = try jsonLines(["Ring 070-123 45 67 eller mejla å@exempel.se", "inget här, bara 112 och 2024-05-14"])
        let result = try await CoachSpoolProcess.run(["redact", "--jsonl"], database: nil, stdin: input)
        #expect(result.status == 0, "\(result.err)")
        let objects = try outputObjects(result.out)
        #expect(objects.count == 2)
        #expect(objects[0]["text"] as? String == "Ring <PHONE> eller mejla <EMAIL>")
        let entities = objects[0]["entities"] as! [[String: Any]]
        #expect(entities.count == 2)
        #expect(entities.last?["start"] as? Int == 31 && entities.last?["end"] as? Int == 43)
        #expect(entities.first?["start"] as? Int == 5 && entities.first?["end"] as? Int == 18)
        #expect(objects[1]["text"] as? String == "inget här, bara 112 och 2024-05-14")
    }

    /// Lines of one conversation share their pseudonyms; surrogates replace them on request; the
    /// conversation key has a limit and a type, named when broken.
    @Test func redactKeepsOnePseudonymPerPersonAcrossAConversationsLines() async throws {
        let lines = [
            #"{"text": "Min kollega Jonas Berg och chefen Anna.", "conversation": "c-1"}"#,
            #"{"text": "Hej Anna, ring Linnea.", "conversation": "c-2"}"#,
            #"{"text": "jonas ringde, och Berg vill ha svar av Anna.", "conversation": "c-1"}"#,
            #"{"text": "Jonas igen", "conversation": "\#(String(repeating: "k", count: 257))"}"#,
            #"{"text": "Jonas igen", "conversation": 7}"#,
        ].joined(separator: "\n") + "\n"
        let file = temporaryFile("conversation-lines.jsonl")
        try Data(lines.utf8).write(to: file)
        let result = try await CoachSpoolProcess.run(["redact", "--jsonl"], database: nil, stdin: file)
        #expect(result.status == 3, "\(result.err)")
        let objects = try outputObjects(result.out)
        #expect(objects.count == 5)
        #expect(objects[0]["text"] as? String == "Min kollega <PERSON_1> och chefen <PERSON_2>.")
        #expect(objects[1]["text"] as? String == "Hej <PERSON_1>, ring <PERSON_2>.")
        #expect(objects[2]["text"] as? String == "<PERSON_1> ringde, och <PERSON_1> vill ha svar av <PERSON_2>.")
        #expect((objects[2]["entities"] as! [[String: Any]]).map { $0["label"] as? Int } == [1, 1, 2])
        #expect(objects[3]["error"] as? String == "line 4: conversation: longer than 256 bytes")
        #expect(objects[4]["error"] as? String == #"line 5: expected a JSON object with a "text" string ("conversation" is not a string)"#)
        #expect(!result.err.contains("Jonas") && !result.out.contains("Jonas"), "no name is echoed")

        let invented = try await CoachSpoolProcess.run(
            ["redact", "--jsonl", "--pseudonyms", "surrogate"], database: nil, stdin: file)
        let surrogates = try outputObjects(invented.out)
        let first = surrogates[0]["text"] as! String
        let third = surrogates[2]["text"] as! String
        for real in ["Jonas", "Berg", "Anna", "<PERSON"] {
            #expect(!first.contains(real) && !third.contains(real), "\(first) / \(third)")
        }
        // "Min kollega X Y och chefen Z." → "x ringde, och Y vill ha svar av Z."
        let words = first.split(separator: " ").map(String.init)
        #expect(third.hasPrefix(words[2] + " ringde") || third.lowercased().hasPrefix(words[2].lowercased() + " ringde"), "\(first) / \(third)")
        #expect(third.contains("och \(words[3]) vill") && third.contains("av \(words[6].dropLast())."), "\(first) / \(third)")
    }
}

