import ArgumentParser
import Embeddings
import Foundation
import Knowledge
import Spool
import Stages
import Tokenizers

struct TokensCommand: ParsableCommand {
    @OptionGroup var common: CommonOptions
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "cl100k_base token ids of each line's text, identical to tiktoken's encode.",
        discussion: """
            Reads {"text": ...} per line on stdin; writes {"tokens": [ids], "count": N} per line. \
            Needs cl100k_base.tiktoken in $COACHSPOOL_MODELS (default ./.coachspool/models): \
            run scripts/fetch-tokenizer.sh.
            """)

    @Flag(help: "JSON Lines in and out (the default and only format).")
    var jsonl = false

    func run() throws {
        let encoding = try ModelFiles.cl100k()
        try JSONLinesStage.run { text, out in
            let tokens = encoding.encode(text)
            out.object {
                $0.field("tokens") { $0.array(tokens) { $0.integer($1) } }
                $0.field("count") { $0.integer(tokens.count) }
            }
        }
    }
}

struct ChunkCommand: ParsableCommand {

    @OptionGroup var common: CommonOptions
    static let configuration = CommandConfiguration(
        commandName: "chunk",
        abstract: "Splits each line's text like LangChain's RecursiveCharacterTextSplitter.",
        discussion: """
            Default separators, keep_separator=True, strip_whitespace=True; lengths in Unicode \
            scalars (Python len) or cl100k tokens. Writes {"chunks": [...]} per line.
            """)

    enum Unit: String, ExpressibleByArgument { case chars, tokens }

    // The names of `work`'s chunk options; the short ones of earlier versions keep working.
    @Option(name: [.customLong("chunk-size"), .customLong("size")], help: "Maximum chunk length (work's default).")
    var size = ChunkerSettings.defaultSize
    @Option(name: [.customLong("chunk-overlap"), .customLong("overlap")], help: "Overlap between consecutive chunks (work's default).")
    var overlap = ChunkerSettings.defaultOverlap
    @Option(help: "chars (Python len) or tokens (cl100k).")
    var unit: Unit = .chars

    func validate() throws {
        do {
            _ = try RecursiveCharacterSplitter(chunkSize: size, chunkOverlap: overlap)
        } catch {
            throw ValidationError("--chunk-size, --chunk-overlap: \(error.message)")
        }
    }
    @Flag(help: "JSON Lines in and out (the default and only format).")
    var jsonl = false

    func run() throws {
        let splitter = try RecursiveCharacterSplitter(
            chunkSize: size, chunkOverlap: overlap, unit: unit == .chars ? .characters : .tokens(try ModelFiles.cl100k()))
        try JSONLinesStage.run { text, out in
            let chunks = splitter.split(text)
            out.object { $0.field("chunks") { $0.array(chunks) { $0.string($1) } } }
        }
    }
}

struct RedactCommand: ParsableCommand {

    @OptionGroup var common: CommonOptions
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Replaces personal identifiers, secrets, people's names and street addresses in each line's text.",
        discussion: """
            Types: \(PIIType.allCases.map(\.rawValue).joined(separator: ", ")). Identifiers become \
            <TYPE>; people and addresses numbered pseudonyms, <PERSON_1>, <ADDRESS_1>. Reads \
            {"text": "..."} or {"text": "...", "conversation": "KEY"}: lines of one conversation \
            (in order; up to \(Self.conversationsKept) conversations at a time) share their \
            pseudonyms, so a person keeps one number across turns; the mapping lives in memory \
            only. Writes {"text": "...", "entities": [{"type": T, "start": s, "end": e}]} per \
            line (people and addresses also "label": N), offsets in Unicode scalars of the input \
            (Python string indices).
            """)

    @Flag(help: "JSON Lines in and out (the default and only format).")
    var jsonl = false

    @Option(help: "How people and addresses are replaced: placeholder (<PERSON_1>) or surrogate (invented names of the same language and guessed gender, invented addresses).")
    var pseudonyms = Pseudonyms.Style.standard

    /// The conversations whose pseudonyms are kept: the oldest is forgotten beyond this.
    static let conversationsKept = 10_000
    /// The longest conversation key, in bytes.
    static let conversationKeyBytes = 256

    struct Line: JSONLinesStage.Record {
        var text: String
        var conversation: String?

        func problem() -> String? {
            guard let conversation, conversation.utf8.count > RedactCommand.conversationKeyBytes else { return nil }
            return "conversation: longer than \(RedactCommand.conversationKeyBytes) bytes"
        }
    }

    func run() throws {
        let redactor = Redactor()
        var conversations: [String: Pseudonyms] = [:]
        var order: [String] = []
        try JSONLinesStage.run(reading: Line.self) { line, out in
            var pseudonyms = Pseudonyms()
            if let key = line.conversation {
                if let known = conversations[key] {
                    pseudonyms = known
                } else {
                    pseudonyms = Pseudonyms(conversationKey: key)
                    order.append(key)
                    if order.count > Self.conversationsKept { conversations[order.removeFirst()] = nil }
                }
            }
            let result = redactor.redact(line.text, pseudonyms: &pseudonyms)
            if let key = line.conversation { conversations[key] = pseudonyms }
            out.object {
                $0.field("text") { $0.string(result.rendered(self.pseudonyms, with: pseudonyms)) }
                $0.field("entities") {
                    $0.array(result.entities) { out, entity in
                        out.object {
                            $0.field("type") { $0.string(entity.type.rawValue) }
                            $0.field("start") { $0.integer(entity.start) }
                            $0.field("end") { $0.integer(entity.end) }
                            if let label = entity.label { $0.field("label") { $0.integer(label) } }
                        }
                    }
                }
            }
        }
    }
}

extension Pseudonyms.Style: ExpressibleByArgument {}

struct EmbedCommand: ParsableCommand {

    @OptionGroup var common: CommonOptions
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embeds each line's text (all-MiniLM-L6-v2 by default, equal to sentence-transformers).",
        discussion: """
            Writes {"embedding": [floats], "tokens": N} per line: a unit-length vector and the \
            tokens the model saw (WordPiece incl. [CLS]/[SEP], at most 256; words for hash; null \
            for openai). minilm needs $COACHSPOOL_MODELS/all-MiniLM-L6-v2 (scripts/fetch-model.sh); \
            openai reads its endpoint and key from the environment (see README).
            """)

    @Flag(help: "JSON Lines in and out (the default and only format).")
    var jsonl = false

    @OptionGroup var embedder: EmbedderOptions

    // work's and serve's name; --batch-size, the name of earlier versions, keeps working.
    @Option(name: [.customLong("embed-batch-size"), .customLong("batch-size")], help: "Texts per forward pass (minilm) or per request (openai).")
    var batchSize = EmbedderFactory.defaultBatchSize

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--embed-batch-size must be positive") }
    }

    func run() throws {
        let embedder = try embedder.make(batchSize: batchSize)
        KernelLog.announce(embedder, logger: LoggingSetup.logger("coachspool.embed"))
        // MiniLM computes `threads` batches at once: hand it enough lines to keep them all busy.
        let parallelBatches = (embedder as? MiniLMEmbedder)?.threads ?? 1
        // An endpoint that keeps failing stops the command (with its message): no line is skipped.
        try JSONLinesStage.runBatched(batchSize: batchSize * parallelBatches) { texts in
            try embedder.embed(texts)
        } write: { embedding, out in
            out.object {
                $0.field("embedding") { $0.array(embedding.vector) { $0.float($1) } }
                $0.field("tokens") { out in
                    if let tokens = embedding.tokens { out.integer(tokens) } else { out.null() }
                }
            }
        }
    }
}
