import Foundation
import Testing

extension DatabaseTests {
    /// Base models without a chat template, and templates that refuse a system message, trained
    /// by the real trainer on tiny models the test builds (GPT-2 and Llama shapes).
    @Suite struct ChatTemplateTrainingTests {
        typealias Training = DatabaseTests.TrainingTests
        typealias Datasets = DatabaseTests.DatasetTests

        static func tinyModel(fromExport export: URL, _ options: [String]) async throws -> URL {
            let model = temporaryFile("tiny-model")
            let made = try await Trainer.run([Trainer.script("tiny_model.py"), model.path, "--from-export", export.path] + options)
            #expect(made.status == 0, "\(made.err)")
            return model
        }

        static func report(_ out: URL) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("training_report.json"))) as! [String: Any]
        }

        @Test func aGPT2WithoutTemplateTrainsWithChatMLAndItsMergedModelAnswersAsBasePlusAdapter() async throws {
            try await TestDatabase.with { db in
                _ = try await Training.ingestTrainingSessions(db)
                let (sft, _) = try await Datasets.export(db, "trl-sft", ["--val-fraction", "0.2"])
                let gpt2 = try await Self.tinyModel(fromExport: sft, ["--arch", "gpt2"])

                let refused = try await CoachSpoolProcess.run(["train", "--base-model", gpt2.path, "--export", sft.path, "--out", temporaryFile("refused").path], database: db)
                #expect(refused.status == 5)
                #expect(refused.err.contains("--chat-template chatml|FILE"), "\(refused.err)")

                let out = temporaryFile("gpt2-out")
                let train = try Training.train(db, ["--base-model", gpt2.path, "--export", sft.path, "--out", out.path, "--chat-template", "chatml",
                                                    "--merge", "--max-steps", "12", "--learning-rate", "5e-3"])
                #expect(await train.wait(timeout: 300) == 0, "\(train.stderr)")
                let report = try Self.report(out)
                #expect(report["chat_template"] as? String == "chatml")
                #expect((report["hyperparameters"] as? [String: Any])?["target_modules"] as? [String] == ["c_attn"], "the design note's GPT-2 target")
                #expect(report["system_prompt_folded"] as? Bool == false)
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("loss_curve.png").path))
                let curve = try #require(report["loss_curve"] as? [String: Any])
                #expect((curve["validation"] as? [[Double]])?.count ?? 0 >= 2 && (curve["train"] as? [[Double]])?.count == 12)

                // The merged folder answers exactly as the base model with the adapter (greedy).
                let same = try await Trainer.run(["-c", """
                    import sys, torch
                    from peft import PeftModel
                    from transformers import AutoModelForCausalLM, AutoTokenizer
                    base_dir, adapter, merged_dir = sys.argv[1:4]
                    tok = AutoTokenizer.from_pretrained(adapter, local_files_only=True)
                    base = AutoModelForCausalLM.from_pretrained(base_dir, local_files_only=True)
                    base.resize_token_embeddings(len(tok))
                    with_adapter = PeftModel.from_pretrained(base, adapter).eval()
                    merged = AutoModelForCausalLM.from_pretrained(merged_dir, local_files_only=True).eval()
                    ids = tok.apply_chat_template([{"role": "system", "content": "Du är en coach."}, {"role": "user", "content": "Hur kommer jag igång med mål 3?"}],
                                                  add_generation_prompt=True, return_tensors="pt", return_dict=True)
                    assert "<|im_start|>" in tok.get_vocab()
                    # The same generation settings for both (the merged folder's config names <|im_end|>
                    # as its end; the base folder's does not), and 12 tokens whatever they are.
                    settings = dict(max_new_tokens=12, min_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
                    with torch.no_grad():
                        a = with_adapter.generate(**ids, **settings)
                        b = merged.generate(**ids, **settings)
                    print(a.tolist() == b.tolist(), a.shape[1] - ids["input_ids"].shape[1])
                    """, gpt2.path, out.appendingPathComponent("adapter").path, out.appendingPathComponent("merged").path])
                #expect(same.status == 0, "\(same.err)")
                let words = same.out.split(whereSeparator: \.isWhitespace)
                #expect(words.first == "True", "\(same.out)")
                #expect(Int(words.last ?? "") ?? 0 > 0)
            }
        }

        @Test(arguments: ["mistral", "gemma"])
        func aTemplateThatRefusesASystemMessageGetsItFoldedIntoTheFirstUserTurn(template: String) async throws {
            try await TestDatabase.with { db in
                _ = try await Training.ingestTrainingSessions(db)
                let (sft, _) = try await Datasets.export(db, "trl-sft", ["--val-fraction", "0.2"])
                let model = try await Self.tinyModel(fromExport: sft, ["--template", template])
                // The template itself refuses a system message, as the real one does.
                let refuses = try await Trainer.run(["-c", """
                    import sys
                    from transformers import AutoTokenizer
                    tok = AutoTokenizer.from_pretrained(sys.argv[1], local_files_only=True)
                    try:
                        tok.apply_chat_template([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], tokenize=False)
                        print("rendered")
                    except Exception as error:
                        print("refused:", error)
                    """, model.path])
                #expect(refuses.out.hasPrefix("refused:"), "\(refuses.out)")

                let out = temporaryFile("\(template)-out")
                let train = try Training.train(db, ["--base-model", model.path, "--export", sft.path, "--out", out.path, "--max-steps", "4"])
                #expect(await train.wait(timeout: 300) == 0, "\(train.stderr)")
                let report = try Self.report(out)
                #expect(report["system_prompt_folded"] as? Bool == true)
                let markdown = try String(contentsOf: out.appendingPathComponent("training_report.md"), encoding: .utf8)
                #expect(markdown.contains("folded into the first user turn"), "\(markdown.prefix(600))")
            }
        }
    }
}
