import Foundation

/// The limit of every field a producer or a client sends, enforced before anything reaches the
/// database: by ingest (`line N: field: …`), by the HTTP API (400 naming the field) and, with
/// the same numbers, by the SQL functions an app calls directly (SQLSTATE 22023).
/// docs/operations.md lists them; `SQLInputLimitsTests` holds the SQL functions to these numbers.
///
/// Sizes are UTF-8 bytes, which is what PostgreSQL stores and indexes (a B-tree entry holds at
/// most ~2,700 bytes, which is why identifiers are short). No text may hold U+0000: PostgreSQL
/// cannot store it, and libpq would silently cut the value there.
public enum InputLimits {
    /// `id`, `session_id`, `user_id`: an interaction's, a session's, a user's identifier.
    public static let identifier = TextLimit(maxBytes: 256)
    /// `language`: a BCP 47 tag (`sv`, `en-GB`): letters, digits, `-` and `_`.
    public static let language = TextLimit(maxBytes: 35, charset: .languageTag)
    /// `user_input`, `ai_response`, a session turn's `content`: one message.
    public static let message = TextLimit(maxBytes: 256 << 10)
    /// A knowledge document's `id` and `source` (a relative path for files).
    public static let documentID = TextLimit(maxBytes: 1_024)
    /// A knowledge document's `title`.
    public static let title = TextLimit(maxBytes: 1_024)
    /// A knowledge document's `text`.
    public static let documentText = TextLimit(maxBytes: 16 << 20)
    /// A search query, a RAG question, a recall query.
    public static let query = TextLimit(maxBytes: 4_096)
    /// A reviewer's corrected answer (`coachspool.review_decide`'s `p_corrected_answer`).
    public static let correctedAnswer = TextLimit(maxBytes: 32 << 10)
    /// A reviewer's reason for a decision.
    public static let reviewReason = TextLimit(maxBytes: 1_000)
    /// One line of a JSON Lines input (a session with many long turns fits; a file without
    /// newlines does not make ingest hold it whole).
    public static let lineBytes = 64 << 20
    /// `occurred_at` of `/v1/interactions`: an ISO 8601 time (`2025-10-01T08:00:00.123456+02:00`).
    public static let timestamp = TextLimit(maxBytes: 64)
    /// `turn_index`.
    public static let turnIndex: ClosedRange<Int> = 0...1_000_000
    /// `/v1/embeddings`: texts per request, bytes per text, and the model's tokens per request
    /// (after each text's truncation to the model's window): the work one request may ask for.
    public static let embeddingTexts = 2_048
    public static let embeddingText = TextLimit(maxBytes: 256 << 10)
    public static let embeddingTokensPerRequest = 32_768
}

/// A text field's limit: at most `maxBytes` of UTF-8, no U+0000, and optionally a character set.
public struct TextLimit: Sendable, Equatable {
    public enum Charset: Sendable, Equatable {
        case any
        /// A letter first, then letters, digits, `-` or `_` (ASCII).
        case languageTag
    }

    public let maxBytes: Int
    public let charset: Charset

    public init(maxBytes: Int, charset: Charset = .any) {
        self.maxBytes = maxBytes
        self.charset = charset
    }

    /// What is wrong with `value`, as the second half of `field: …`; nil when it is acceptable.
    /// Never quotes the value: it may be personal data, and it may be megabytes.
    public func problem(_ value: String) -> String? {
        var value = value
        return value.withUTF8 { problem(utf8: $0) }
    }

    public func problem(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if bytes.count > maxBytes { return "longer than \(Self.describe(maxBytes)) (UTF-8), the limit for this field" }
        if let base = bytes.baseAddress, memchr(base, 0, bytes.count) != nil {
            return "contains a NUL character (U+0000), which cannot be stored"
        }
        switch charset {
        case .any:
            return nil
        case .languageTag:
            guard let first = bytes.first, Self.isLetter(first),
                  bytes.allSatisfy({ Self.isLetter($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F })
            else { return "expected a language tag such as sv or en-GB (letters, digits, - or _)" }
            return nil
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }

    /// 256 bytes, 4 KiB, 16 MiB.
    public static func describe(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
