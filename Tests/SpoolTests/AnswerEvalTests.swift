import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// `coachspool eval answers`: a tiny model the test builds, trained by the real trainer,
    /// answers held-out questions with and without RAG; a judge double that speaks OpenAI's chat
    /// wire format judges them.
    @Suite struct AnswerEvalTests {
        typealias Training = DatabaseTests.TrainingTests
        typealias Datasets = DatabaseTests.DatasetTests

        /// Words as the judge double counts them: maximal alphanumeric runs, lowercased.
        static func words(_ text: String) -> Set<String> {
            Set(text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init))
        }

        /// Each system's answers per question, read back from answers_report.md.
        static func answers(inReport markdown: String) -> [String: [String]] {
            var answers: [String: [String]] = [:]
            for line in markdown.split(separator: "\n") where line.hasPrefix("- **") && !line.hasPrefix("- **real accepted answer**") {
                let rest = line.dropFirst(4)
                guard let end = rest.range(of: "**") else { continue }
                let name = String(rest[..<end.lowerBound])
                guard let colon = rest[end.upperBound...].range(of: ": ") else { continue }
                answers[name, default: []].append(String(rest[colon.upperBound...]).replacingOccurrences(of: " ⏎ ", with: "\n"))
            }
            return answers
        }

        static func evaluate(_ db: TestDatabase, _ arguments: [String], judge: OpenAIDouble? = nil) async throws -> (status: Int32, out: String, err: String) {
            var environment: [String: String] = [:]
            if let judge { environment = ["COACHSPOOL_OPENAI_BASE_URL": judge.baseURL, "OPENAI_API_KEY": "sk-judge", "COACHSPOOL_JUDGE_MODEL": "judge-double"] }
            return try await CoachSpoolProcess.run(["eval", "answers"] + arguments, database: db, environment: environment, timeout: 600)
        }

        @Test func systemsAreComparedOnHeldOutQuestionsAndTheJudgeIsCheckedAgainstTheUsers() async throws {
            try await TestDatabase.with { db in
                let sessions = try await Training.ingestTrainingSessions(db, count: 16, regenerations: true)
                let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "documents", DatabaseTests.KnowledgeBaseTests.knowledge], database: db)
                #expect(ingest.status == 0, "\(ingest.err)")
                try await Datasets.drain(db)
                let (sft, _) = try await Datasets.export(db, "trl-sft", ["--val-fraction", "0.25"])
                let model = try await Trainer.tinyModel(fromExport: sft)
                let out = temporaryFile("answers-train")
                let train = try Training.train(db, ["--base-model", model.path, "--out", out.path, "--val-fraction", "0.25",
                                                    "--max-steps", "30", "--learning-rate", "5e-3", "--eval"])
                #expect(await train.wait(timeout: 600) == 0, "\(train.stderr)")
                // train --eval: the answers table joins the training report, its files in OUT/eval.
                let trainingReport = try String(contentsOf: out.appendingPathComponent("training_report.md"), encoding: .utf8)
                #expect(trainingReport.contains("## Answers on the held-out conversations"), "\(trainingReport.suffix(400))")
                #expect(trainingReport.contains("run 1+rag"), "the knowledge base has chunks: RAG variants too")
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("eval/answers_report.md").path))
                let validation = try db.scalar("SELECT count(*) FROM coachspool.training_run_validation_conversations WHERE run_id = 1", as: Int.self)
                #expect(validation > 0)
                #expect(try db.scalar("""
                    SELECT count(*) FROM coachspool.training_run_validation_conversations v
                      JOIN coachspool.training_run_conversations t USING (run_id, conversation_id)
                    """, as: Int.self) == 0)

                // A judge that prefers the answer sharing more words with a hidden reference.
                let hidden = temporaryFile("hidden-reference.txt")
                try sessions.accepted(0).joined(separator: " ").write(to: hidden, atomically: true, encoding: .utf8)
                let closer = try OpenAIDouble(["--judge", "closer:\(hidden.path)"])
                defer { closer.stop() }
                let report = temporaryFile("answers-report")
                let result = try await Self.evaluate(db, ["--run", "1", "--rag", "--max-new-tokens", "12", "--json", "--out", report.path], judge: closer)
                #expect(result.status == 0, "\(result.err)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
                let systems = try #require(object["systems"] as? [[String: Any]])
                #expect(systems.map { $0["system"] as? String } == ["base", "base+rag", "run 1", "run 1+rag"])
                let questions = try #require(object["questions"] as? Int)
                #expect(questions == 2 * validation, "two accepted answers per held-out conversation")
                for system in systems {
                    let loss = try #require(system["loss"] as? Double), perplexity = try #require(system["perplexity"] as? Double)
                    #expect(abs(perplexity - exp(loss)) <= 1e-9 * perplexity, "perplexity is exp(loss)")
                    let cosine = try #require(system["cosine"] as? Double), chrf = try #require(system["chrf"] as? Double)
                    #expect((-1...1).contains(cosine) && (0...100).contains(chrf))
                    #expect((system["cosine_low"] as? Double ?? 9) <= cosine && cosine <= (system["cosine_high"] as? Double ?? -9))
                    #expect((system["seconds_per_answer"] as? Double ?? 0) > 0)
                }
                // RAG variants carry the chunks: longer prompts, and the report names the sources.
                let promptTokens = systems.map { $0["prompt_tokens_mean"] as? Double ?? 0 }
                #expect(promptTokens[1] > promptTokens[0] + 20 && promptTokens[3] > promptTokens[2] + 20, "\(promptTokens)")
                let markdown = try String(contentsOf: report.appendingPathComponent("answers_report.md"), encoding: .utf8)
                #expect(markdown.components(separatedBy: "RAG context: [1] ").count - 1 == questions)
                #expect(FileManager.default.fileExists(atPath: report.appendingPathComponent("answers_report.png").path))
                // The adapter's cost comes from its run.
                #expect(systems[2]["training_run_id"] as? Int == 1 && (systems[2]["trained_tokens"] as? Int ?? 0) > 0)

                // The judge ranks the systems as the hidden reference says: recompute every verdict.
                #expect(systems[0]["win_rate"] == nil, "the base model is not judged against itself")
                let answers = Self.answers(inReport: markdown)
                let reference = Self.words(try String(contentsOf: hidden, encoding: .utf8))
                func overlap(_ text: String) -> Int { Self.words(text).intersection(reference).count }
                let base = try #require(answers["base"])
                #expect(base.count == questions)
                var expected: [String: Double] = [:]
                for name in ["base+rag", "run 1", "run 1+rag"] {
                    let theirs = try #require(answers[name])
                    let scores = zip(theirs, base).map { mine, baseline -> Double in
                        overlap(mine) > overlap(baseline) ? 1 : overlap(mine) < overlap(baseline) ? 0 : 0.5
                    }
                    expected[name] = scores.reduce(0, +) / Double(scores.count)
                }
                for system in systems.dropFirst() {
                    let name = system["system"] as! String
                    let rate = try #require(system["win_rate"] as? Double)
                    #expect(abs(rate - expected[name]!) < 1e-9, "\(name): \(rate) vs \(expected[name]!)")
                    #expect((system["win_rate_low"] as? Double ?? 9) <= rate && rate <= (system["win_rate_high"] as? Double ?? -9))
                }
                // …and was first checked against the users: the accepted answers share the hidden
                // reference's words, the rejected ones do not.
                let judge = try #require(object["judge"] as? [String: Any])
                let calibration = try #require(judge["calibration"] as? [String: Any])
                #expect(calibration["pairs"] as? Int ?? 0 > 0)
                #expect(calibration["agreement"] as? Double == 1.0 && calibration["trustworthy"] as? Bool == true, "\(calibration)")

                let rows = try db.connect().query("""
                    SELECT system, training_run_ids::text, questions FROM coachspool.answer_eval_history
                     WHERE id > (SELECT min(id) + 3 FROM coachspool.eval_runs WHERE kind = 'answers') ORDER BY id
                    """).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(Int.self, at: 2)) }
                #expect(rows.map(\.0) == ["base", "base+rag", "run 1", "run 1+rag"])
                #expect(rows.allSatisfy { $0.1 == "{1}" && $0.2 == questions })

                // A judge that always answers "A" decides nothing: every system ties with the base.
                let alwaysA = try OpenAIDouble(["--judge", "always-a"])
                defer { alwaysA.stop() }
                let biased = try await Self.evaluate(db, ["--run", "1", "--samples", "4", "--max-new-tokens", "4"], judge: alwaysA)
                #expect(biased.status == 0, "\(biased.err)")
                #expect(biased.out.contains("agrees with the users on 0 of 0 decided"), "\(biased.out)")
                #expect(biased.out.contains("NOT TO BE TRUSTED"))
                let biasedRow = try db.scalar("""
                    SELECT metrics::text FROM coachspool.eval_runs WHERE kind = 'answers' AND system = 'run 1' ORDER BY id DESC LIMIT 1
                    """, as: String.self)
                let metrics = try #require(try JSONSerialization.jsonObject(with: Data(biasedRow.utf8)) as? [String: Any])
                #expect(metrics["win_rate"] as? Double == 0.5 && metrics["ties"] as? Int == 4 && metrics["judge_decided"] as? Int == 0)

                // Without a judge the table says how to turn one on.
                let plain = try await Self.evaluate(db, ["--run", "1", "--samples", "2", "--max-new-tokens", "4"])
                #expect(plain.status == 0, "\(plain.err)")
                #expect(plain.out.contains("no judge: set --judge-model or COACHSPOOL_JUDGE_MODEL"))

                // Lineage: a question from a conversation the run learnt from is refused.
                #expect(try await Self.evaluate(db, ["--run", "9"]).status == 1)
                _ = try db.connect().query("""
                    INSERT INTO coachspool.training_run_conversations (run_id, conversation_id)
                    SELECT run_id, conversation_id FROM coachspool.training_run_validation_conversations WHERE run_id = 1 LIMIT 1
                    """)
                let leaked = try await Self.evaluate(db, ["--run", "1", "--samples", "1"])
                #expect(leaked.status == 5)
                #expect(leaked.err.contains("in the train split of run(s) {1}"), "\(leaked.err)")
            }
        }
    }
}
