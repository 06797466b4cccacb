"""CoachSpool's trainer: LoRA on TRL + PEFT, the base model's validation loss before and the
adapter's after. `coachspool train` runs it as a child process (in .coachspool/trainer-venv);
it can also be run by hand.

usage: python train.py --base-model DIR --export DIR --out DIR [--method sft|dpo|kto]
           [--lora-r 16] [--lora-alpha 32] [--lora-dropout 0.1] [--target-modules a,b]
           [--epochs 3] [--max-steps N] [--learning-rate 2e-4] [--batch-size 4] [--seed 42]
           [--max-length 1024]

Reads EXPORT/train.jsonl, validation.jsonl and manifest.json (trl-sft for sft, trl-dpo for dpo,
kto for kto). Writes OUT/adapter/ (PEFT's format), OUT/training_report.json and
OUT/training_report.md. Prints progress as lines `progress {json}` on stdout.
Exit status: 0 done; 3 the model folder, its chat template or the export is unusable; 1 failed.
"""
import argparse, hashlib, json, math, os, shutil, signal, sys, time

FORMAT_OF = {"sft": "trl-sft", "dpo": "trl-dpo", "kto": "kto"}
# LoRA targets by architecture (PEFT's model_type): attention and MLP projections.
TARGETS = {
    "llama": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "mistral": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "qwen2": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "qwen3": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "gemma": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "gemma2": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "phi3": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
    "gpt2": ["c_attn", "c_proj", "c_fc"],
}


class Unusable(Exception):
    """The model folder, its chat template or the export cannot be used (exit status 3)."""


def progress(**fields):
    print("progress " + json.dumps(fields, ensure_ascii=False), flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base-model", required=True)
    p.add_argument("--export", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--method", choices=sorted(FORMAT_OF), default="sft")
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--lora-alpha", type=int, default=32)
    p.add_argument("--lora-dropout", type=float, default=0.1)
    p.add_argument("--target-modules", default=None)
    p.add_argument("--epochs", type=float, default=3)
    p.add_argument("--max-steps", type=int, default=-1)
    p.add_argument("--learning-rate", type=float, default=2e-4)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--max-length", type=int, default=1024)
    return p.parse_args(argv)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_inputs(args):
    config = os.path.join(args.base_model, "config.json")
    if not os.path.isfile(config):
        raise Unusable(f"{args.base_model}: no config.json (expected a local Hugging Face model folder)")
    template = os.path.isfile(os.path.join(args.base_model, "chat_template.jinja"))
    tokenizer_config = os.path.join(args.base_model, "tokenizer_config.json")
    if not template and os.path.isfile(tokenizer_config):
        template = bool(json.load(open(tokenizer_config, encoding="utf-8")).get("chat_template"))
    if not template:
        raise Unusable(f"{args.base_model}: the tokenizer has no chat template (chat_template.jinja or tokenizer_config.json)")
    manifest_path = os.path.join(args.export, "manifest.json")
    if not os.path.isfile(manifest_path):
        raise Unusable(f"{args.export}: no manifest.json (expected a folder written by coachspool export)")
    manifest = json.load(open(manifest_path, encoding="utf-8"))
    if manifest.get("format") != FORMAT_OF[args.method]:
        raise Unusable(f"{args.export}: format {manifest.get('format')}, but --method {args.method} needs {FORMAT_OF[args.method]}")
    return manifest


def load_model(args):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    cuda = torch.cuda.is_available()
    device = f"cuda ({torch.cuda.get_device_name(0)}, bf16)" if cuda else f"cpu ({torch.get_num_threads()} threads, fp32)"
    tokenizer = AutoTokenizer.from_pretrained(args.base_model, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(
        args.base_model, local_files_only=True, dtype=torch.bfloat16 if cuda else torch.float32)
    return model, tokenizer, cuda, device


def lora_config(args, model):
    from peft import LoraConfig
    if args.target_modules:
        targets = [t.strip() for t in args.target_modules.split(",") if t.strip()]
    else:
        targets = TARGETS.get(model.config.model_type, "all-linear")
    return LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                      target_modules=targets, bias="none", task_type="CAUSAL_LM")


def make_trainer(args, model, tokenizer, cuda, datasets, peft_config, messages=False):
    """The TRL trainer of `args.method`. `messages`: an openai-format (messages) dataset with
    assistant_only_loss, as a TRL user would train on it (used to show what TRL does with it)."""
    import trl
    common = dict(
        output_dir=os.path.join(args.out, "checkpoints"), num_train_epochs=args.epochs, max_steps=args.max_steps,
        learning_rate=args.learning_rate, per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size, seed=args.seed, bf16=cuda, use_cpu=not cuda,
        logging_steps=1, save_strategy="no", eval_strategy="no", report_to=[], disable_tqdm=True)
    kwargs = dict(model=model, processing_class=tokenizer, train_dataset=datasets["train"],
                  eval_dataset=datasets["validation"], peft_config=peft_config)
    if args.method == "sft":
        # Prompt-completion rows: TRL computes loss on the completion only (completion_only_loss).
        loss = dict(assistant_only_loss=True) if messages else dict(completion_only_loss=True)
        config = trl.SFTConfig(max_length=args.max_length, packing=False, **loss, **common)
        return trl.SFTTrainer(args=config, **kwargs)
    if args.method == "dpo":
        config = trl.DPOConfig(max_length=args.max_length, **common)
        return trl.DPOTrainer(args=config, **kwargs)
    try:
        from trl import KTOConfig, KTOTrainer
    except ImportError:
        from trl.experimental.kto import KTOConfig, KTOTrainer
    return KTOTrainer(args=KTOConfig(max_length=args.max_length, **common), **kwargs)


def loss_tokens(dataset):
    """Tokens that carry loss in TRL's prepared dataset (labels != -100, or the completion mask)."""
    total = 0
    for row in dataset:
        if "labels" in row:
            total += sum(1 for label in row["labels"] if label != -100)
        elif "completion_mask" in row:
            total += sum(row["completion_mask"])
        elif "assistant_masks" in row:
            total += sum(row["assistant_masks"])
    return total


def losses_by_epoch(history):
    by_epoch = {}
    for entry in history:
        if "loss" in entry and "epoch" in entry:
            by_epoch.setdefault(max(1, math.ceil(entry["epoch"] - 1e-9)), []).append(entry["loss"])
    return [round(sum(v) / len(v), 6) for _, v in sorted(by_epoch.items())]


def samples(args, trainer, tokenizer, rows, cuda):
    """Three validation prompts answered by the base model (adapter disabled) and the adapter."""
    import torch
    model = trainer.model
    model.eval()
    out = []
    for row in rows[:3]:
        prompt = row["prompt"]
        reference = (row.get("completion") or row.get("chosen") or [{"content": ""}])[0]["content"] \
            if isinstance(row.get("completion") or row.get("chosen"), list) else ""
        ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        ids = {k: v.to(model.device) for k, v in ids.items()}
        answers = {}
        for label in ("base", "adapter"):
            with torch.no_grad():
                if label == "base":
                    with model.disable_adapter():
                        generated = model.generate(**ids, max_new_tokens=48, do_sample=False, pad_token_id=tokenizer.pad_token_id)
                else:
                    generated = model.generate(**ids, max_new_tokens=48, do_sample=False, pad_token_id=tokenizer.pad_token_id)
            answers[label] = tokenizer.decode(generated[0][ids["input_ids"].shape[1]:], skip_special_tokens=True).strip()
        out.append({"prompt": prompt[-1]["content"], "reference": reference, **answers})
    return out


def write_markdown(path, report, examples):
    lines = [f"# Training report: {report['method']} LoRA on {report['base_model']['name']}", "",
             f"- device: {report['device']}; {report['seconds']} s",
             f"- dataset: {report['dataset']['format']} (pipeline {report['dataset']['pipeline_version']}), "
             f"{report['dataset']['train_examples']} train / {report['dataset']['validation_examples']} validation examples",
             f"- validation loss: base model **{report['baseline_eval_loss']:.4f}** → adapter **{report['eval_loss']:.4f}**",
             f"- training loss by epoch: {', '.join(f'{x:.4f}' for x in report['train_loss_by_epoch'])}",
             f"- tokens carrying loss: {report['trained_tokens']}", "",
             "## Validation prompts", ""]
    for example in examples:
        lines += [f"**Prompt:** {example['prompt']}", "",
                  f"- real, well-rated answer: {example['reference']}",
                  f"- base model: {example['base']}", f"- adapter: {example['adapter']}", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def exit_with_parent():
    """`coachspool train` waits for us; if it dies (kill -9), stop too rather than train on alone."""
    import threading
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def main(argv):
    args = parse_args(argv)
    # `coachspool train` forwards SIGTERM/SIGINT to us, but Foundation's Process starts us with
    # the signal mask of the thread that spawned us, where they are blocked: unblock them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    exit_with_parent()
    started = time.time()
    manifest = check_inputs(args)
    os.makedirs(args.out, exist_ok=True)
    progress(stage="loading", base_model=args.base_model)
    from datasets import load_dataset
    from transformers import set_seed
    set_seed(args.seed)
    files = {part: os.path.join(args.export, f"{part}.jsonl") for part in ("train", "validation")}
    if os.path.getsize(files["validation"]) == 0:
        raise Unusable(f"{args.export}: validation.jsonl is empty; export with --val-fraction above 0 to measure against the base model")
    datasets = load_dataset("json", data_files=files)
    model, tokenizer, cuda, device = load_model(args)
    peft_config = lora_config(args, model)
    trainer = make_trainer(args, model, tokenizer, cuda, datasets, peft_config)
    progress(stage="baseline", device=device, train_examples=len(datasets["train"]), validation_examples=len(datasets["validation"]))
    # A fresh LoRA adapter adds nothing (B = 0): this is the base model, with the training masks.
    baseline = trainer.evaluate()["eval_loss"]
    progress(stage="training", baseline_eval_loss=baseline)
    trainer.train()
    final = trainer.evaluate()["eval_loss"]
    progress(stage="evaluated", eval_loss=final)
    shutil.rmtree(os.path.join(args.out, "checkpoints"), ignore_errors=True)  # save_strategy "no": only logs
    adapter_dir = os.path.join(args.out, "adapter")
    trainer.model.save_pretrained(adapter_dir)
    tokenizer.save_pretrained(adapter_dir)
    per_epoch = loss_tokens(trainer.train_dataset)
    epochs_done = trainer.state.epoch or 0
    examples = samples(args, trainer, tokenizer, list(datasets["validation"]), cuda)
    config_path = os.path.join(args.base_model, "config.json")
    report = {
        "method": args.method,
        "base_model": {"name": os.path.basename(os.path.normpath(args.base_model)),
                       "path": os.path.abspath(args.base_model), "config_sha256": sha256_file(config_path),
                       "model_type": model.config.model_type},
        "hyperparameters": {"lora_r": args.lora_r, "lora_alpha": args.lora_alpha, "lora_dropout": args.lora_dropout,
                            "target_modules": sorted(peft_config.target_modules) if not isinstance(peft_config.target_modules, str) else peft_config.target_modules,
                            "task_type": "CAUSAL_LM", "epochs": args.epochs, "max_steps": args.max_steps,
                            "learning_rate": args.learning_rate, "batch_size": args.batch_size, "seed": args.seed,
                            "max_length": args.max_length},
        "dataset": {"format": manifest["format"], "pipeline_version": manifest.get("pipeline_version"),
                    "path": os.path.abspath(args.export),
                    "manifest_sha256": sha256_file(os.path.join(args.export, "manifest.json")),
                    "files_sha256": {name: entry.get("sha256") for name, entry in manifest.get("files", {}).items()},
                    "train_examples": len(datasets["train"]), "validation_examples": len(datasets["validation"])},
        "baseline_eval_loss": baseline,
        "eval_loss": final,
        "train_loss_by_epoch": losses_by_epoch(trainer.state.log_history),
        "trained_tokens": int(round(per_epoch * epochs_done)),
        "loss_tokens_per_epoch": per_epoch,
        "steps": trainer.state.global_step,
        "epochs_completed": epochs_done,
        "device": device,
        "adapter": os.path.abspath(adapter_dir),
        "samples": examples,
        "seconds": round(time.time() - started, 1),
    }
    with open(os.path.join(args.out, "training_report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=2, sort_keys=True)
        f.write("\n")
    write_markdown(os.path.join(args.out, "training_report.md"), report, examples)
    progress(stage="done", baseline_eval_loss=baseline, eval_loss=final, seconds=report["seconds"])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Unusable as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(3)
