"""Chat templates for the trainer and the answer evaluation (train.py, eval_answers.py).

- A base model without a chat template (GPT-2 family, base Llama folders, DialoGPT) gets one
  with `--chat-template chatml|FILE`. `chatml` is done as TRL's `clone_chat_template` does it:
  the template, its markers `<|im_start|>` and `<|im_end|>` added to the vocabulary as special
  tokens, `<|im_end|>` as the end-of-sequence token (so generation stops at the end of a turn)
  and the embeddings resized; the new tokens' embedding rows are then trained with the adapter
  (PEFT's `trainable_token_indices`). FILE is a Jinja template used as it is (nothing is added
  to the vocabulary; markers it names that are not tokens are plain text).
- Some templates refuse a system message (Mistral-7B-Instruct v0.1/v0.2: "Conversation roles
  must alternate user/assistant/…"; Gemma: "System role not supported") or drop it silently.
  A probe conversation is rendered first; when the system prompt does not come out, it is folded
  into the first user turn, as trainers' own template tables do for such models.
"""

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
CHATML_TOKENS = ["<|im_start|>", "<|im_end|>"]

_PROBE_SYSTEM = "coachspool-probe-system-7f3a"
_PROBE = [
    {"role": "system", "content": _PROBE_SYSTEM},
    {"role": "user", "content": "probe question"},
    {"role": "assistant", "content": "probe answer"},
]


class TemplateUnusable(Exception):
    """No chat template, or one that cannot render a plain conversation."""


def has_template(tokenizer):
    return bool(getattr(tokenizer, "chat_template", None))


def apply_option(model, tokenizer, spec):
    """Gives the tokenizer the template `spec` names ('chatml' or a Jinja file); resizes the
    model's embeddings when tokens are added. Returns the ids of the added tokens (to train)."""
    if spec is None:
        if not has_template(tokenizer):
            raise TemplateUnusable("the tokenizer has no chat template: give one with --chat-template chatml|FILE")
        return []
    if spec == "chatml":
        added = [t for t in CHATML_TOKENS if t not in tokenizer.get_vocab()]
        # Extend the tokenizer's extra special tokens; the default would replace that list, and
        # tokens of the model's own would lose their special flag (kept in decoded text).
        try:
            tokenizer.add_special_tokens({"additional_special_tokens": CHATML_TOKENS}, replace_extra_special_tokens=False)
        except TypeError:  # transformers 4: the keyword's older name
            tokenizer.add_special_tokens({"additional_special_tokens": CHATML_TOKENS}, replace_additional_special_tokens=False)
        tokenizer.chat_template = CHATML
        tokenizer.eos_token = "<|im_end|>"
        if tokenizer.pad_token is None or tokenizer.pad_token == tokenizer.eos_token:
            tokenizer.pad_token = tokenizer.eos_token
        if model is not None:
            model.config.eos_token_id = tokenizer.eos_token_id
            if getattr(model, "generation_config", None) is not None:
                model.generation_config.eos_token_id = tokenizer.eos_token_id
            if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
                model.resize_token_embeddings(len(tokenizer))
        return tokenizer.convert_tokens_to_ids(added)
    try:
        with open(spec, encoding="utf-8") as f:
            tokenizer.chat_template = f.read()
    except OSError as error:
        raise TemplateUnusable(f"--chat-template {spec}: cannot read the file ({error.strerror})")
    if not tokenizer.chat_template.strip():
        raise TemplateUnusable(f"--chat-template {spec}: the file is empty")
    return []


def folds_system(tokenizer):
    """True when the template refuses (raises) or drops a system message: the system prompt must
    then be folded into the first user turn. Raises TemplateUnusable when it cannot render even
    a user/assistant conversation."""
    try:
        text = tokenizer.apply_chat_template(_PROBE, tokenize=False)
        if _PROBE_SYSTEM in text:
            return False
    except Exception:  # jinja2's TemplateError from raise_exception, or any template bug
        pass
    try:
        tokenizer.apply_chat_template(fold_system(_PROBE), tokenize=False)
    except Exception as error:
        raise TemplateUnusable(f"the chat template cannot render a user/assistant conversation: {error}")
    return True


def fold_system(messages):
    """The system messages' content prepended to the first user turn (blank line between)."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if not system:
        return rest
    for message in rest:
        if message["role"] == "user":
            message["content"] = f"{system}\n\n{message['content']}"
            return rest
    return [{"role": "user", "content": system}] + rest
