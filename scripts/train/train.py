"""CoachSpool's trainer: LoRA on TRL + PEFT, the base model's validation loss before and the
adapter's after. `coachspool train` runs it as a child process (in .coachspool/trainer-venv);
it can also be run by hand.

usage: python train.py --base-model DIR --export DIR --out DIR [--method sft|dpo|kto]
           [--lora-r 16] [--lora-alpha 32] [--lora-dropout 0.1] [--target-modules a,b]
           [--epochs 3] [--max-steps N] [--learning-rate 2e-4] [--batch-size 4] [--seed 42]
           [--max-length 1024] [--chat-template chatml|FILE] [--merge]
           [--batching padding-free|padded] [--precision auto|fp32|bf16] [--logits loss-only|all]
           [--gradient-checkpointing auto|on|off] [--threads N]

Reads EXPORT/train.jsonl, validation.jsonl and manifest.json (trl-sft for sft, trl-dpo for dpo,
kto for kto). Writes OUT/adapter/ (PEFT's format, with the tokenizer), OUT/training_report.json,
OUT/training_report.md, OUT/loss_curve.png (when charts.py is there) and, with --merge,
OUT/merged/ (the base model with the adapter merged in). Prints progress as lines
`progress {json}` on stdout.
Exit status: 0 done; 3 the model folder, its chat template or the export is unusable; 1 failed.

- `--chat-template chatml|FILE` gives a model without a chat template one (chat_templates.py);
  tokens it adds to the vocabulary are trained with the adapter (PEFT trainable_token_indices).
  A template that refuses or drops a system message gets the system prompt folded into the
  first user turn (the report says so).
- Speed on a CPU (sft): rows are not padded to the longest of their batch but concatenated into
  one sequence whose attention is kept within each row (`padding-free`: TRL's collator, position
  ids restart per row; checked against the padded loss on the model at start, else padded). The
  LM head (vocabulary-sized) is computed only at the positions that carry loss, as TRL already
  does on GPUs. TRL turns gradient checkpointing on by default (an extra forward pass per step,
  to save memory); on a CPU it stays off unless the largest batch's activations might not fit
  in half the available memory. torch's threads sleep rather than spin while they wait
  (OMP_WAIT_POLICY=PASSIVE; see below). `--batching padded --logits all
  --gradient-checkpointing on` (and OMP_WAIT_POLICY unset) is the former behaviour;
  scripts/bench-train.sh measures both.
"""
import argparse, hashlib, json, math, os, shutil, sys, time

# torch's OpenMP threads (libgomp) spin while they wait for each other. When another process
# takes one of the cores (the test suite, a second run, a build), a spinning thread waits for a
# descheduled one and steps get 5-10x slower; measured: a tiny model's 30 steps in 130 s instead
# of 10 s beside one other training run on 2 cores. Waiting threads that sleep (PASSIVE) cost
# nothing measurable on an idle machine. Read when torch loads, hence here; a user's setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chat_templates  # noqa: E402
import child  # noqa: E402
from child import Unusable, progress  # noqa: E402

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
    # GPT-2 family: its fused query/key/value projection, as in the LoRA paper's GPT-2 runs and
    # PEFT's own GPT-2 examples (Conv1D layers: PEFT sets fan_in_fan_out itself).
    "gpt2": ["c_attn"],
}
CURVE_EVALUATIONS = 4    # validation-loss points during training, besides the baseline and the final one
CURVE_MAX_ROWS = 64      # validation rows those points use (all when there are fewer; baseline and final use all)


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
    p.add_argument("--chat-template", default=None,
                   help="chatml, or a Jinja template file: for a model without a chat template (or to replace it)")
    p.add_argument("--merge", action="store_true",
                   help="also write OUT/merged/: the base model with the adapter merged in, for servers that take no adapters")
    p.add_argument("--batching", choices=["padding-free", "padded"], default="padding-free",
                   help="sft: concatenate a batch's rows (attention kept per row) instead of padding them (default)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="auto: bf16 with CUDA, fp32 on a CPU; bf16 on a CPU: autocast (no faster on the CPUs measured)")
    p.add_argument("--logits", choices=["loss-only", "all"], default="loss-only",
                   help="CPU: compute the LM head only where a token carries loss (default), or at every position")
    p.add_argument("--gradient-checkpointing", choices=["auto", "on", "off"], default="auto",
                   help="recompute activations in the backward pass: saves memory, costs ~1/3 more time. auto: on "
                        "with CUDA (TRL's default), on a CPU only when the activations might not fit in memory")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's, the number of cores)")
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
    if not template and args.chat_template is None:
        raise Unusable(f"{args.base_model}: the tokenizer has no chat template (chat_template.jinja or tokenizer_config.json): "
                       "give it one with --chat-template chatml|FILE")
    if args.chat_template not in (None, "chatml") and not os.path.isfile(args.chat_template):
        raise Unusable(f"--chat-template {args.chat_template}: expected chatml or a readable Jinja template file")
    manifest_path = os.path.join(args.export, "manifest.json")
    if not os.path.isfile(manifest_path):
        raise Unusable(f"{args.export}: no manifest.json (expected a folder written by coachspool export)")
    manifest = json.load(open(manifest_path, encoding="utf-8"))
    if manifest.get("format") != FORMAT_OF[args.method]:
        raise Unusable(f"{args.export}: format {manifest.get('format')}, but --method {args.method} needs {FORMAT_OF[args.method]}")
    return manifest


def cpu_bf16(args):
    """bf16 autocast on the CPU: only when asked (--precision bf16). Measured with
    scripts/bench-train.sh on an AMX-BF16 Xeon, where a 2048² bf16 product runs at ~2.9x fp32's
    GFLOP/s: SmolLM2-135M LoRA steps were within noise of fp32 (±5%), since autocast casts the
    frozen weights on every forward and matrix products are only part of a step (dropout's random
    numbers, elementwise work and attention are the rest); it would change the losses for nothing."""
    return args.precision == "bf16"


def load_model(args):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    cuda = torch.cuda.is_available()
    cpu_precision = "bf16 autocast" if cpu_bf16(args) else "fp32"
    device = f"cuda ({torch.cuda.get_device_name(0)}, bf16)" if cuda else f"cpu ({torch.get_num_threads()} threads, {cpu_precision})"
    tokenizer = AutoTokenizer.from_pretrained(args.base_model, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(
        args.base_model, local_files_only=True, dtype=torch.bfloat16 if cuda else torch.float32)
    return model, tokenizer, cuda, device


def settle_template(args, model, tokenizer):
    """The chat template (`--chat-template` or the model's) and whether the system prompt must be
    folded into the first user turn. Returns (ids of added tokens, folded, label for the report)."""
    try:
        added = chat_templates.apply_option(model, tokenizer, args.chat_template)
        folded = chat_templates.folds_system(tokenizer)
    except chat_templates.TemplateUnusable as error:
        raise Unusable(f"{args.base_model}: {error}")
    if args.chat_template is None:
        label = "model"
    elif args.chat_template == "chatml":
        label = "chatml"
    else:
        label = "file:" + os.path.basename(args.chat_template)
    return [int(i) for i in added], folded, label


def fold_datasets(datasets):
    """Every conversation column (prompt, or messages) with its system prompt folded into the
    first user turn."""
    def fold(row):
        return {key: chat_templates.fold_system(row[key]) for key in ("prompt", "messages")
                if isinstance(row.get(key), list)}
    return datasets.map(fold, desc="Folding the system prompt into the first user turn")


def trainable_token_targets(model, tokens):
    """PEFT's trainable_token_indices for tokens added to the vocabulary: their rows of the input
    embeddings and, when the model does not tie it to them, of the LM head too (a list targets
    the input embeddings only, and the model could never learn to emit `<|im_end|>`; with tied
    weights PEFT follows the tie itself)."""
    tokens = [int(t) for t in tokens]
    inputs, outputs = model.get_input_embeddings(), model.get_output_embeddings()
    if outputs is None or outputs.weight is inputs.weight:
        return tokens
    names = {module: name for name, module in model.named_modules()}
    return {names[inputs].rsplit(".", 1)[-1]: tokens, names[outputs].rsplit(".", 1)[-1]: tokens}


def lora_config(args, model, trainable_tokens=None):
    from peft import LoraConfig
    if args.target_modules:
        targets = [t.strip() for t in args.target_modules.split(",") if t.strip()]
    else:
        targets = TARGETS.get(model.config.model_type, "all-linear")
    extra = dict(trainable_token_indices=trainable_token_targets(model, trainable_tokens)) if trainable_tokens else {}
    return LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                      target_modules=targets, bias="none", task_type="CAUSAL_LM", **extra)


def memory_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def row_lengths(tokenizer, rows, max_length):
    """Tokens of each training row as the chat template renders it (prompt + answer; for dpo
    the longer answer), capped at max_length; None when a row cannot be rendered here."""
    lengths = []
    for row in rows:
        answers = [row[k] for k in ("completion", "chosen", "rejected") if isinstance(row.get(k), list)]
        conversation = row.get("messages") or row.get("prompt")
        if not isinstance(conversation, list):
            return None
        try:
            longest = max(len(tokenizer.apply_chat_template(conversation + answer, tokenize=True, return_dict=False))
                          for answer in (answers or [[]]))
        except Exception:
            return None
        lengths.append(min(longest, max_length))
    return lengths


def gradient_checkpointing(args, model, tokenizer, rows, cuda, padding_free):
    """(on?, estimated activation bytes of the largest step). With CUDA TRL's default (on); on a
    CPU off, unless the largest batch's activations (fp32; ≈ layers × (30 × hidden + 4 ×
    intermediate) × 4 bytes per token, measured ~2 MB/token on SmolLM2-135M) might not fit in
    half of the available memory: checkpointing costs an extra forward pass (~1/3 of a step)."""
    if args.gradient_checkpointing != "auto":
        return args.gradient_checkpointing == "on", None
    if cuda:
        return True, None
    c = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    hidden = getattr(c, "hidden_size", None) or getattr(c, "n_embd", None) or 0
    layers = getattr(c, "num_hidden_layers", None) or getattr(c, "n_layer", None) or 0
    intermediate = getattr(c, "intermediate_size", None) or getattr(c, "n_inner", None) or 4 * hidden
    per_token = layers * (30 * hidden + 4 * intermediate) * 4
    lengths = row_lengths(tokenizer, rows, args.max_length) or [args.max_length] * args.batch_size
    lengths = sorted(lengths)[-args.batch_size:]
    tokens = sum(lengths) if padding_free else len(lengths) * max(lengths)
    if args.method == "dpo":
        tokens *= 2  # chosen and rejected in one batch
    need = tokens * per_token
    available = memory_available()
    return (available is None or need > available / 2), need


def planned_steps(args, train_rows):
    if args.max_steps and args.max_steps > 0:
        return args.max_steps
    return max(1, math.ceil(args.epochs * math.ceil(train_rows / args.batch_size)))


def make_trainer(args, model, tokenizer, cuda, datasets, peft_config, messages=False, checkpointing=None):
    """The TRL trainer of `args.method`. `messages`: an openai-format (messages) dataset with
    assistant_only_loss, as a TRL user would train on it (used to show what TRL does with it).
    The validation loss is also measured CURVE_EVALUATIONS times during training (the loss curve)."""
    import trl
    score_loss_positions_only(args.logits == "loss-only")
    if checkpointing is None:
        padding_free = args.method == "sft" and args.batching == "padding-free"
        checkpointing, _ = gradient_checkpointing(args, model, tokenizer, list(datasets["train"]), cuda, padding_free)
    eval_steps = max(1, math.ceil(planned_steps(args, len(datasets["train"])) / (CURVE_EVALUATIONS + 1)))
    common = dict(
        output_dir=os.path.join(args.out, "checkpoints"), num_train_epochs=args.epochs, max_steps=args.max_steps,
        learning_rate=args.learning_rate, per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size, seed=args.seed, bf16=cuda or cpu_bf16(args), use_cpu=not cuda,
        logging_steps=1, save_strategy="no", eval_strategy="steps", eval_steps=eval_steps, report_to=[],
        disable_tqdm=True, gradient_checkpointing=checkpointing)
    kwargs = dict(model=model, processing_class=tokenizer, train_dataset=datasets["train"],
                  eval_dataset=datasets["validation"], peft_config=peft_config)
    if args.method == "sft":
        # Prompt-completion rows: TRL computes loss on the completion only (completion_only_loss).
        loss = dict(assistant_only_loss=True) if messages else dict(completion_only_loss=True)
        config = trl.SFTConfig(max_length=args.max_length, packing=False, **loss, **common)
        trainer = trl.SFTTrainer(args=config, **kwargs)
        if args.batching == "padding-free":
            use_padding_free(trainer, tokenizer)
        return trainer
    if args.method == "dpo":
        config = trl.DPOConfig(max_length=args.max_length, **common)
        return trl.DPOTrainer(args=config, **kwargs)
    try:
        from trl import KTOConfig, KTOTrainer
    except ImportError:
        from trl.experimental.kto import KTOConfig, KTOTrainer
    return KTOTrainer(args=KTOConfig(max_length=args.max_length, **common), **kwargs)


def score_loss_positions_only(enabled):
    """TRL's fused LM head scores only the positions that carry loss on Triton devices (CUDA, XPU)
    and every position elsewhere, since on Neuron a varying count would recompile its kernels.
    On a CPU nothing recompiles, and the prompt positions' vocabulary-sized products (a fifth of
    SmolLM2's FLOP per token) are pure waste: the loss, its gradients, the entropy and accuracy
    metrics are the same. TRL 1.16 makes that choice with `trl.trainer.utils._use_triton`."""
    try:
        import trl.trainer.utils as trl_utils
    except ImportError:
        return
    current = getattr(trl_utils, "_use_triton", None)
    if current is None:
        return
    original = getattr(current, "coachspool_original", current)
    if enabled:
        def compact(device):
            return device.type == "cpu" or original(device)
        compact.coachspool_original = original
        trl_utils._use_triton = compact
    else:
        trl_utils._use_triton = original


def use_padding_free(trainer, tokenizer):
    """Swaps TRL's padding collator for its padding-free one once TRL has prepared (and truncated
    to max_length) the rows: a batch becomes one sequence, position ids restart at each row, the
    model keeps attention within each row (transformers' masks read packed position ids) and the
    first token of each row carries no loss. Nothing is computed on padding. The same loss as
    padded batches is checked on two validation rows first; a model whose attention ignores
    packed position ids keeps the padded collator."""
    import torch
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling
    padded = trainer.data_collator
    free = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id, padding_free=True,
                                           pad_to_multiple_of=getattr(padded, "pad_to_multiple_of", None))
    rows = [dict(r) for r in trainer.eval_dataset.select(range(min(2, len(trainer.eval_dataset))))]
    if len(rows) < 2:
        rows = [dict(r) for r in trainer.train_dataset.select(range(min(2, len(trainer.train_dataset))))]
    model = trainer.model
    was_training = model.training
    model.eval()
    losses = []
    with torch.no_grad():
        for collator in (padded, free):
            batch = {k: v.to(model.device) if torch.is_tensor(v) else v for k, v in collator(rows).items()}
            labels = batch.pop("labels")
            logits = model(**batch).logits.float()
            # Per-token loss over the same tokens in both layouts: each label predicted from the token before it.
            shift_labels = labels[..., 1:].reshape(-1)
            losses.append(torch.nn.functional.cross_entropy(
                logits[..., :-1, :].reshape(-1, logits.shape[-1]), shift_labels, ignore_index=-100, reduction="sum").item()
                / max(1, int((shift_labels != -100).sum())))
    model.train(was_training)
    tolerance = 2e-2 if next(model.parameters()).dtype != torch.float32 else 2e-5
    if abs(losses[0] - losses[1]) > tolerance * max(1.0, abs(losses[0])):
        print(f"warning: {model.config.model_type}: padding-free batches give loss {losses[1]:.5f} where padded ones give "
              f"{losses[0]:.5f} (the model's attention does not keep to each row); training with padded batches",
              file=sys.stderr)
        return False
    trainer.data_collator = free
    return True


def expose_lm_head_bias(model):
    """TRL's fused LM head reads `lm_head.weight` and `lm_head.bias`. When the adapter trains added
    tokens on a model with tied embeddings (GPT-2, SmolLM2), PEFT wraps the LM head too, and its
    wrapper answers `.weight` (the merged, trained rows) but not `.bias` (AttributeError). The
    wrapped head's own bias (None for those models) is set on the wrapper, outside the module's
    parameters (the state dict is unchanged)."""
    try:
        from peft.utils.other import TrainableTokensWrapper
    except ImportError:
        return
    for module in model.modules():
        if isinstance(module, TrainableTokensWrapper) and "bias" not in vars(module):
            object.__setattr__(module, "bias", getattr(module.original_module, "bias", None))


def count_trained_tokens(trainer):
    """Counts the tokens that carry loss in sft's training batches (labels != -100 after the
    shift); returns a one-element list the count accumulates into (None until a batch is seen)."""
    counter = [None]
    compute_loss = trainer.compute_loss

    def counting(model, inputs, *rest, **kwargs):
        if model.training and "labels" in inputs:
            counter[0] = (counter[0] or 0) + int((inputs["labels"][..., 1:] != -100).sum())
        return compute_loss(model, inputs, *rest, **kwargs)

    trainer.compute_loss = counting
    return counter


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


def loss_curve_points(history, baseline, final, steps):
    """(train, validation): [step, loss] pairs from the trainer's log; the validation points start
    with the baseline (step 0) and end with the final evaluation."""
    train = [[int(e["step"]), round(float(e["loss"]), 6)] for e in history if "loss" in e and "step" in e]
    validation = [[0, round(float(baseline), 6)]]
    validation += [[int(e["step"]), round(float(e["eval_loss"]), 6)] for e in history
                   if "eval_loss" in e and 0 < e.get("step", 0) < steps]
    validation.append([int(steps), round(float(final), 6)])
    return train, validation


def draw_loss_curve(path, train, validation, title):
    """OUT/loss_curve.png through charts.py (another file of this folder); a missing or older
    charts.py, or a chart that fails, costs the picture, not the run."""
    try:
        import charts
        charts.loss_curve(path, [tuple(p) for p in train], [tuple(p) for p in validation], title)
    except (ImportError, AttributeError):
        return None
    except Exception as error:  # a drawing problem must not fail a finished training run
        print(f"warning: could not draw {path}: {error}", file=sys.stderr)
        return None
    return path if os.path.isfile(path) else None


def merge_adapter(trainer, tokenizer, out_dir, prompt_ids):
    """OUT/merged/: PEFT's merge_and_unload() of the trained model (LoRA deltas and trained token
    rows folded into the weights), saved with its tokenizer and generation config, written into
    OUT/merged.tmp and renamed. Returns (path, max |logit difference| to base+adapter on a prompt)."""
    import torch
    model = trainer.model
    model.eval()
    with torch.no_grad():
        before = model(**prompt_ids).logits.float()
        merged = model.merge_and_unload()
        after = merged(**prompt_ids).logits.float()
    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.rename(tmp, out_dir)
    return os.path.abspath(out_dir), float((before - after).abs().max())


def write_markdown(path, report, examples):
    curve = report["loss_curve"]["validation"]
    lines = [f"# Training report: {report['method']} LoRA on {report['base_model']['name']}", "",
             f"- device: {report['device']}; {report['seconds']} s, of which training {report['train_seconds']} s "
             f"({report['tokens_per_second']} tokens carrying loss per second, {report['threads']} threads)",
             f"- chat template: {report['chat_template']}"
             + (f" (tokens added and trained: {len(report['added_tokens'])})" if report["added_tokens"] else "")
             + ("; the template refuses or drops a system message: the system prompt was folded into the first user turn"
                if report["system_prompt_folded"] else "; system prompt as its own turn"),
             f"- dataset: {report['dataset']['format']} (pipeline {report['dataset']['pipeline_version']}), "
             f"{report['dataset']['train_examples']} train / {report['dataset']['validation_examples']} validation examples",
             f"- validation loss: base model **{report['baseline_eval_loss']:.4f}** → adapter **{report['eval_loss']:.4f}**",
             f"- training loss by epoch: {', '.join(f'{x:.4f}' for x in report['train_loss_by_epoch'])}",
             f"- tokens carrying loss: {report['trained_tokens']}",
             f"- validation loss by step: {', '.join(f'{step}: {loss:.4f}' for step, loss in curve)}"
             + (f" (chart: {os.path.basename(report['loss_curve_chart'])})" if report.get("loss_curve_chart") else "")]
    if report.get("merged"):
        lines.append(f"- merged model (base + adapter, for servers that take no adapters): {report['merged']} "
                     f"(max logit difference to base + adapter: {report['merged_max_logit_difference']:.2e})")
    if report["added_tokens"]:
        lines.append(f"- loading the adapter: resize the base model's embeddings to the adapter tokenizer's "
                     f"{report['vocab_size']} tokens first, and stop generation at its eos token")
    lines += ["", "## Validation prompts", ""]
    for example in examples:
        lines += [f"**Prompt:** {example['prompt']}", "",
                  f"- real, well-rated answer: {example['reference']}",
                  f"- base model: {example['base']}", f"- adapter: {example['adapter']}", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main(argv):
    args = parse_args(argv)
    child.start()
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
    added_tokens, folded, template_label = settle_template(args, model, tokenizer)
    if folded:
        datasets = fold_datasets(datasets)
    peft_config = lora_config(args, model, added_tokens)
    checkpointing, activation_bytes = gradient_checkpointing(
        args, model, tokenizer, list(datasets["train"]), cuda, args.method == "sft" and args.batching == "padding-free")
    trainer = make_trainer(args, model, tokenizer, cuda, datasets, peft_config, checkpointing=checkpointing)
    if added_tokens:
        expose_lm_head_bias(trainer.model)
    import torch
    padding_free = bool(getattr(trainer.data_collator, "padding_free", False))
    progress(stage="baseline", device=device, train_examples=len(datasets["train"]), validation_examples=len(datasets["validation"]),
             chat_template=template_label, system_prompt_folded=folded, padding_free=padding_free,
             gradient_checkpointing=checkpointing)
    # A fresh LoRA adapter adds nothing (B = 0): this is the base model, with the training masks.
    # (Tokens added by --chat-template start as the resized embedding rows: part of the base here.)
    baseline = trainer.evaluate()["eval_loss"]
    # The curve's intermediate points use at most CURVE_MAX_ROWS validation rows (cheap on a big
    # validation set); its first and last points are then measured on those rows too.
    full_eval = trainer.eval_dataset
    curve_subset = len(full_eval) > CURVE_MAX_ROWS
    if curve_subset:
        trainer.eval_dataset = full_eval.select(range(CURVE_MAX_ROWS))
        curve_start = trainer.evaluate()["eval_loss"]
    progress(stage="training", baseline_eval_loss=baseline)
    trained = count_trained_tokens(trainer) if args.method == "sft" else [None]
    train_started = time.time()
    trainer.train()
    train_seconds = time.time() - train_started
    steps = trainer.state.global_step
    last_eval = next((e for e in reversed(trainer.state.log_history) if "eval_loss" in e), None)
    if curve_subset:
        curve_end = last_eval["eval_loss"] if last_eval and last_eval.get("step") == steps else trainer.evaluate()["eval_loss"]
        trainer.eval_dataset = full_eval
        final = trainer.evaluate()["eval_loss"]
    elif last_eval and last_eval.get("step") == steps:
        final = last_eval["eval_loss"]  # the trainer's own evaluation at the last step: same model, same rows
    else:
        final = trainer.evaluate()["eval_loss"]
    progress(stage="evaluated", eval_loss=final)
    history = [e for e in trainer.state.log_history if e.get("step", 0) <= steps]
    train_points, validation_points = loss_curve_points(
        history, curve_start if curve_subset else baseline, curve_end if curve_subset else final, steps)
    shutil.rmtree(os.path.join(args.out, "checkpoints"), ignore_errors=True)  # save_strategy "no": only logs
    # Training is over: the model's own forward again, without accelerate's autocast wrapper (bf16),
    # so the samples and the merge check below run in the model's dtype, as a user's load would.
    trainer.model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    adapter_dir = os.path.join(args.out, "adapter")
    trainer.model.save_pretrained(adapter_dir)
    tokenizer.save_pretrained(adapter_dir)
    per_epoch = loss_tokens(trainer.train_dataset)
    epochs_done = trainer.state.epoch or 0
    trained_tokens = trained[0] if trained[0] is not None else int(round(per_epoch * epochs_done))
    processed = next((e["num_tokens"] for e in reversed(trainer.state.log_history) if "num_tokens" in e), None)
    examples = samples(args, trainer, tokenizer, list(datasets["validation"]), cuda)
    merged_dir, merge_difference = None, None
    if args.merge:
        progress(stage="merging")
        prompt = tokenizer.apply_chat_template(list(datasets["validation"])[0]["prompt"], add_generation_prompt=True,
                                               return_tensors="pt", return_dict=True)
        merged_dir, merge_difference = merge_adapter(trainer, tokenizer, os.path.join(args.out, "merged"),
                                                     {k: v.to(trainer.model.device) for k, v in prompt.items()})
    chart = draw_loss_curve(os.path.join(args.out, "loss_curve.png"), train_points, validation_points,
                            f"{args.method} LoRA on {os.path.basename(os.path.normpath(args.base_model))}")
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
        "trained_tokens": trained_tokens,
        "processed_tokens": int(processed) if processed is not None else None,
        "loss_tokens_per_epoch": per_epoch,
        "train_seconds": round(train_seconds, 1),
        "tokens_per_second": round(trained_tokens / train_seconds, 1) if train_seconds > 0 else None,
        "threads": torch.get_num_threads(),
        "batching": "padding-free" if padding_free else "padded",
        "logits": args.logits,
        "gradient_checkpointing": checkpointing,
        "activation_memory_estimate_mb": round(activation_bytes / 2 ** 20) if activation_bytes else None,
        "chat_template": template_label,
        "system_prompt_folded": folded,
        "added_tokens": added_tokens,
        "vocab_size": len(tokenizer),
        "loss_curve": {"train": train_points, "validation": validation_points},
        "loss_curve_chart": os.path.abspath(chart) if chart else None,
        "merged": merged_dir,
        "merged_max_logit_difference": merge_difference,
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
    child.run(main)
