import Crypto
import Foundation

/// Who decided or acted, pseudonymously: the kind of credential and the first 12 hex digits of
/// its SHA-256 (`reviewer:3fa1…`, `api:…`), or an id an app or the CLI chooses. Stored in
/// `reviews.reviewer` and `audit_log.actor`; never a name, never the token.
public struct ReviewerID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    /// An id of 1 to 64 letters, digits or `:._-` (the database's check).
    public init?(_ value: String) {
        guard (1...64).contains(value.utf8.count),
              value.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || ":._-".unicodeScalars.contains($0)) })
        else { return nil }
        rawValue = value
    }

    /// The kind of a credential: an API token may do everything, a reviewer token only review.
    public enum Kind: String, Sendable { case api, reviewer, cli }

    /// The pseudonymous id of a token.
    public init(token: some StringProtocol, kind: Kind) {
        rawValue = kind.rawValue + ":" + SHA256.hash(data: Data(token.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    public var description: String { rawValue }
}
