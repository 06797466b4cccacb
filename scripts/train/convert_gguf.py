"""Turns a GGUF chat model into a normal Hugging Face model folder (fp32 safetensors, tokenizer
with its chat template, generation_config), which train.py and any transformers user can load.
scripts/fetch-base-model.sh runs it on SmolLM2-135M-Instruct.Q4_1.gguf; it reads nothing from
the network (HF_HUB_OFFLINE=1).

usage: python convert_gguf.py GGUF_FILE OUT_DIR

transformers loads a GGUF file de-quantized to fp32 (the `gguf` package reads it), but refuses
to save_pretrained such a model ("quantized with gguf and not serializable"): the weights are
copied, every key checked (strict), into a fresh model of the same class built from the config
without its quantization_config. The copy is checked against the GGUF-loaded model (same logits
on a chat prompt), written into OUT_DIR.tmp, loaded back and checked again, then renamed to
OUT_DIR (replacing an older one) so a half-written folder is never mistaken for a model.
Takes ~1 min and ~2 GB of memory for a 135M model on 2 cores.
"""
import json, os, shutil, sys, time

os.environ["HF_HUB_OFFLINE"] = "1"  # everything is local; never reach the Hub

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

PROBE = [{"role": "user", "content": "How do I keep a running habit going in winter?"}]


def logits(model, ids):
    with torch.no_grad():
        return model(**ids).logits


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__.split("\n\n")[1].strip())
    gguf_path, out = os.path.abspath(argv[0]), os.path.abspath(argv[1])
    folder, name = os.path.split(gguf_path)
    started = time.time()
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    loaded.eval()
    config = loaded.config
    # The copy is an ordinary fp32 model: no quantization_config, no GGUF-derived name.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config._name_or_path = ""
    if hasattr(config, "_model_name_or_path"):  # the GGUF's general.name ("Smollm2 135M 8k Lc100K Mix1 Ep2")
        del config._model_name_or_path
    config.dtype = torch.float32
    model = type(loaded)(config)  # not on the meta device: non-persistent buffers (RoPE) are built here
    state = loaded.state_dict()
    expected = set(model.state_dict())
    if set(state) != expected:
        sys.exit(f"error: {name}: weight names differ from {type(loaded).__name__}'s: "
                 f"missing {sorted(expected - set(state))[:5]}, unexpected {sorted(set(state) - expected)[:5]}")
    model.load_state_dict(state, strict=True)
    model.tie_weights()
    model.generation_config = loaded.generation_config
    model.eval()
    ids = tokenizer.apply_chat_template(PROBE, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    reference = logits(loaded, ids)
    if not torch.equal(logits(model, ids), reference):
        sys.exit(f"error: {name}: the copied model does not compute what the GGUF-loaded one does")
    # The GGUF tokenizer says nothing of the context length; the model's is the useful limit.
    tokenizer.model_max_length = config.max_position_embeddings
    for key in ("is_local", "local_files_only"):  # how it was loaded here, not a property of the tokenizer
        tokenizer.init_kwargs.pop(key, None)
    if not tokenizer.chat_template:
        sys.exit(f"error: {name}: the GGUF file carries no chat template")

    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    del loaded, model, state

    # What train.py will load: the folder alone, with the ordinary loader.
    check_tokenizer = AutoTokenizer.from_pretrained(tmp, local_files_only=True)
    check = AutoModelForCausalLM.from_pretrained(tmp, local_files_only=True, dtype=torch.float32)
    check.eval()
    check_ids = check_tokenizer.apply_chat_template(PROBE, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    if not torch.equal(check_ids["input_ids"], ids["input_ids"]) or not torch.equal(logits(check, check_ids), reference):
        sys.exit(f"error: {tmp}: the saved folder does not load back as the same model and tokenizer")
    parameters = sum(p.numel() for p in check.parameters())
    with open(os.path.join(tmp, "coachspool-source.json"), "w", encoding="utf-8") as f:
        json.dump({"gguf_file": name, "parameters": parameters, "dtype": "float32",
                   "converted_by": "scripts/train/convert_gguf.py"}, f, indent=2)
        f.write("\n")
    for entry in os.listdir(tmp):  # safetensors writes its file 0600; the folder is meant to be shared
        os.chmod(os.path.join(tmp, entry), 0o644)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print(f"converted {name}: {type(check).__name__}, {parameters / 1e6:.1f} M parameters, "
          f"{time.time() - started:.0f} s", file=sys.stderr)
    print(out)


if __name__ == "__main__":
    main(sys.argv[1:])
