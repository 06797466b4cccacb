import Crypto
import Foundation

/// The identity of an example's content for deduplication: SHA-256 over its messages with
/// the text normalised (Unicode NFC, lower case, runs of white space as one space, trimmed), so
/// that examples differing only in spacing or case count as the same.
public enum ContentFingerprint {
    /// Each role's name and the separator after it, made once.
    private static let systemBytes = Array("system".utf8) + [0x1F]
    private static let userBytes = Array("user".utf8) + [0x1F]
    private static let assistantBytes = Array("assistant".utf8) + [0x1F]

    /// The bytes hashed, per message: the role, 0x1F, the normalised text, 0x1F, the weight
    /// (2: none), 0x1E; gathered first and hashed in one call (each call into swift-crypto's
    /// digest costs a generic-metadata lookup).
    public static func of(_ messages: [ChatMessage]) -> [UInt8] {
        var preimage: [UInt8] = []
        preimage.reserveCapacity(messages.reduce(0) { $0 + $1.content.utf8.count + 16 })
        for message in messages {
            switch message.role {
            case .system: preimage.append(contentsOf: systemBytes)
            case .user: preimage.append(contentsOf: userBytes)
            case .assistant: preimage.append(contentsOf: assistantBytes)
            }
            preimage.append(contentsOf: normalisedUTF8(message.content))
            preimage.append(contentsOf: [0x1F, UInt8(message.weight ?? 2), 0x1E])
        }
        return Array(SHA256.hash(data: preimage))
    }

    public static func normalised(_ text: String) -> String {
        String(decoding: normalisedUTF8(text), as: UTF8.self)
    }

    /// The normalised text's UTF-8. Text made only of scalars below U+0300 (ASCII, Latin-1 and
    /// the Latin extensions: Swedish and English) takes a byte-level path, a sixth of the
    /// dataset workers' CPU before; anything else the general one. The two agree: such text is
    /// in NFC already (no combining marks, no composition pairs), each scalar is its own grapheme
    /// (but CR LF, both white space), and lower case is the per-scalar mapping that
    /// `String.lowercased()` applies (`ContentFingerprintTests` holds them together).
    static func normalisedUTF8(_ text: String) -> [UInt8] {
        var utf8 = text
        return utf8.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var space = false
            var i = 0
            while i < bytes.count {
                let lead = bytes[i]
                let value: UInt32
                if lead < 0x80 {
                    value = UInt32(lead)
                    i += 1
                } else if lead >= 0xC2, lead <= 0xCB, i + 1 < bytes.count {
                    // Two bytes, U+0080…U+02FF (the string's UTF-8 is valid: the next byte continues it).
                    value = UInt32(lead & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
                    i += 2
                } else {
                    return generalNormalised(text)  // U+0300 or above
                }
                switch value {
                case 0x09...0x0D, 0x20, 0x85, 0xA0:  // White_Space below U+0300
                    space = !out.isEmpty
                default:
                    if space {
                        out.append(0x20)
                        space = false
                    }
                    if value < 0x80 {
                        out.append(value >= 0x41 && value <= 0x5A ? UInt8(value + 0x20) : UInt8(value))
                    } else {
                        out.append(contentsOf: LatinLowercase.table[Int(value - 0x80)])
                    }
                }
            }
            return out
        }
    }

    static func generalNormalised(_ text: String) -> [UInt8] {
        let folded = text.precomposedStringWithCanonicalMapping.lowercased()
        return Array(folded.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").utf8)
    }
}

/// The lower-case UTF-8 of U+0080…U+02FF, computed once.
private enum LatinLowercase {
    static let table: [[UInt8]] = (UInt32(0x80)..<0x300).map { value in
        Unicode.Scalar(value).map { Array(String($0).lowercased().utf8) } ?? []
    }
}
