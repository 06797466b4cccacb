import CoachSpoolCore
/// A deterministic embedder without a model: feature hashing of lowercased words and word
/// bigrams (FNV-1a, a sign bit per feature) into `dimensions` buckets, L2-normalised. Texts that
/// share words get similar vectors; nothing is learned. For runs without the model file, tests
/// and load benchmarks (vectors are identical on every machine and in every process).
public struct HashingEmbedder: Embedder {
    public let identity: EmbedderIdentity

    public init(dimensions: Int = 384) throws {
        guard (1...16_000).contains(dimensions) else {
            throw CoachSpoolError.invalidConfiguration("hash embedder dimensions must be in 1...16000, not \(dimensions)")
        }
        identity = EmbedderIdentity(kind: "hash", model: "fnv1a-words-bigrams-v1", dimensions: dimensions)
    }

    public func embed(_ texts: [String]) -> [Embedding] {
        texts.map(embed)
    }

    public func embed(_ text: String) -> Embedding {
        var vector = [Float](repeating: 0, count: identity.dimensions)
        let words = Self.words(of: text)
        func add(_ hash: UInt64, weight: Float) {
            let bucket = Int(hash % UInt64(identity.dimensions))
            vector[bucket] += (hash >> 63) == 0 ? weight : -weight
        }
        for (index, word) in words.enumerated() {
            add(Self.fnv1a(word), weight: 1)
            if index > 0 { add(Self.fnv1a(words[index - 1] + [0x20] + word), weight: 0.5) }
        }
        if words.isEmpty { add(Self.fnv1a([]), weight: 1) }  // a unit vector, never all zeros
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { vector = vector.map { $0 / norm } } else { vector[0] = 1 }
        return Embedding(vector: vector, tokens: words.count)
    }

    /// Runs of letters and digits, lowercased (Unicode-aware), as UTF-8.
    static func words(of text: String) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.unicodeScalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else if !current.isEmpty {
                words.append(Array(current.utf8))
                current = ""
            }
        }
        if !current.isEmpty { words.append(Array(current.utf8)) }
        return words
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}
