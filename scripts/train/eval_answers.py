"""Answer evaluation for `coachspool eval answers`: each system (the base model or a LoRA adapter,
with or without retrieved context) answers the same held-out questions with greedy decoding; the
real accepted answers are scored under each system with the training masks (teacher-forced loss,
perplexity) and compared with what it generated (chrF). `coachspool eval answers` runs it as a
child process (in .coachspool/trainer-venv); it can also be run by hand.

usage: python eval_answers.py --base-model DIR --request REQUEST.json --out RESULT.json
           [--chat-template chatml|FILE]

REQUEST.json: {"max_new_tokens": 128, "batch_size": 8, "max_length": 1024,
  "systems": [{"name": "base", "adapter": null, "rag": false}, ...],
  "questions": [{"id": "q1", "messages": [...], "rag_messages": [...] or null, "reference": "..."}]}
RESULT.json: the device, and per system its loss (token-weighted), perplexity = exp(loss), corpus
chrF, generation time and tokens, and per question the answer and its numbers.
Prints progress as lines `progress {json}` on stdout.
Exit status: 0 done; 3 the model folder, an adapter, the chat template or the request is
unusable; 1 failed.
"""
import argparse, gc, json, math, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chat_templates  # noqa: E402
import child  # noqa: E402
from child import Unusable, progress  # noqa: E402
from chat_templates import TemplateUnusable  # noqa: E402

# Loss batches are also capped by the size of their logits (batch x length x vocabulary cells).
MAX_LOGIT_CELLS = 1 << 28


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base-model", required=True)
    p.add_argument("--request", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--chat-template", default=None, help="chatml, or a Jinja template file")
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------------
# The request

def _positive_int(request, key, default):
    value = request.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Unusable(f"request: {key} must be a positive integer")
    return value


def _messages(value, where):
    if not isinstance(value, list) or not value:
        raise Unusable(f"request: {where} must be a non-empty list of messages")
    for i, message in enumerate(value):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str) \
                or not isinstance(message.get("content"), str):
            raise Unusable(f"request: {where}[{i}] must be {{\"role\": string, \"content\": string}}")
    return [{"role": m["role"], "content": m["content"]} for m in value]


def read_request(path):
    try:
        with open(path, encoding="utf-8") as f:
            request = json.load(f)
    except OSError as error:
        raise Unusable(f"{path}: cannot read the request ({error.strerror})")
    except ValueError as error:
        raise Unusable(f"{path}: not JSON (line {getattr(error, 'lineno', '?')})")
    if not isinstance(request, dict):
        raise Unusable("request: expected a JSON object")
    out = {key: _positive_int(request, key, default)
           for key, default in (("max_new_tokens", 128), ("batch_size", 8), ("max_length", 1024))}
    systems, names = request.get("systems"), set()
    if not isinstance(systems, list) or not systems:
        raise Unusable("request: systems must be a non-empty list")
    out["systems"] = []
    for i, system in enumerate(systems):
        if not isinstance(system, dict) or not isinstance(system.get("name"), str) or not system["name"]:
            raise Unusable(f"request: systems[{i}] needs a name")
        if system["name"] in names:
            raise Unusable(f"request: two systems are named {system['name']!r}")
        names.add(system["name"])
        adapter = system.get("adapter")
        if adapter is not None and (not isinstance(adapter, str) or not adapter):
            raise Unusable(f"request: systems[{i}].adapter must be a folder or null")
        rag = system.get("rag", False)
        if not isinstance(rag, bool):
            raise Unusable(f"request: systems[{i}].rag must be true or false")
        out["systems"].append({"name": system["name"], "adapter": adapter, "rag": rag})
    questions, ids = request.get("questions"), set()
    if not isinstance(questions, list) or not questions:
        raise Unusable("request: questions must be a non-empty list")
    out["questions"] = []
    for i, question in enumerate(questions):
        if not isinstance(question, dict):
            raise Unusable(f"request: questions[{i}] must be an object")
        qid = question.get("id")
        if not isinstance(qid, (str, int)) or isinstance(qid, bool):
            raise Unusable(f"request: questions[{i}] needs an id")
        if qid in ids:
            raise Unusable(f"request: two questions have the id {qid!r}")
        ids.add(qid)
        rag_messages = question.get("rag_messages")
        if not isinstance(question.get("reference"), str):
            raise Unusable(f"request: questions[{i}].reference must be a string")
        out["questions"].append({
            "id": qid,
            "messages": _messages(question.get("messages"), f"questions[{i}].messages"),
            "rag_messages": None if rag_messages is None else _messages(rag_messages, f"questions[{i}].rag_messages"),
            "reference": question["reference"]})
    return out


def check_folders(args, request):
    if not os.path.isfile(os.path.join(args.base_model, "config.json")):
        raise Unusable(f"{args.base_model}: no config.json (expected a local Hugging Face model folder)")
    for system in request["systems"]:
        adapter = system["adapter"]
        if adapter is not None and not os.path.isfile(os.path.join(adapter, "adapter_config.json")):
            raise Unusable(f"{adapter}: no adapter_config.json (expected an adapter folder written by coachspool train)")


# ---------------------------------------------------------------------------------------------
# Models

def describe_device():
    import torch
    cuda = torch.cuda.is_available()
    if cuda:
        return cuda, f"cuda ({torch.cuda.get_device_name(0)}, bf16)", torch.bfloat16
    return cuda, f"cpu ({torch.get_num_threads()} threads, fp32)", torch.float32


def _fatal(error):
    """Out of memory is a failure (exit 1), not an unusable input."""
    return isinstance(error, MemoryError) or type(error).__name__ in ("OutOfMemoryError", "AcceleratorError")


def _short(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300]}" if text else type(error).__name__


def load_system_model(args, adapter, cuda, dtype):
    """The base model (and the adapter on it) with the tokenizer and template its prompts use.
    An adapter folder holding a tokenizer (tokens added in training, e.g. ChatML's markers)
    brings its own; the base model's embeddings grow to fit it before the adapter is loaded."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.manual_seed(0)  # rows added by a resize are initialised at random
    tokenizer_dir = adapter if adapter and os.path.isfile(os.path.join(adapter, "tokenizer_config.json")) else args.base_model
    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True)
    except Exception as error:
        if _fatal(error):
            raise
        raise Unusable(f"{tokenizer_dir}: cannot load the tokenizer ({_short(error)})")
    try:
        model = AutoModelForCausalLM.from_pretrained(args.base_model, local_files_only=True, dtype=dtype)
    except Exception as error:
        if _fatal(error):
            raise
        raise Unusable(f"{args.base_model}: cannot load the model ({_short(error)})")
    try:
        chat_templates.apply_option(model, tokenizer, args.chat_template)
    except TemplateUnusable as error:
        raise Unusable(f"{tokenizer_dir}: {error}")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))
    if adapter:
        from peft import PeftModel
        try:
            recorded = json.load(open(os.path.join(adapter, "adapter_config.json"), encoding="utf-8")).get("base_model_name_or_path")
        except (OSError, ValueError) as error:
            raise Unusable(f"{adapter}: adapter_config.json is unreadable ({_short(error)})")
        if isinstance(recorded, str) and recorded and \
                os.path.basename(os.path.normpath(recorded)) != os.path.basename(os.path.normpath(args.base_model)):
            print(f"warning: {adapter} was trained on {recorded}, evaluated on {args.base_model}", file=sys.stderr, flush=True)
        try:
            model = PeftModel.from_pretrained(model, adapter, is_trainable=False)
        except Exception as error:
            if _fatal(error):
                raise
            raise Unusable(f"{adapter}: cannot load the adapter on {os.path.basename(os.path.normpath(args.base_model))} ({_short(error)})")
    try:
        folded = chat_templates.folds_system(tokenizer)
    except TemplateUnusable as error:
        raise Unusable(f"{tokenizer_dir}: {error}")
    model.to("cuda" if cuda else "cpu")
    model.eval()
    return model, tokenizer, folded


def eos_ids(model, tokenizer):
    ids = set()
    for value in (tokenizer.eos_token_id, getattr(getattr(model, "generation_config", None), "eos_token_id", None)):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(v for v in value if isinstance(v, int))
    return sorted(ids)


def render_ids(tokenizer, messages, add_generation_prompt):
    ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=add_generation_prompt, return_dict=True)
    return list(ids["input_ids"])


def render_text(tokenizer, messages, add_generation_prompt):
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)


def scored_sequence(tokenizer, messages, reference, max_length):
    """Token ids of prompt + reference and where the reference starts: the tokens after the
    prompt carry loss, as in TRL's prompt-completion training (completion_only_loss).
    Returns (ids, completion_start, boundary) with boundary "prefix" (the prompt's tokens are a
    prefix of the whole conversation's), "text" (they are not, but the prompt's text is: prompt
    and completion text tokenized separately) or "diverged" (neither: the completion starts where
    the tokens diverge, as TRL does)."""
    prompt = render_ids(tokenizer, messages, True)
    full_messages = messages + [{"role": "assistant", "content": reference}]
    full = render_ids(tokenizer, full_messages, False)
    if full[:len(prompt)] == prompt:
        ids, start, boundary = full, len(prompt), "prefix"
    else:
        prompt_text, full_text = render_text(tokenizer, messages, True), render_text(tokenizer, full_messages, False)
        if full_text.startswith(prompt_text):
            completion = tokenizer(full_text[len(prompt_text):], add_special_tokens=False)["input_ids"]
            ids, start, boundary = prompt + list(completion), len(prompt), "text"
        else:
            start = 0
            while start < min(len(prompt), len(full)) and prompt[start] == full[start]:
                start += 1
            ids, boundary = full, "diverged"
    completion = ids[start:]
    if len(ids) > max_length:  # the prompt loses tokens from its left; a completion this long, its end
        completion = completion[:max_length - 1]
        keep = max_length - len(completion)
        ids = ids[:start][-keep:] + completion
        start = keep
    return ids, start, boundary


def batches(items, size, cells=None):
    """Consecutive slices of at most `size` items (and, given cells(batch), under MAX_LOGIT_CELLS)."""
    batch = []
    for item in items:
        if batch and (len(batch) >= size or (cells and cells(batch + [item]) > MAX_LOGIT_CELLS)):
            yield batch
            batch = []
        batch.append(item)
    if batch:
        yield batch


def generate(model, tokenizer, prompts, request, cuda, name):
    """Greedy answers to the prompts (lists of token ids), in batches (left padding). Returns per
    prompt (answer text, generated tokens up to and including the first end token, seconds)."""
    import torch
    from transformers import GenerationConfig
    stops = eos_ids(model, tokenizer)
    config = GenerationConfig(max_new_tokens=request["max_new_tokens"], do_sample=False, num_beams=1,
                              eos_token_id=stops, pad_token_id=tokenizer.pad_token_id, use_cache=True)
    device = model.device
    # Longest first: similar lengths share a batch (less padding); the order is the prompts' own.
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    results, done = [None] * len(prompts), 0
    for batch in batches(order, request["batch_size"]):
        width = max(len(prompts[i]) for i in batch)
        input_ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            input_ids[row, width - len(prompts[i]):] = torch.tensor(prompts[i], dtype=torch.long)
            attention[row, width - len(prompts[i]):] = 1
        if cuda:
            torch.cuda.synchronize()
        started = time.perf_counter()
        output = model.generate(input_ids=input_ids.to(device), attention_mask=attention.to(device), generation_config=config)
        if cuda:
            torch.cuda.synchronize()
        seconds = (time.perf_counter() - started) / len(batch)
        for row, i in enumerate(batch):
            new = output[row, width:].tolist()
            count = next((k + 1 for k, token in enumerate(new) if token in stops), len(new))
            text = tokenizer.decode(new[:count], skip_special_tokens=True).strip()
            results[i] = (text, count, seconds)
        done += len(batch)
        progress(stage="generating", system=name, done=done, total=len(prompts))
    return results


def reference_losses(model, sequences, request, name):
    """(sum of token NLL in nats, token count) of each sequence's completion, teacher-forced."""
    import torch
    import torch.nn.functional as F
    vocab = model.get_output_embeddings().weight.shape[0] if model.get_output_embeddings() is not None else 1
    device = model.device
    order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i][0]))
    results, done = [None] * len(sequences), 0
    cells = lambda batch: len(batch) * max(len(sequences[i][0]) for i in batch) * vocab  # noqa: E731
    for batch in batches(order, request["batch_size"], cells):
        width = max(len(sequences[i][0]) for i in batch)
        input_ids = torch.zeros((len(batch), width), dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):  # right padding: the real tokens keep their positions
            ids = sequences[i][0]
            input_ids[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
            attention[row, :len(ids)] = 1
        logits = model(input_ids=input_ids.to(device), attention_mask=attention.to(device)).logits
        for row, i in enumerate(batch):
            ids, start = sequences[i][0], sequences[i][1]
            if start >= len(ids) or start < 1:
                results[i] = (0.0, 0)
                continue
            predicted = logits[row, start - 1:len(ids) - 1].float()
            targets = input_ids[row, start:len(ids)].to(device)
            results[i] = (F.cross_entropy(predicted, targets, reduction="sum").item(), len(ids) - start)
        del logits
        done += len(batch)
        progress(stage="scoring", system=name, done=done, total=len(sequences))
    return results


# ---------------------------------------------------------------------------------------------
# Systems

def run_system(model, tokenizer, folded, system, request, cuda):
    from sacrebleu.metrics import CHRF
    questions = request["questions"]
    conversations = []
    for question in questions:
        messages = question["rag_messages"] if system["rag"] and question["rag_messages"] is not None else question["messages"]
        conversations.append(chat_templates.fold_system(messages) if folded else messages)
    prompts, truncated = [], []
    for messages in conversations:
        ids = render_ids(tokenizer, messages, True)
        prompts.append(ids)
        truncated.append(len(ids) > request["max_length"])
    generation_prompts = [ids[-request["max_length"]:] for ids in prompts]
    answers = generate(model, tokenizer, generation_prompts, request, cuda, system["name"])
    sequences = [scored_sequence(tokenizer, messages, question["reference"], request["max_length"])
                 for messages, question in zip(conversations, questions)]
    losses = reference_losses(model, sequences, request, system["name"])
    chrf = CHRF()
    rows = []
    for question, ids, cut, (text, count, seconds), (loss_sum, loss_count) in zip(questions, prompts, truncated, answers, losses):
        rows.append({"id": question["id"], "answer": text, "prompt_tokens": len(ids), "prompt_truncated": cut,
                     "answer_tokens": count, "seconds": round(seconds, 4),
                     "loss_sum": loss_sum, "loss_tokens": loss_count,
                     "chrf": chrf.sentence_score(text, [question["reference"]]).score})
    total_loss, total_tokens = sum(r["loss_sum"] for r in rows), sum(r["loss_tokens"] for r in rows)
    loss = total_loss / total_tokens if total_tokens else None
    generation_seconds = sum(seconds for _, _, seconds in answers)
    generated = sum(r["answer_tokens"] for r in rows)
    corpus = CHRF().corpus_score([r["answer"] for r in rows], [[q["reference"] for q in questions]]).score
    return {"name": system["name"], "adapter": system["adapter"], "rag": system["rag"],
            "system_prompt_folded": folded,
            "loss": loss, "perplexity": math.exp(loss) if loss is not None else None, "chrf": corpus,
            "generation_seconds": round(generation_seconds, 4), "generated_tokens": generated,
            "tokens_per_second": round(generated / generation_seconds, 3) if generation_seconds > 0 else None,
            "prompt_tokens_mean": sum(r["prompt_tokens"] for r in rows) / len(rows),
            "loss_boundary_fallbacks": sum(1 for _, _, boundary in sequences if boundary != "prefix"),
            "answers": rows}


def write_atomic(path, data):
    def write(temp):
        with open(temp, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
    child.write_atomically(path, write)


def main(argv):
    args = parse_args(argv)
    child.start()
    started = time.time()
    request = read_request(args.request)
    check_folders(args, request)
    import torch
    cuda, device, dtype = describe_device()
    # One load per group: the base model's systems share one, each adapter gets a fresh base.
    groups = []
    for system in request["systems"]:
        group = next((g for g in groups if g[0] == system["adapter"]), None)
        if group is None:
            groups.append((system["adapter"], [system]))
        else:
            group[1].append(system)
    results = {}
    for adapter, systems in groups:
        progress(stage="loading", systems=[s["name"] for s in systems], adapter=adapter, device=device)
        model, tokenizer, folded = load_system_model(args, adapter, cuda, dtype)
        with torch.inference_mode():
            for system in systems:
                results[system["name"]] = run_system(model, tokenizer, folded, system, request, cuda)
                progress(stage="system_done", system=system["name"], loss=results[system["name"]]["loss"],
                         chrf=results[system["name"]]["chrf"])
        del model, tokenizer
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
    write_atomic(args.out, {
        "device": device, "threads": torch.get_num_threads(),
        "dtype": "bfloat16" if dtype == torch.bfloat16 else "float32",
        "max_new_tokens": request["max_new_tokens"], "max_length": request["max_length"],
        "chat_template": args.chat_template,
        "seconds": round(time.time() - started, 1),
        "systems": [results[s["name"]] for s in request["systems"]]})
    progress(stage="done", seconds=round(time.time() - started, 1))
    return 0


if __name__ == "__main__":
    child.run(main)
