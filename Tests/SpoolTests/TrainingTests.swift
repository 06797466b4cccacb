import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// The real trainer (TRL + PEFT in the trainer's environment) on a tiny Llama the test
    /// builds, on sessions with rejected answers in the middle.
    @Suite struct TrainingTests {
        typealias Datasets = DatabaseTests.DatasetTests

        static func ingestTrainingSessions(_ db: TestDatabase, count: Int = 12, regenerations: Bool = false) async throws -> TrainingSessions {
            let sessions = TrainingSessions(count: count)
            let file = temporaryFile("training-sessions.jsonl")
            try sessions.write(to: file, regenerations: regenerations)
            let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
            #expect(ingest.status == 0, "\(ingest.err)")
            try await Datasets.drain(db)
            return sessions
        }

        /// The decoded text of the tokens carrying loss, per row, as TRL itself prepares `export`.
        static func lossTexts(_ export: URL, model: URL) async throws -> [String] {
            let result = try await Trainer.run([Trainer.script("loss_tokens.py"), export.path, model.path])
            #expect(result.status == 0, "\(result.err)")
            return try result.out.split(separator: "\n").map {
                let text = (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: String])["loss_text"]!
                return text
            }
        }

        static func completions(_ file: URL) throws -> [String] {
            try Datasets.lines(file).map { (($0["completion"] as! [[String: Any]])[0]["content"] as! String) }
        }

        /// Live processes whose command line runs train.py on `model`.
        static func trainerProcesses(model: String) -> Int {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.filter { Int($0) != nil }.filter { pid in
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                return arguments.contains { $0.hasSuffix("train.py") } && arguments.contains(model)
            }.count
        }

        static func train(_ db: TestDatabase, _ arguments: [String]) throws -> CoachSpoolProcess {
            try CoachSpoolProcess(["train"] + arguments, database: db)
        }

        @Test func trlPreparesTheTrlSftExportSoThatOnlyAcceptedAnswersCarryLoss() async throws {
            try await TestDatabase.with { db in
                let sessions = try await Self.ingestTrainingSessions(db)
                let accepted = Set((0..<sessions.count).flatMap(sessions.accepted))
                let rejected = (0..<sessions.count).map(sessions.rejected)
                let (sft, run) = try await Datasets.export(db, "trl-sft", ["--val-fraction", "0.2"])
                #expect(run.status == 0, "\(run.err)")
                let model = try await Trainer.tinyModel(fromExport: sft)

                let texts = try await Self.lossTexts(sft, model: model)
                let trained = texts.map { $0.replacingOccurrences(of: "<|im_end|>", with: "").trimmingCharacters(in: .whitespacesAndNewlines) }
                #expect(trained == (try Self.completions(sft.appendingPathComponent("train.jsonl"))), "loss on each row's completion, nothing else")
                #expect(Set(trained).isSubset(of: accepted))
                #expect(trained.count >= 10)
                for text in texts {
                    #expect(!rejected.contains { text.contains($0) }, "a rejected answer carries loss: \(text)")
                }

                // What TRL does with the openai export (assistant_only_loss=True): the weight is
                // ignored, so the rejected answers (weight 0) carry loss too. README says so.
                let (openai, _) = try await Datasets.export(db, "openai", ["--val-fraction", "0.2"])
                let openaiLoss = try await Self.lossTexts(openai, model: model).joined(separator: "\n")
                let rejectedInTrain = try Datasets.lines(openai.appendingPathComponent("train.jsonl"))
                    .flatMap { ($0["messages"] as! [[String: Any]]).filter { $0["weight"] as? Int == 0 }.map { $0["content"] as! String } }
                #expect(!rejectedInTrain.isEmpty)
                #expect(rejectedInTrain.allSatisfy { openaiLoss.contains($0) })
            }
        }

        @Test func trainBeatsTheBaselineRecordsTheRunAndErasureNamesIt() async throws {
            try await TestDatabase.with { db in
                _ = try await Self.ingestTrainingSessions(db)
                let (sft, _) = try await Datasets.export(db, "trl-sft", ["--val-fraction", "0.2"])
                let model = try await Trainer.tinyModel(fromExport: sft)
                let out = temporaryFile("train-out")
                let train = try Self.train(db, ["--base-model", model.path, "--out", out.path, "--max-steps", "30", "--learning-rate", "5e-3"])
                #expect(await train.wait(timeout: 300) == 0, "\(train.stderr)")
                #expect(train.stdout.contains("training run 1:"), "\(train.stdout)")

                let report = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("training_report.json"))) as! [String: Any]
                let baseline = try #require(report["baseline_eval_loss"] as? Double), final = try #require(report["eval_loss"] as? Double)
                #expect(final < baseline, "adapter \(final) vs base \(baseline)")
                for key in ["train_loss_by_epoch", "trained_tokens", "method", "base_model", "hyperparameters", "dataset", "device", "seconds"] {
                    #expect(report[key] != nil, "\(key) missing from training_report.json")
                }
                #expect((report["hyperparameters"] as? [String: Any])?["lora_r"] as? Int == 16)
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("training_report.md").path))

                // PEFT loads the adapter back onto the base model, and it generates.
                let reload = try await Trainer.run(["-c", """
                    import sys, torch
                    from peft import PeftModel
                    from transformers import AutoModelForCausalLM, AutoTokenizer
                    base = AutoModelForCausalLM.from_pretrained(sys.argv[1], local_files_only=True)
                    tok = AutoTokenizer.from_pretrained(sys.argv[1], local_files_only=True)
                    model = PeftModel.from_pretrained(base, sys.argv[2])
                    ids = tok.apply_chat_template([{"role": "user", "content": "Hur kommer jag igång?"}], add_generation_prompt=True, return_tensors="pt", return_dict=True)
                    out = model.generate(**ids, max_new_tokens=8, do_sample=False)
                    print(out.shape[1] - ids["input_ids"].shape[1])
                    """, model.path, out.appendingPathComponent("adapter").path])
                #expect(reload.status == 0, "\(reload.err)")
                #expect(Int(reload.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 0)

                #expect(try db.scalar("SELECT status FROM coachspool.training_runs WHERE id = 1", as: String.self) == "succeeded")
                #expect(try db.scalar("SELECT (metrics ->> 'eval_loss')::float8 < (metrics ->> 'baseline_eval_loss')::float8 FROM coachspool.training_runs WHERE id = 1", as: Bool.self))
                #expect(try db.scalar("SELECT adapter_sha256 IS NOT NULL AND files_sha256 ? 'train.jsonl' FROM coachspool.training_runs WHERE id = 1", as: Bool.self))
                let lineage = try db.scalar("SELECT count(*) FROM coachspool.training_run_conversations WHERE run_id = 1", as: Int.self)
                #expect(lineage > 0)
                let list = try await CoachSpoolProcess.run(["runs", "list"], database: db)
                #expect(list.out.contains("1  succeeded  sft"), "\(list.out)")

                // Erasure names the run and flags it; the lineage of the erased conversations goes.
                let erase = try await CoachSpoolProcess.run(["erase", "--user", "tu1"], database: db)
                #expect(erase.status == 0, "\(erase.err)")
                #expect(erase.out.contains("training runs that learnt from this user's conversations (now flagged contains_erased_data; retrain without them): 1\n"), "\(erase.out)")
                // The run's own export (OUT/dataset) holds the text too: named, and flagged.
                #expect(erase.out.contains("dataset"), "\(erase.out)")
                #expect(try db.scalar("SELECT bool_and(contains_erased_data) FROM coachspool.exports", as: Bool.self))
                #expect(try db.scalar("SELECT contains_erased_data FROM coachspool.training_runs WHERE id = 1", as: Bool.self))
                #expect(try db.scalar("SELECT count(*) FROM coachspool.training_run_conversations WHERE run_id = 1", as: Int.self) < lineage)
                let flagged = try await CoachSpoolProcess.run(["runs", "list"], database: db)
                #expect(flagged.out.contains("CONTAINS ERASED DATA"))
                let other = try await CoachSpoolProcess.run(["erase", "--user", "nobody"], database: db)
                #expect(!other.out.contains("training runs"))
            }
        }

        @Test func dpoAndKTOTrainOnTheirExportsAndAreRecorded() async throws {
            try await TestDatabase.with { db in
                try await Datasets.prepareGenerated(db, sessions: 20)
                let (dpo, run) = try await Datasets.export(db, "trl-dpo", ["--val-fraction", "0.2"])
                #expect(run.status == 0, "\(run.err)")
                let model = try await Trainer.tinyModel(fromExport: dpo)
                let out = temporaryFile("dpo-out")
                let train = try Self.train(db, ["--base-model", model.path, "--out", out.path, "--method", "dpo", "--max-steps", "4", "--export", dpo.path])
                #expect(await train.wait(timeout: 300) == 0, "\(train.stderr)")
                #expect(try db.scalar("SELECT method || ' ' || status || ' ' || dataset_format FROM coachspool.training_runs", as: String.self) == "dpo succeeded trl-dpo")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.training_run_conversations", as: Int.self) > 0)
                // KTO exports its own data (train without --export) on the same tiny model.
                let kto = try Self.train(db, ["--base-model", model.path, "--out", temporaryFile("kto-out").path, "--method", "kto", "--max-steps", "4"])
                #expect(await kto.wait(timeout: 300) == 0, "\(kto.stderr)")
                #expect(try db.scalar("SELECT method || ' ' || status || ' ' || dataset_format FROM coachspool.training_runs WHERE id = 2", as: String.self) == "kto succeeded kto")
                // An export of the wrong format for the method is refused before anything runs.
                let wrong = try await CoachSpoolProcess.run(
                    ["train", "--base-model", model.path, "--out", temporaryFile("wrong").path, "--method", "sft", "--export", dpo.path], database: db)
                #expect(wrong.status == 5 && wrong.err.contains("needs trl-sft"), "\(wrong.err)")
            }
        }

        @Test func aStoppedOrKilledTrainingIsNeverLeftRunning() async throws {
            try await TestDatabase.with { db in
                _ = try await Self.ingestTrainingSessions(db)
                let (sft, _) = try await Datasets.export(db, "trl-sft", ["--val-fraction", "0.2"])
                let model = try await Trainer.tinyModel(fromExport: sft)
                let long = ["--base-model", model.path, "--max-steps", "100000", "--export", sft.path]

                let stopped = try Self.train(db, long + ["--out", temporaryFile("stopped").path])
                #expect(await eventually(timeout: 120) { stopped.stdout.contains(#""stage": "training""#) }, "\(stopped.stderr)")
                stopped.signal(SIGTERM)
                #expect(await stopped.wait(timeout: 60) == 6)
                #expect(try db.scalar("SELECT status FROM coachspool.training_runs WHERE id = 1", as: String.self) == "interrupted")

                let killed = try Self.train(db, long + ["--out", temporaryFile("killed").path])
                #expect(await eventually(timeout: 120) { killed.stdout.contains(#""stage": "training""#) }, "\(killed.stderr)")
                killed.signal(SIGKILL)
                await killed.wait()
                let list = try await CoachSpoolProcess.run(["runs", "list"], database: db)
                #expect(list.out.contains("2  interrupted"), "\(list.out)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.training_runs WHERE status = 'running'", as: Int.self) == 0)
                // The killed run's trainer follows its parent out instead of training on alone.
                #expect(await eventually(timeout: 30) { Self.trainerProcesses(model: model.path) == 0 })
            }
        }

        @Test func missingModelOrChatTemplateIsRefusedClearly() async throws {
            try await TestDatabase.with { db in
                let empty = temporaryFile("not-a-model")
                try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
                let noModel = try await CoachSpoolProcess.run(["train", "--base-model", empty.path, "--out", temporaryFile("o").path], database: db)
                #expect(noModel.status == 5 && noModel.err.contains("no config.json"), "\(noModel.err)")
                try Data("{}".utf8).write(to: empty.appendingPathComponent("config.json"))
                try Data("{}".utf8).write(to: empty.appendingPathComponent("tokenizer_config.json"))
                let noTemplate = try await CoachSpoolProcess.run(["train", "--base-model", empty.path, "--out", temporaryFile("o").path], database: db)
                #expect(noTemplate.status == 5 && noTemplate.err.contains("chat template"), "\(noTemplate.err)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.training_runs", as: Int.self) == 0)
            }
        }
    }
}
