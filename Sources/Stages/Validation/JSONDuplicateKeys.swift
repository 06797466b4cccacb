import Foundation

/// Finds a key that appears twice in one JSON object. Parsers disagree on such input (Foundation
/// keeps the first, Python and OpenAI's servers the last), so a request that has one is refused
/// rather than read one way here and another way by whoever logged it.
///
/// Run it on text a JSON parser has accepted: it only tracks strings and nesting, and returns nil
/// on anything it does not understand.
public enum JSONDuplicateKeys {
    /// The repeated key's dotted path (`feedback.rating`), at most 100 bytes; nil if none.
    /// Each open object keeps only its own keys (the path is built when a repeat is found), so
    /// memory stays proportional to the input whatever its nesting.
    public static func first(in bytes: UnsafeBufferPointer<UInt8>) -> String? {
        struct Frame {
            var isObject: Bool
            var keys: Set<String> = []
            var expectingKey = false
            var lastKey: String?
        }
        var stack: [Frame] = []
        var i = 0
        func path() -> String {
            let keys = stack.compactMap { $0.isObject ? $0.lastKey : nil }
            return capped(keys.joined(separator: "."))
        }
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = byte == UInt8(ascii: "{")
                stack.append(Frame(isObject: isObject, expectingKey: isObject))
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard !stack.isEmpty else { return nil }
                stack.removeLast()
                i += 1
            case UInt8(ascii: ","):
                if let top = stack.last, top.isObject { stack[stack.count - 1].expectingKey = true }
                i += 1
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                var escaped = false
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") {
                        escaped = true
                        i += 1
                    }
                    i += 1
                }
                guard i < bytes.count else { return nil }
                i += 1
                guard let top = stack.last, top.isObject, top.expectingKey else { continue }
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<i])
                let key: String?
                if escaped {
                    key = try? JSONDecoder().decode(String.self, from: Data(buffer: raw))
                } else {
                    key = String(decoding: UnsafeBufferPointer(rebasing: raw.dropFirst().dropLast()), as: UTF8.self)
                }
                guard let key else { return nil }
                stack[stack.count - 1].expectingKey = false
                if !stack[stack.count - 1].keys.insert(key).inserted {
                    stack[stack.count - 1].lastKey = key
                    return path()
                }
                stack[stack.count - 1].lastKey = key
            default:
                i += 1
            }
        }
        return nil
    }

    /// At most 100 bytes, cut at a scalar boundary, without control characters: the path is
    /// quoted back to the client and into rejects files.
    static func capped(_ path: String) -> String {
        var out = String.UnicodeScalarView()
        var bytes = 0
        for scalar in path.unicodeScalars where !(scalar.value < 0x20 || scalar.value == 0x7F) {
            bytes += String(scalar).utf8.count
            guard bytes <= 100 else { break }
            out.append(scalar)
        }
        return String(out)
    }

    public static func first(in data: some Collection<UInt8>) -> String? {
        if let found = data.withContiguousStorageIfAvailable({ first(in: $0) }) { return found }
        return Array(data).withUnsafeBufferPointer { first(in: $0) }
    }
}
