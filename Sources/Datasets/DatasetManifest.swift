import CoachSpoolCore
import Foundation

/// `manifest.json` of an export folder: written by `DatasetExport`, read back by `train` (the
/// run's lineage) and by anyone's tools, through this one type. Absent values are written as
/// `null` where the file has always had the key (filters, time range).
///
/// Decoding is lenient only where older exports differ: `interactions` and `not_exported`
/// arrived with issue 27 and are optional.
public struct DatasetManifest: Codable, Sendable, Equatable {
    public var format: String
    public var pipelineVersion: String
    public var filters: Filters
    public var split: Split
    /// By file name (`train.jsonl`, `validation.jsonl`).
    public var files: [String: File]
    public var examples: Int
    public var conversations: Int
    public var examplesByMode: [String: Int]
    /// Examples made from reviewers' corrections (issue 30; absent in older manifests).
    public var fromCorrections: Int?
    public var excluded: ReasonCounts
    public var interactions: Interactions?
    public var notExported: NotExported?
    public var tokens: Tokens
    public var costEstimate: CostEstimate
    public var dataTimeRange: TimeRange

    // Explicit keys, not a snake-case strategy: that would also rewrite dictionary keys (the
    // reasons, the modes) on the way back in.
    enum CodingKeys: String, CodingKey {
        case format, filters, split, files, examples, conversations, excluded, interactions, tokens
        case pipelineVersion = "pipeline_version", examplesByMode = "examples_by_mode", notExported = "not_exported"
        case fromCorrections = "examples_from_corrections"
        case costEstimate = "cost_estimate", dataTimeRange = "data_time_range"
    }

    public struct Filters: Codable, Sendable, Equatable {
        public var mode: String?
        public var since: String?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(mode, forKey: .mode)  // null when absent: the key is always there
            try container.encode(since, forKey: .since)
        }
    }

    public struct Split: Codable, Sendable, Equatable {
        public var by: String
        public var validationFraction: Double
        public var seed: String

        enum CodingKeys: String, CodingKey {
            case by, seed, validationFraction = "validation_fraction"
        }
    }

    public struct File: Codable, Sendable, Equatable {
        public var examples: Int
        public var conversations: Int
        public var tokens: Int
        public var sha256: String
    }

    /// A count with its split by reason (`excluded`, `not_exported.quality_filter`); one thing
    /// with several reasons counts under each.
    public struct ReasonCounts: Codable, Sendable, Equatable {
        public var total: Int
        public var byReason: [String: Int]

        enum CodingKeys: String, CodingKey {
            case total, byReason = "by_reason"
        }
    }

    /// Interactions, not examples: `exported + not_exported.total = ingested`.
    public struct Interactions: Codable, Sendable, Equatable {
        public var ingested: Int
        public var exported: Int
    }

    /// `ExportAccounting`'s buckets: every one but `exported` by its name, the two job states
    /// under `waiting_for_workers`, the quality filter with its reasons.
    public struct NotExported: Codable, Sendable, Equatable {
        public var total: Int
        public var noUserId: Int
        public var noTrainingConsent: Int
        public var waitingForWorkers: Waiting
        public var failed: Int
        public var notProcessed: Int
        public var qualityFilter: ReasonCounts
        /// Issue 30; absent in older manifests.
        public var rejectedByReviewer: Int?
        public var notBuilt: Int
        public var outsideFilters: Int
        public var excludedByExport: Int
        public var noExampleInFormat: Int

        enum CodingKeys: String, CodingKey {
            case total, failed
            case noUserId = "no_user_id", noTrainingConsent = "no_training_consent", waitingForWorkers = "waiting_for_workers"
            case notProcessed = "not_processed", qualityFilter = "quality_filter", notBuilt = "not_built"
            case rejectedByReviewer = "rejected_by_reviewer"
            case outsideFilters = "outside_filters", excludedByExport = "excluded_by_export", noExampleInFormat = "no_example_in_format"
        }

        public struct Waiting: Codable, Sendable, Equatable {
            public var total: Int
            public var ready: Int
            public var running: Int
        }
    }

    public struct Tokens: Codable, Sendable, Equatable {
        public var total: Int
        public var limit: Int
        public var overLimit: Int
        public var counting: String
        public var min: Int?
        public var median: Int?
        public var p95: Int?
        public var max: Int?

        enum CodingKeys: String, CodingKey {
            case total, limit, counting, min, median, p95, max, overLimit = "over_limit"
        }
    }

    public struct CostEstimate: Codable, Sendable, Equatable {
        public var trainingTokens: Int
        public var epochs: Int
        public var usdPer1kTokens: Double
        public var billedTokens: Int
        public var usd: Double

        enum CodingKeys: String, CodingKey {
            case epochs, usd
            case trainingTokens = "training_tokens", usdPer1kTokens = "usd_per_1k_tokens", billedTokens = "billed_tokens"
        }
    }

    public struct TimeRange: Codable, Sendable, Equatable {
        public var first: String?
        public var last: String?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(first, forKey: .first)
            try container.encode(last, forKey: .last)
        }
    }

    /// The file's bytes: sorted keys, two-space indentation, a final newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    public static let fileName = "manifest.json"

    /// Which key was wrong, without quoting the file.
    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing \((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case .dataCorrupted?:
            return "not JSON"
        default:
            return "unreadable"
        }
    }
}

// In an extension, so that the struct keeps its memberwise initializer (what export builds it with).
extension DatasetManifest {
    /// Reads the manifest in `directory`; an error names the file.
    public init(directory: URL) throws {
        let file = directory.appendingPathComponent(Self.fileName)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw CoachSpoolError(.unusable, "is missing: not an export folder", file: file.path)
        }
        try self.init(data: data, file: file.path)
    }

    public init(data: Data, file: String) throws {
        let decoder = JSONDecoder()
        do {
            self = try decoder.decode(Self.self, from: data)
        } catch {
            throw CoachSpoolError(.unusable, "is not an export manifest (\(Self.describe(error)))", file: file)
        }
    }
}
