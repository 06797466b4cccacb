"""A tiny Llama-architecture chat model for tests and the demo: random weights (hidden 64, 2
layers), a byte-level BPE tokenizer trained with `tokenizers` on the given texts, and a
ChatML-style chat template with {% generation %} blocks (so TRL can also mask by assistant turn).
Saved with save_pretrained into OUT; nothing is downloaded.

usage: python tiny_model.py OUT TEXTS.jsonl [--seed 0]     (TEXTS.jsonl: lines {"text": ...})
       python tiny_model.py OUT --from-export DIR        (the message texts of an export's files)
"""
import argparse, json, os

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{% else %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL = ["<|pad|>", "<|bos|>", "<|im_start|>", "<|im_end|>"]


def export_texts(folder):
    """Every message's content in an export's train and validation files (any chat format)."""
    texts = []
    for part in ("train", "validation"):
        for line in open(os.path.join(folder, f"{part}.jsonl"), encoding="utf-8"):
            for value in json.loads(line).values():
                if isinstance(value, list):
                    texts += [m["content"] for m in value if isinstance(m, dict) and "content" in m]
    return texts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("texts", nargs="?")
    parser.add_argument("--from-export")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.from_export:
        texts = export_texts(args.from_export)
    elif args.texts:
        texts = [json.loads(line)["text"] for line in open(args.texts, encoding="utf-8") if line.strip()]
    else:
        parser.error("give TEXTS.jsonl or --from-export DIR")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=1024, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, pad_token="<|pad|>", bos_token="<|bos|>", eos_token="<|im_end|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(args.seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    model = LlamaForCausalLM(config)
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
