"""Which tokens carry loss when TRL prepares an export: builds TRL's own trainer exactly as
train.py does (no training) and prints, per row of its prepared train dataset, the decoded
text of the tokens whose labels are not -100. For the tests and for users who want to see it.

usage: python loss_tokens.py EXPORT_DIR MODEL_DIR
  EXPORT_DIR  a trl-sft export (prompt-completion rows, completion_only_loss), or an openai
              export (messages; assistant_only_loss=True, as TRL's docs suggest for chat data)
Prints one JSON line per row: {"loss_text": "..."}.
"""
import json, os, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402


def main():
    export, model_dir = sys.argv[1], sys.argv[2]
    fmt = json.load(open(os.path.join(export, "manifest.json"), encoding="utf-8"))["format"]
    if fmt not in ("trl-sft", "openai"):
        sys.exit(f"error: {export}: format {fmt}; expected trl-sft or openai")
    from datasets import load_dataset
    with tempfile.TemporaryDirectory() as out:
        args = train.parse_args(["--base-model", model_dir, "--export", export, "--out", out])
        datasets = load_dataset("json", data_files={p: os.path.join(export, f"{p}.jsonl") for p in ("train", "validation")})
        model, tokenizer, cuda, _ = train.load_model(args)
        trainer = train.make_trainer(args, model, tokenizer, cuda, datasets, train.lora_config(args, model), messages=fmt == "openai")
        for row in trainer.train_dataset:
            if "labels" in row:
                ids = [t for t, label in zip(row["input_ids"], row["labels"]) if label != -100]
            else:
                mask = row.get("completion_mask") or row.get("assistant_masks")
                ids = [t for t, m in zip(row["input_ids"], mask) if m]
            print(json.dumps({"loss_text": tokenizer.decode(ids)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
