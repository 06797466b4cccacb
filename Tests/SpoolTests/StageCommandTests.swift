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
}
