/// Trainer settings written next to an export, so that the trainer reads it exactly: which
/// answers carry loss is a property of the format *and* of the trainer's settings.
public enum TrainerConfigs {
    public static let llamaFactoryFile = "llamafactory_sft.yaml"
    public static let axolotlFile = "axolotl.yaml"

    /// LLaMA-Factory LoRA SFT on this folder's `dataset_info.json`. Every example ends with its
    /// one trained answer; `mask_history: true` makes LLaMA-Factory compute loss on that last
    /// answer only (without it, it would also train the earlier turns, rejected ones included).
    public static func llamaFactory(format: DatasetFormat) -> String {
        """
        # Written by `coachspool export --format \(format.rawValue)`: LoRA SFT with LLaMA-Factory
        # (`llamafactory-cli train llamafactory_sft.yaml`, run from this folder).
        # Each example ends with exactly one accepted answer; earlier turns (rejected answers
        # included) are context. mask_history: true trains the last answer only: keep it.
        model_name_or_path: /path/to/base-model   # a local Hugging Face model folder
        template: default                        # the template of that model (llama3, qwen, mistral…)
        stage: sft
        do_train: true
        finetuning_type: lora
        lora_rank: 16          # the seed's LoRA settings
        lora_alpha: 32
        lora_dropout: 0.1
        lora_target: all
        dataset_dir: .
        dataset: coachspool_train
        eval_dataset: coachspool_validation
        mask_history: true
        cutoff_len: 2048
        output_dir: ./llamafactory-lora
        num_train_epochs: 3
        learning_rate: 2.0e-4
        per_device_train_batch_size: 1
        gradient_accumulation_steps: 8

        """
    }

    /// Axolotl's `chat_template` dataset over the openai export: `message_field_training: weight`
    /// makes it honour each message's weight (0 = context, 1 = trained).
    public static let axolotl = """
        # Written by `coachspool export --format openai`: the datasets section for Axolotl.
        # message_field_training: weight makes Axolotl train only messages with weight 1; the
        # answers the quality filter rejected (weight 0) stay as context.
        datasets:
          - path: train.jsonl
            ds_type: json
            type: chat_template
            field_messages: messages
            roles_to_train: ["assistant"]
            message_field_training: weight
        test_datasets:
          - path: validation.jsonl
            ds_type: json
            split: train
            type: chat_template
            field_messages: messages
            roles_to_train: ["assistant"]
            message_field_training: weight
        adapter: lora
        lora_r: 16
        lora_alpha: 32
        lora_dropout: 0.1
        lora_target_linear: true

        """
}
