import Foundation

/// A pgvector `vector` in its text form, `[0.1,0.2,…]` (parameters; `PGCopyBinaryWriter.writeVector`
/// writes the binary form for COPY).
public struct PGVector: PGEncodable, PGDecodable, Equatable {
    public var values: [Float]

    public init(_ values: [Float]) { self.values = values }

    public var pgText: String { "[" + values.map(\.description).joined(separator: ",") + "]" }

    public init?(pgText: String) {
        guard pgText.hasPrefix("["), pgText.hasSuffix("]") else { return nil }
        let body = pgText.dropFirst().dropLast()
        var values: [Float] = []
        for item in body.split(separator: ",") {
            guard let value = Float(item.trimmingCharacters(in: .whitespaces)) else { return nil }
            values.append(value)
        }
        self.values = values
    }
}
