import Crypto
import Foundation

/// The identity of an example's content for deduplication: SHA-256 over its messages with
/// the text normalised (Unicode NFC, lower case, runs of white space as one space, trimmed), so
/// that examples differing only in spacing or case count as the same.
public enum ContentFingerprint {
    public static func of(_ messages: [ChatMessage]) -> [UInt8] {
        var hasher = SHA256()
        for message in messages {
            hasher.update(data: Array(message.role.rawValue.utf8))
            hasher.update(data: [0x1F])
            hasher.update(data: Array(normalised(message.content).utf8))
            hasher.update(data: [0x1F, UInt8(message.weight ?? 2), 0x1E])
        }
        return Array(hasher.finalize())
    }

    public static func normalised(_ text: String) -> String {
        let folded = text.precomposedStringWithCanonicalMapping.lowercased()
        return folded.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
