import Foundation

/// The one error shape of CoachSpool (the database layer keeps `PGError`, its own shape, which
/// this wraps as `underlying`): a code a program can branch on and an operator can look up, a
/// message for people, and the context that locates the problem.
///
/// `description` names files, lines, fields, arguments and SQLSTATEs, never values: inputs are
/// coaching conversations, which are personal data. Messages are written that way too: "line 12:
/// feedback.rating: expected an integer from 1 to 5", not the offending value.
public struct CoachSpoolError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        /// The exit status of a command that ends with this error.
        public let exitStatus: Int32

        public init(_ name: String, exitStatus: Int32 = 1) {
            self.name = name
            self.exitStatus = exitStatus
        }

        public var description: String { name }

        /// Settings: environment variables, option files, a missing database URL.
        public static let configuration = Code("configuration")
        /// The database schema is missing, or a schema file is wrong.
        public static let schema = Code("schema")
        /// Input data that cannot be used (a bad line, an unknown kind, a record that is not there).
        public static let input = Code("input")
        /// A file or stream could not be read or written.
        public static let io = Code("io")
        /// A model or tokenizer file is missing or not what it should be.
        public static let model = Code("model")
        /// An embeddings endpoint refused or failed.
        public static let endpoint = Code("endpoint")
        /// Text that cannot be processed safely (redaction that cannot be vouched for).
        public static let processing = Code("processing")
        /// Too few examples for a dataset (export and train exit 4).
        public static let tooFewExamples = Code("too_few_examples", exitStatus: 4)
        /// The trainer's environment, the model folder or the export is missing or unusable (train exits 5).
        public static let unusable = Code("unusable", exitStatus: 5)
        /// Training failed or was interrupted (train exits 6).
        public static let trainingFailed = Code("training_failed", exitStatus: 6)
    }

    public var code: Code
    /// What went wrong and, where there is something to do, what to do. Never quotes data.
    public var message: String
    /// The file the problem is in (a path: never personal data in this system's layout).
    public var file: String?
    /// The 1-based line of `file`.
    public var line: Int?
    /// The SQLSTATE, when the database refused.
    public var sqlState: String?
    /// The error underneath (a `PGError`, a Foundation file error), described after the message.
    public var underlying: (any Error)?
    /// A retry may succeed (an endpoint's 429 or 5xx, a lost connection).
    public var isRetryable = false

    public init(
        _ code: Code, _ message: String, file: String? = nil, line: Int? = nil, sqlState: String? = nil,
        underlying: (any Error)? = nil, retryable: Bool = false
    ) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.sqlState = sqlState
        self.underlying = underlying
        self.isRetryable = retryable
    }

    public var description: String {
        var text = ""
        if let file { text += line.map { "\(file):\($0): " } ?? "\(file): " }
        text += message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let underlying { text += ": \(Self.describe(underlying))" }
        return text
    }

    public var debugDescription: String {
        var text = "\(code): \(description)"
        if let underlying { text += "\n  underlying: \(String(reflecting: underlying))" }
        return text
    }

    /// Foundation's errors print as `Error Domain=NSCocoaErrorDomain Code=4 …`: people get the
    /// localized reason instead.
    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        guard text.hasPrefix("Error Domain=") else { return text }
        return (error as NSError).localizedDescription
    }
}
