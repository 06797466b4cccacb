"""What training and generation cost on this machine, and what they could cost: the numbers
behind scripts/bench-train.sh (run it through that script; it prepares the environment and the
SmolLM2 folder).

usage: python bench_train.py --model DIR [--quick] [--steps N] [--out DIR]
       python bench_train.py --make-export DIR [--rows N] [--seed S]   (only write the dataset)

Measures, in one process, on the threads torch uses (the number of cores unless
OMP_NUM_THREADS / --threads say otherwise):
- the CPU (/proc/cpuinfo), torch's BLAS (torch.__config__.show()), threads;
- sgemm: a 2048×2048 fp32 matrix product (and the bf16 one, AMX where the CPU has it), GFLOP/s;
- the ceiling of LoRA training: tokens/s ≈ sgemm FLOP/s / (4 × parameters). A token costs
  ≈ 2N FLOP forward and ≈ 2N backward (gradients of the activations only: the frozen weights
  need no weight gradients, LoRA's are tiny); attention, the elementwise ops and dropout's
  random numbers come on top, so real runs stay below it;
- training: a few LoRA steps of train.py's own trainer (train.make_trainer, lora defaults r 16,
  batch 4, lora_dropout 0.1, sft on a generated trl-sft export) with the former defaults (padded
  batches, LM head at every position, TRL's gradient checkpointing, libgomp's spinning threads)
  and the current ones (padding-free, LM head only where a token carries loss, no checkpointing
  when the activations fit, OMP_WAIT_POLICY=PASSIVE), and (not --quick) the current ones with
  bf16 autocast and with lora_dropout 0, per step after a warm-up step:
  tokens carrying loss per second and tokens processed per second (padding excluded; padded
  positions computed are counted apart);
- greedy generation (fp32, KV cache) at batch 1 and 8, new tokens per second.
The CPU time of other processes during each measurement is recorded: this machine is often
shared, and a busy neighbour halves what 2 threads can do.
Prints a markdown table; --out DIR also gets bench-train.json and bench-train.md.
"""
import argparse, contextlib, json, os, random, re, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "train"))

# ---------------------------------------------------------------- a generated coaching dataset
SYSTEMS = [
    "You are a supportive running coach. Answer briefly and concretely.",
    "You are an AI coach who helps people with personal development, study habits and work-life balance.",
]
QUESTIONS = [
    "I want to run my first 5K in eight weeks but I get out of breath after two minutes. How should I train?",
    "How do I stay motivated to study when the exam is still two months away?",
    "I keep putting off difficult tasks at work. How do I break the pattern?",
    "What should I eat before a long run on a Sunday morning?",
    "My knee hurts a little after running downhill. Should I keep training?",
    "How can I plan my week so that I have time for both training and my thesis?",
    "I get nervous before presentations. What can I do the day before?",
    "How many rest days per week does a beginner runner need?",
    "I sleep badly before important meetings. Any advice?",
    "How do I give feedback to a colleague without sounding harsh?",
    "Is it better to run in the morning or in the evening?",
    "How do I set goals that I actually keep?",
]
SENTENCES = [
    "Start with what is already fixed in your week and build around it.",
    "Alternate one minute of easy running with two minutes of walking, and add thirty seconds of running each week.",
    "Keep the effort conversational: if you cannot speak in full sentences, slow down.",
    "Write down one small step you can finish in ten minutes, and do it before you open your email.",
    "Sleep and regular meals matter more than any supplement.",
    "If the pain gets sharper or lasts into the next day, take a few days off and see a physiotherapist.",
    "Plan two or three fixed sessions a week and treat them like appointments.",
    "Reward the habit, not only the result: tick off every session you complete.",
    "Rehearse the first two minutes out loud; the rest usually follows.",
    "Describe what you saw, how it affected the work, and ask what they think, in that order.",
    "A short walk after lunch helps both concentration and sleep.",
    "Review the week on Sunday evening for fifteen minutes and adjust the plan, not your ambition.",
    "Most beginners do well with at least one full rest day between hard sessions.",
    "Choose the time of day you can keep for a month; consistency beats the perfect hour.",
]


def make_export(folder, rows=48, validation=8, seed=7):
    """A trl-sft export (train.jsonl, validation.jsonl, manifest.json) of generated English
    coaching conversations: a system prompt, sometimes an earlier exchange, a question and an
    answer of 1-8 sentences (rows of very different lengths, as real conversations are)."""
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)

    def row():
        prompt = [{"role": "system", "content": rng.choice(SYSTEMS)}]
        if rng.random() < 0.3:
            prompt += [{"role": "user", "content": rng.choice(QUESTIONS)},
                       {"role": "assistant", "content": " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))}]
        prompt.append({"role": "user", "content": rng.choice(QUESTIONS)})
        answer = " ".join(rng.sample(SENTENCES, rng.choice([1, 1, 2, 2, 3, 4, 6, 8])))
        return {"prompt": prompt, "completion": [{"role": "assistant", "content": answer}]}

    counts = {"train.jsonl": rows, "validation.jsonl": validation}
    for name, n in counts.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            for _ in range(n):
                f.write(json.dumps(row(), ensure_ascii=False) + "\n")
    with open(os.path.join(folder, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump({"format": "trl-sft", "pipeline_version": "bench-train", "generated_by": "scripts/lib/bench_train.py",
                   "files": {name: {"examples": n} for name, n in counts.items()}}, f, indent=2)
    return folder


# ---------------------------------------------------------------- the machine
def cpu_model():
    info = {}
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("model name", "flags") and key not in info:
                info[key] = value.strip()
    except OSError:
        pass
    flags = set(info.get("flags", "").split())
    features = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags]
    return info.get("model name", "unknown"), features


def blas_backend(torch):
    config = torch.__config__.show()
    found = re.search(r"BLAS_INFO=([^,\s]+)", config)
    blas = found.group(1) if found else "?"
    detail = next((line.strip(" -") for line in config.splitlines() if "Math Kernel Library" in line or "OpenBLAS" in line), "")
    capability = next((line.split(":", 1)[1].strip() for line in config.splitlines() if "CPU capability usage" in line), "?")
    if "Math Kernel Library" in detail:
        detail = "MKL " + detail.split("Version", 1)[1].split()[0] if "Version" in detail else detail
    return f"{blas} ({detail}; kernels {capability})" if detail else f"{blas} (kernels {capability})"


class OtherLoad:
    """CPU seconds used by other processes during a measurement, from /proc/stat (all CPUs)
    minus this process's own CPU time."""

    def __enter__(self):
        self.busy, self.own, self.wall = self._busy(), time.process_time(), time.time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.time() - self.wall
        other = (self._busy() - self.busy) - (time.process_time() - self.own)
        self.cores = max(0.0, other / self.seconds) if self.seconds > 0 else 0.0

    @staticmethod
    def _busy():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def gemm_gflops(torch, dtype, n=2048, repeats=10):
    """The best of `repeats` products (what the cores can do; a busy neighbour only slows some)."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * n ** 3 / min(times) / 1e9


def copy_bandwidth(torch, megabytes=256, repeats=5):
    """GB/s moved (read + write) copying a large fp32 tensor: what bounds batch-1 decoding, which
    reads every weight once per generated token."""
    a = torch.ones(megabytes * 2 ** 20 // 4)
    b = torch.empty_like(a)
    b.copy_(a)
    best = min(_timed(lambda: b.copy_(a)) for _ in range(repeats))
    return 2 * a.numel() * 4 / best / 1e9


def _timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


# ---------------------------------------------------------------- training
def train_in_child(config, former, busy):
    """One training measurement in a fresh process: torch's OpenMP settings are read when torch
    loads, and train.py now sets OMP_WAIT_POLICY=PASSIVE; the former defaults run without it
    (an empty value is libgomp's default). `busy`: a process spinning on one core beside it."""
    env = dict(os.environ)
    if former:
        env["OMP_WAIT_POLICY"] = ""
    else:
        env.pop("OMP_WAIT_POLICY", None)
    neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--train-one", json.dumps(config)],
                              env=env, stdout=subprocess.PIPE, check=True, text=True)
    finally:
        if neighbour:
            neighbour.kill()
            neighbour.wait()
    return json.loads(done.stdout.strip().splitlines()[-1])


def train_speed(model_dir, export, steps, batching, precision, logits, checkpointing, threads, dropout=None):
    """LoRA steps with train.py's trainer; per-step timings after the first (warm-up) step."""
    import torch
    import train
    from datasets import load_dataset
    from transformers import TrainerCallback, set_seed
    out = tempfile.mkdtemp(prefix="bench-train-")
    args = train.parse_args(["--base-model", model_dir, "--export", export, "--out", out, "--max-steps", str(steps),
                             "--batching", batching, "--precision", precision, "--logits", logits,
                             "--gradient-checkpointing", checkpointing]
                            + (["--threads", str(threads)] if threads else [])
                            + (["--lora-dropout", str(dropout)] if dropout is not None else []))
    set_seed(args.seed)
    datasets = load_dataset("json", data_files={p: os.path.join(export, f"{p}.jsonl") for p in ("train", "validation")})
    model, tokenizer, cuda, device = train.load_model(args)
    train.settle_template(args, model, tokenizer)
    trainer = train.make_trainer(args, model, tokenizer, cuda, datasets, train.lora_config(args, model))
    trainer.args.eval_strategy = "no"  # only the training steps are timed here
    trainer.args.logging_steps = 10 ** 6
    per_step = []
    compute_loss = trainer.compute_loss

    def counting(model, inputs, *rest, **kwargs):
        labels = inputs["labels"]
        real = int(inputs["attention_mask"].sum()) if "attention_mask" in inputs else int(labels.shape[-1])
        per_step.append({"loss_tokens": int((labels[..., 1:] != -100).sum()), "tokens": real,
                         "positions": int(labels.numel())})
        return compute_loss(model, inputs, *rest, **kwargs)

    trainer.compute_loss = counting

    class Clock(TrainerCallback):
        def on_step_begin(self, *a, **k):
            self.t = time.perf_counter()

        def on_step_end(self, *a, **k):
            per_step[-1]["seconds"] = time.perf_counter() - self.t

    trainer.add_callback(Clock())
    with OtherLoad() as load:
        trainer.train()
    timed = per_step[1:] if len(per_step) > 1 else per_step
    seconds = sum(s["seconds"] for s in timed)
    result = {"batching": "padding-free" if getattr(trainer.data_collator, "padding_free", False) else "padded",
              "gradient_checkpointing": bool(trainer.args.gradient_checkpointing),
              "device": device, "threads": torch.get_num_threads(), "steps_timed": len(timed),
              "seconds_per_step": round(seconds / len(timed), 2),
              "loss_tokens_per_second": round(sum(s["loss_tokens"] for s in timed) / seconds, 1),
              "tokens_per_second": round(sum(s["tokens"] for s in timed) / seconds, 1),
              "positions_per_second": round(sum(s["positions"] for s in timed) / seconds, 1),
              "padding_share": round(1 - sum(s["tokens"] for s in timed) / sum(s["positions"] for s in timed), 3),
              "other_processes_cores": round(load.cores, 2)}
    del trainer, model
    return result


# ---------------------------------------------------------------- generation
def generation_speed(model_dir, export, new_tokens, batch_sizes):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True, dtype=torch.float32).eval()
    prompts = [json.loads(line)["prompt"] for line in open(os.path.join(export, "validation.jsonl"), encoding="utf-8")]
    texts = [tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=False) for p in prompts]
    results = {}
    for batch in batch_sizes:
        chosen = (texts * batch)[:batch]
        ids = tokenizer(chosen, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            model.generate(**ids, max_new_tokens=2, do_sample=False, pad_token_id=tokenizer.pad_token_id)  # warm-up
            with OtherLoad() as load:
                t = time.perf_counter()
                model.generate(**ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                               pad_token_id=tokenizer.pad_token_id)
                seconds = time.perf_counter() - t
        results[batch] = {"new_tokens_per_second": round(batch * new_tokens / seconds, 1),
                          "seconds": round(seconds, 2), "other_processes_cores": round(load.cores, 2)}
    return results


# ---------------------------------------------------------------- report
def table(report):
    m = report["machine"]
    lines = [f"CPU: {m['cpu']} ({m['cores']} cores; {', '.join(m['features']) or 'no AVX-512'}); torch {m['torch']}, "
             f"BLAS: {m['blas']}; threads: {m['threads']}; load average at start: {m['loadavg']}", "",
             "| measure | value |", "|---|---|",
             f"| sgemm fp32 2048² ({m['threads']} threads) | {report['sgemm_gflops']:.0f} GFLOP/s |",
             f"| bf16 matmul 2048² | {report['bf16_gemm_gflops']:.0f} GFLOP/s |",
             f"| model | {report['model']} ({report['parameters'] / 1e6:.1f} M parameters) |",
             f"| LoRA training ceiling, fp32 (sgemm / (4 × parameters)) | {report['ceiling_fp32']:.0f} tokens/s |",
             f"| LoRA training ceiling, bf16 matmul | {report['ceiling_bf16']:.0f} tokens/s |",
             f"| memory copy (read + write) | {report['copy_gb_per_s']:.1f} GB/s |",
             f"| batch-1 decoding ceiling, fp32 weights (bandwidth / (4 bytes × parameters)) | {report['decode_ceiling']:.0f} tokens/s |"]
    lines += ["", f"| training (sft, LoRA r 16, dropout 0.1, batch 4; {report['steps']} steps, the first not timed) | s/step | "
              "loss tokens/s | tokens/s | positions/s | padding | other processes (cores) |",
              "|---|---|---|---|---|---|---|"]
    for name, r in report["training"].items():
        lines.append(f"| {name} ({r['device']}; checkpointing {'on' if r['gradient_checkpointing'] else 'off'}; "
                     f"OMP_WAIT_POLICY {r['omp_wait_policy']}) | {r['seconds_per_step']} | {r['loss_tokens_per_second']} | "
                     f"{r['tokens_per_second']} | {r['positions_per_second']} | {r['padding_share']:.0%} | {r['other_processes_cores']} |")
    lines += ["", "| greedy generation (fp32, KV cache) | new tokens/s | other processes (cores) |", "|---|---|---|"]
    for batch, r in report["generation"].items():
        lines.append(f"| batch {batch}, {report['new_tokens']} new tokens | {r['new_tokens_per_second']} | {r['other_processes_cores']} |")
    lines += ["", "tokens/s counts the tokens a step really processes (padding excluded); positions/s includes the padding "
              "it computed; loss tokens are those carrying loss (the completions). The ceiling counts ≈ 4 × parameters "
              "FLOP per token (forward 2N, backward to the activations 2N; frozen weights get no gradients)."]
    return "\n".join(lines)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model")
    p.add_argument("--quick", action="store_true", help="fewer steps and tokens (about 3 minutes on 2 cores)")
    p.add_argument("--steps", type=int, default=None, help="training steps per configuration (default 6, quick 3)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", default=None)
    p.add_argument("--busy-neighbour", action="store_true",
                   help="run each training measurement beside a process that keeps one core busy")
    p.add_argument("--train-one", default=None, help=argparse.SUPPRESS)
    p.add_argument("--make-export", default=None)
    p.add_argument("--rows", type=int, default=48)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    if args.make_export:
        print(make_export(args.make_export, rows=args.rows, seed=args.seed))
        return 0
    if args.train_one:
        import train  # first: it sets torch's OpenMP defaults before torch loads
        c = json.loads(args.train_one)
        with contextlib.redirect_stdout(sys.stderr):
            result = train_speed(c["model"], c["export"], c["steps"], c["batching"], c["precision"], c["logits"],
                                 c["checkpointing"], c["threads"], c["dropout"])
        result["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY") or "libgomp default"
        print(json.dumps(result))
        return 0
    if not args.model:
        p.error("--model DIR is needed")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as train.py runs (generation, sgemm here)
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    steps = args.steps or (3 if args.quick else 6)
    new_tokens = 16 if args.quick else 32
    cpu, features = cpu_model()
    machine = {"cpu": cpu, "features": features, "cores": os.cpu_count(), "torch": torch.__version__.split("+")[0],
               "blas": blas_backend(torch), "threads": torch.get_num_threads(),
               "loadavg": open("/proc/loadavg").read().split()[0]}
    say = lambda text: print(text, file=sys.stderr, flush=True)
    say(f"bench-train: {cpu}; {machine['blas']}; {machine['threads']} threads")
    sgemm, bf16 = gemm_gflops(torch, torch.float32), gemm_gflops(torch, torch.bfloat16)
    bandwidth = copy_bandwidth(torch)
    from safetensors import safe_open
    parameters = 0
    for name in os.listdir(args.model):
        if name.endswith(".safetensors"):
            with safe_open(os.path.join(args.model, name), "pt") as f:
                parameters += sum(_prod(f.get_slice(k).get_shape()) for k in f.keys())
    export = make_export(tempfile.mkdtemp(prefix="bench-train-export-"))
    report = {"machine": machine, "model": os.path.basename(os.path.normpath(args.model)), "parameters": parameters,
              "sgemm_gflops": sgemm, "bf16_gemm_gflops": bf16, "copy_gb_per_s": bandwidth,
              "decode_ceiling": bandwidth * 1e9 / (4 * parameters),
              "ceiling_fp32": sgemm * 1e9 / (4 * parameters), "ceiling_bf16": bf16 * 1e9 / (4 * parameters),
              "steps": steps, "new_tokens": new_tokens, "training": {}}
    configurations = {
        "before: padded, all logits, checkpointing": ("padded", "fp32", "all", "on", None),
        "after: the defaults": ("padding-free", "auto", "loss-only", "auto", None),
    }
    if not args.quick:
        # What bf16 autocast would add (AMX CPUs), and what the lora_dropout hyperparameter costs on a CPU.
        configurations["the defaults + --precision bf16"] = ("padding-free", "bf16", "loss-only", "auto", None)
        configurations["the defaults + --lora-dropout 0 (a hyperparameter, not a default)"] = (
            "padding-free", "auto", "loss-only", "auto", 0.0)
    for name, (batching, precision, logits, checkpointing, dropout) in configurations.items():
        say(f"training {steps} steps: {name}")
        report["training"][name] = train_in_child(
            dict(model=args.model, export=export, steps=steps, batching=batching, precision=precision, logits=logits,
                 checkpointing=checkpointing, threads=args.threads, dropout=dropout),
            former=name.startswith("before"), busy=args.busy_neighbour)
    say("generation")
    report["generation"] = generation_speed(args.model, export, new_tokens, [1, 8])
    text = table(report)
    print(text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "bench-train.json"), "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
        with open(os.path.join(args.out, "bench-train.md"), "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
