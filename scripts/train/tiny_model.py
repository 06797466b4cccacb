"""A tiny chat model for tests and the demo: random weights, a byte-level BPE tokenizer trained
with `tokenizers` on the given texts, saved with save_pretrained into OUT; nothing is downloaded.

- `--arch llama` (default): LlamaForCausalLM (hidden 64, 2 layers).
- `--arch gpt2`: GPT2LMHeadModel (n_embd 64, 2 layers), GPT-2's single special token
  `<|endoftext|>` (bos = eos = unk, no pad) and, by default, NO chat template: the shape of a
  base GPT-2/DialoGPT folder, for `train.py --chat-template`.
- `--template`: the chat template saved with the tokenizer. Default: `chatml` for llama (a
  ChatML-style template with {% generation %} blocks, so TRL can also mask by assistant turn),
  `none` for gpt2. `mistral` is Mistral-7B-Instruct-v0.1's template as published (it raises
  "Conversation roles must alternate user/assistant/user/assistant/..." on a system message),
  `gemma` Gemma-7B-it's (it raises "System role not supported"); their markers are made special
  tokens, as in those models' tokenizers.

usage: python tiny_model.py OUT TEXTS.jsonl [--seed 0] [--arch llama|gpt2] [--template chatml|mistral|gemma|none]
       python tiny_model.py OUT --from-export DIR [...]   (the message texts of an export's files)
(TEXTS.jsonl: lines {"text": ...})
"""
import argparse, json, os

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{% else %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# mistralai/Mistral-7B-Instruct-v0.1, tokenizer_config.json (the template it was released with).
MISTRAL_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
)
# google/gemma-7b-it (and gemma-2b-it), tokenizer_config.json.
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
)
# Per template: (its text, the special tokens (pad, bos, eos first), pad, bos, eos).
TEMPLATES = {
    "chatml": (CHAT_TEMPLATE, ["<|pad|>", "<|bos|>", "<|im_start|>", "<|im_end|>"], "<|pad|>", "<|bos|>", "<|im_end|>"),
    "mistral": (MISTRAL_TEMPLATE, ["<unk>", "<s>", "</s>"], None, "<s>", "</s>"),
    "gemma": (GEMMA_TEMPLATE, ["<pad>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"], "<pad>", "<bos>", "<eos>"),
}
SPECIAL = TEMPLATES["chatml"][1]  # the default model's special tokens (ids 0-3)


def export_texts(folder):
    """Every message's content in an export's train and validation files (any chat format)."""
    texts = []
    for part in ("train", "validation"):
        for line in open(os.path.join(folder, f"{part}.jsonl"), encoding="utf-8"):
            for value in json.loads(line).values():
                if isinstance(value, list):
                    texts += [m["content"] for m in value if isinstance(m, dict) and "content" in m]
    return texts


def bpe_tokenizer(texts, special):
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=1024, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return bpe


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("texts", nargs="?")
    parser.add_argument("--from-export")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arch", choices=["llama", "gpt2"], default="llama")
    parser.add_argument("--template", choices=["chatml", "mistral", "gemma", "none"], default=None,
                        help="default: chatml for llama, none for gpt2")
    args = parser.parse_args()
    if args.from_export:
        texts = export_texts(args.from_export)
    elif args.texts:
        texts = [json.loads(line)["text"] for line in open(args.texts, encoding="utf-8") if line.strip()]
    else:
        parser.error("give TEXTS.jsonl or --from-export DIR")
    template = args.template or ("chatml" if args.arch == "llama" else "none")
    torch.manual_seed(args.seed)
    if args.arch == "gpt2":
        # GPT-2's tokenizer: one special token that is bos, eos and unk; no pad token.
        extra = TEMPLATES[template][1] if template != "none" else []
        bpe = bpe_tokenizer(texts, ["<|endoftext|>"] + extra)
        tokenizer = PreTrainedTokenizerFast(
            tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|endoftext|>", unk_token="<|endoftext|>")
        config = GPT2Config(
            vocab_size=len(tokenizer), n_embd=64, n_layer=2, n_head=4, n_positions=1024,
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
        model = GPT2LMHeadModel(config)
    else:
        special = TEMPLATES[template if template != "none" else "chatml"][1]
        _, _, pad, bos, eos = TEMPLATES[template if template != "none" else "chatml"]
        bpe = bpe_tokenizer(texts, special)
        tokens = dict(pad_token=pad, bos_token=bos, eos_token=eos)
        if template == "mistral":  # Mistral's tokenizer: <unk>, <s>, </s>; no pad token
            tokens = dict(unk_token="<unk>", bos_token=bos, eos_token=eos)
        tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, **tokens)
        config = LlamaConfig(
            vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=1024,
            pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
        model = LlamaForCausalLM(config)
    if template != "none":
        tokenizer.chat_template = TEMPLATES[template][0]
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
