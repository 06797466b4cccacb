import Foundation
import Testing

extension DatabaseTests.DatasetTests {
    /// The trainer formats on sessions with rejected answers in the middle: no rejected answer is
    /// ever in a trained position (the last message of an expanded example, a TRL completion),
    /// every accepted one is, and the trainer settings that make that exact are written alongside.
    @Test func trainerFormatsNeverPutARejectedAnswerWhereItIsTrained() async throws {
        try await TestDatabase.with { db in
            let sessions = TrainingSessions(count: 12)
            let file = temporaryFile("training-sessions.jsonl")
            try sessions.write(to: file)
            let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
            #expect(ingest.status == 0, "\(ingest.err)")
            try await Self.drain(db)
            let accepted = Set((0..<sessions.count).flatMap(sessions.accepted))
            let rejected = Set((0..<sessions.count).map(sessions.rejected))

            func rows(_ format: String) async throws -> (dir: URL, rows: [[String: Any]]) {
                let (dir, run) = try await Self.export(db, format, ["--val-fraction", "0.2"])
                #expect(run.status == 0, "\(format): \(run.err)")
                return (dir, try Self.lines(dir.appendingPathComponent("train.jsonl")) + Self.lines(dir.appendingPathComponent("validation.jsonl")))
            }
            func content(_ messages: Any?) -> [String] { (messages as! [[String: Any]]).map { $0["content"] as! String } }

            let (_, sft) = try await rows("trl-sft")
            #expect(sft.allSatisfy { Set($0.keys) == ["prompt", "completion"] })
            #expect(Set(sft.flatMap { content($0["completion"]) }) == accepted, "each accepted answer is one completion")
            #expect(sft.count == accepted.count)
            let prompts = sft.flatMap { content($0["prompt"]) }
            #expect(rejected.isSubset(of: Set(prompts)), "rejected answers stay as context")
            #expect(sft.allSatisfy { ($0["prompt"] as! [[String: Any]]).last?["role"] as? String == "user" })
            #expect(!String(decoding: try JSONSerialization.data(withJSONObject: sft), as: UTF8.self).contains("\"weight\""))

            let (sharegptDir, sharegpt) = try await rows("sharegpt")
            #expect(Set(sharegpt.map { ($0["conversations"] as! [[String: String]]).last!["value"]! }) == accepted)
            let (alpacaDir, alpaca) = try await rows("alpaca")
            #expect(Set(alpaca.map { $0["output"] as! String }) == accepted)
            for dir in [sharegptDir, alpacaDir] {
                let yaml = try String(contentsOf: dir.appendingPathComponent("llamafactory_sft.yaml"), encoding: .utf8)
                #expect(yaml.contains("\nmask_history: true") && yaml.contains("dataset: coachspool_train"))
            }

            let (openaiDir, _) = try await rows("openai")
            let axolotl = try String(contentsOf: openaiDir.appendingPathComponent("axolotl.yaml"), encoding: .utf8)
            #expect(axolotl.contains("message_field_training: weight"))

            // All rows of one conversation are in the same file.
            let (splitDir, _) = try await rows("trl-sft")
            let trainGoals = Set(try Self.lines(splitDir.appendingPathComponent("train.jsonl")).map { content($0["prompt"])[1] })
            let validationGoals = Set(try Self.lines(splitDir.appendingPathComponent("validation.jsonl")).map { content($0["prompt"])[1] })
            #expect(trainGoals.isDisjoint(with: validationGoals) && !validationGoals.isEmpty)
        }
    }
}
