import Embeddings
import Foundation
import Knowledge
import Queue
import Spool
import Stages

/// How a worker process runs: the queue runtime's settings (`runtime`, whose properties read and
/// write as this type's own: `configuration.batchSize`) and the stages' settings.
@dynamicMemberLookup
public struct WorkerConfiguration: Sendable {
    /// The defaults, once: these properties and `coachspool work`'s options start from them.
    public typealias Defaults = RuntimeConfiguration.Defaults

    public var runtime: RuntimeConfiguration
    public var quality = QualityFilter()
    /// Redaction and token counting (needs the cl100k ranks file, hence no default).
    public var text: TextPreparation
    /// System prompts of the fine-tuning examples (`ConversationRebuild`).
    public var prompts = SystemPrompts()
    /// How people and addresses appear in the examples: `<PERSON_1>` or invented names.
    public var pseudonyms = Pseudonyms.Style.standard
    /// Builds the examples; its version covers the prompts, the quality and text versions and
    /// the pseudonyms' style.
    public var examples: ExampleBuilder {
        Self.examples(prompts: prompts, quality: quality, textVersion: text.version, pseudonyms: pseudonyms)
    }

    /// The builder for these settings; with the defaults, what `coachspool --version` reports.
    public static func examples(
        prompts: SystemPrompts = SystemPrompts(), quality: QualityFilter = QualityFilter(), textVersion: String = TextPreparation.version(),
        pseudonyms: Pseudonyms.Style = .standard
    ) -> ExampleBuilder {
        ExampleBuilder(prompts: prompts, sourceVersions: [quality.pipelineVersion, textVersion, "pseudonyms:" + pseudonyms.rawValue])
    }
    /// Chunking and embedding of knowledge documents for one registered space (`embed:N` jobs);
    /// `nil`: this worker does not embed.
    public var knowledge: KnowledgeWork?
    /// When and how the space's HNSW index is built (with `knowledge`).
    public var spaceIndex = SpaceIndexSettings()

    public init(conninfo: String, text: TextPreparation, workerID: String = RuntimeConfiguration.makeWorkerID()) {
        self.runtime = RuntimeConfiguration(conninfo: conninfo, workerID: workerID)
        self.text = text
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<RuntimeConfiguration, T>) -> T {
        get { runtime[keyPath: path] }
        set { runtime[keyPath: path] = newValue }
    }
}

/// What a worker needs to process a space's `embed:N` jobs.
public struct KnowledgeWork: Sendable {
    /// From `KnowledgeBase.registerSpace`.
    public var space: Int32
    public var embedder: any Embedder
    public var splitter: RecursiveCharacterSplitter
    public var redactor = Redactor()

    public init(space: Int32, embedder: any Embedder, splitter: RecursiveCharacterSplitter) {
        self.space = space
        self.embedder = embedder
        self.splitter = splitter
    }
}
