/// The export formats, and how one stored record becomes one JSON line in each.
public enum DatasetFormat: String, Sendable, CaseIterable {
    /// OpenAI chat fine-tuning (`{"messages": [...]}` with per-message `weight`): OpenAI-compatible
    /// services, and Axolotl's `chat_template` datasets with `message_field_training: weight`.
    /// TRL does not read `weight` (it would train rejected answers too): use `trlSFT` for TRL.
    case openai
    /// TRL's conversational prompt–completion rows, one per trained answer: `prompt` (system,
    /// earlier turns, the user turn) and `completion` (that answer). Rejected answers appear only
    /// inside prompts, where TRL computes no loss.
    case trlSFT = "trl-sft"
    /// TRL's conversational preference rows: `prompt`, `chosen`, `rejected` (one assistant message each).
    case trlDPO = "trl-dpo"
    /// OpenAI preference fine-tuning (DPO): `input.messages`, `preferred_output`,
    /// `non_preferred_output`.
    case openaiDPO = "openai-dpo"
    /// TRL's KTO trainer, conversational form: `prompt` messages, `completion`, `label`.
    case kto
    /// LLaMA-Factory's ShareGPT form: `conversations` of `from`/`value`, `system` apart; one
    /// example per trained answer, ending with it (train with `mask_history: true`).
    case sharegpt
    /// LLaMA-Factory's Alpaca form: `instruction`, `input`, `output`, `system`, `history`; one
    /// example per trained answer, earlier turns as `history` (train with `mask_history: true`).
    case alpaca

    /// Which stored records the format is made from.
    public enum Source: Sendable { case examples, preferencePairs, feedbackExamples }

    public var source: Source {
        switch self {
        case .openai, .trlSFT, .sharegpt, .alpaca: .examples
        case .openaiDPO, .trlDPO: .preferencePairs
        case .kto: .feedbackExamples
        }
    }

    /// The fewest training examples the format's consumer accepts, and whose rule that is: an
    /// export with fewer writes nothing.
    public var minimumTrainExamples: (count: Int, rule: String) {
        switch self {
        case .openai, .openaiDPO: (10, "OpenAI's fine-tuning API needs at least 10")
        // KTOTrainer refuses a batch of one: its KL term pairs each prompt with another's answer.
        case .kto: (2, "TRL's KTO trainer needs at least 2 (a batch of one has no KL term)")
        case .trlSFT, .trlDPO: (1, "TRL needs at least 1")
        case .sharegpt, .alpaca: (1, "LLaMA-Factory needs at least 1")
        }
    }

    /// Under this many training examples the export warns: OpenAI's recommendation for its
    /// formats, the seed's "50–100" for the others.
    public var recommendedTrainExamples: (count: Int, rule: String) {
        switch self {
        case .openai, .openaiDPO: (50, "OpenAI recommends at least 50")
        case .trlSFT, .trlDPO, .kto, .sharegpt, .alpaca: (50, "the design note recommends 50 to 100")
        }
    }

    /// Formats whose trainers cannot be told which assistant turns to learn from: a stored
    /// conversation becomes one record per trained answer, ending with it.
    public var expandsConversations: Bool {
        switch self {
        case .trlSFT, .sharegpt, .alpaca: true
        case .openai, .openaiDPO, .trlDPO, .kto: false
        }
    }
}

/// One stored record to export, in the shape of its source table.
public enum DatasetRecord: Sendable, Equatable {
    case conversation(messages: [ChatMessage])
    case preference(input: [ChatMessage], preferred: String, nonPreferred: String)
    case feedback(prompt: [ChatMessage], completion: String, label: Bool)

    /// The record as one OpenAI chat example, for OpenAI's format checks and token count, so
    /// that every format excludes the same examples for the same reasons. Pairs and feedback
    /// examples are checked as their prompt followed by the answer(s).
    public var chatForm: [ChatMessage] {
        switch self {
        case .conversation(let messages): messages
        case .preference(let input, let preferred, let nonPreferred):
            input.map(\.withoutWeight) + [ChatMessage(role: .assistant, content: preferred), ChatMessage(role: .assistant, content: nonPreferred)]
        case .feedback(let prompt, let completion, _):
            prompt.map(\.withoutWeight) + [ChatMessage(role: .assistant, content: completion)]
        }
    }

    /// The records `format` writes for this one: a conversation, for a format that
    /// `expandsConversations`, becomes one conversation per trained assistant answer (weight 1
    /// or none), made of the turns before it (weights dropped: they are context) and the answer.
    /// A rejected answer (weight 0) is never the last message of a record.
    public func records(for format: DatasetFormat) -> [DatasetRecord] {
        guard format.expandsConversations, case .conversation(let messages) = self else { return [self] }
        return messages.indices.compactMap { index in
            let message = messages[index]
            guard message.role == .assistant, message.weight != 0 else { return nil }
            return .conversation(messages: messages[..<index].map(\.withoutWeight) + [message])
        }
    }

    /// Appends the record as one JSON line (without the newline) in `format`. The format must
    /// be one made from this kind of record (`DatasetFormat.source`).
    public func write(as format: DatasetFormat, into json: inout JSONWriter) {
        switch (self, format) {
        case (.conversation(let messages), .openai):
            json.object { $0.field("messages") { Self.write(messages, into: &$0) } }
        case (.conversation(let messages), .trlSFT):
            json.object {
                $0.field("prompt") { Self.write(Array(messages.dropLast()), into: &$0) }
                $0.field("completion") { Self.write([messages[messages.count - 1].withoutWeight], into: &$0) }
            }
        case (.conversation(let messages), .sharegpt):
            Self.writeShareGPT(messages, into: &json)
        case (.conversation(let messages), .alpaca):
            Self.writeAlpaca(messages, into: &json)
        case (.preference(let input, let preferred, let nonPreferred), .openaiDPO):
            json.object {
                $0.field("input") { $0.object { $0.field("messages") { Self.write(input.map(\.withoutWeight), into: &$0) } } }
                $0.field("preferred_output") { Self.write([ChatMessage(role: .assistant, content: preferred)], into: &$0) }
                $0.field("non_preferred_output") { Self.write([ChatMessage(role: .assistant, content: nonPreferred)], into: &$0) }
            }
        case (.preference(let input, let preferred, let nonPreferred), .trlDPO):
            json.object {
                $0.field("prompt") { Self.write(input.map(\.withoutWeight), into: &$0) }
                $0.field("chosen") { Self.write([ChatMessage(role: .assistant, content: preferred)], into: &$0) }
                $0.field("rejected") { Self.write([ChatMessage(role: .assistant, content: nonPreferred)], into: &$0) }
            }
        case (.feedback(let prompt, let completion, let label), .kto):
            json.object {
                $0.field("prompt") { Self.write(prompt.map(\.withoutWeight), into: &$0) }
                $0.field("completion") { Self.write([ChatMessage(role: .assistant, content: completion)], into: &$0) }
                $0.field("label") { $0.bool(label) }
            }
        default:
            preconditionFailure("\(format.rawValue) is not made from this kind of record")
        }
    }

    private static func write(_ messages: [ChatMessage], into json: inout JSONWriter) {
        json.array(messages) { json, message in
            json.object {
                $0.field("role") { $0.string(message.role.rawValue) }
                $0.field("content") { $0.string(message.content) }
                if let weight = message.weight { $0.field("weight") { $0.integer(weight) } }
            }
        }
    }

    /// ShareGPT has no per-message weight: an expanded record ends with its one trained answer,
    /// and LLaMA-Factory's `mask_history: true` (in the generated YAML) learns from the last turn only.
    private static func writeShareGPT(_ messages: [ChatMessage], into json: inout JSONWriter) {
        let (system, dialogue) = alternating(messages)
        json.object {
            $0.field("conversations") {
                $0.array(dialogue) { json, message in
                    json.object {
                        $0.field("from") { $0.string(message.role == .user ? "human" : "gpt") }
                        $0.field("value") { $0.string(message.content) }
                    }
                }
            }
            if let system { $0.field("system") { $0.string(system) } }
        }
    }

    /// The last exchange is `instruction` → `output`; the turns before it are `history` pairs.
    private static func writeAlpaca(_ messages: [ChatMessage], into json: inout JSONWriter) {
        let (system, dialogue) = alternating(messages)
        var pairs: [(String, String)] = []
        var pendingUser: String?
        for message in dialogue {
            switch message.role {
            case .system: continue
            case .user: pendingUser = message.content
            case .assistant:
                pairs.append((pendingUser ?? "", message.content))
                pendingUser = nil
            }
        }
        let last = pairs.popLast() ?? ("", "")
        json.object {
            $0.field("instruction") { $0.string(last.0) }
            $0.field("input") { $0.string("") }
            $0.field("output") { $0.string(last.1) }
            if let system { $0.field("system") { $0.string(system) } }
            $0.field("history") {
                $0.array(pairs) { json, pair in json.array([pair.0, pair.1]) { $0.string($1) } }
            }
        }
    }
}

extension DatasetRecord {
    /// The system text and the user/assistant turns of a conversation, for LLaMA-Factory's
    /// formats, which require the turns to start with the user: the coach's greeting before the
    /// first user message (context, weight 0) joins the system text instead.
    fileprivate static func alternating(_ messages: [ChatMessage]) -> (system: String?, dialogue: [ChatMessage]) {
        var system = messages.first { $0.role == .system }?.content
        var dialogue = messages.filter { $0.role != .system }
        while let first = dialogue.first, first.role == .assistant {
            system = [system, first.content].compactMap { $0 }.joined(separator: "\n\n")
            dialogue.removeFirst()
        }
        return (system, dialogue)
    }
}

extension ChatMessage {
    var withoutWeight: ChatMessage { ChatMessage(role: role, content: content) }
}
