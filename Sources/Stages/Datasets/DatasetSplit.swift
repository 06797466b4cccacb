import Crypto

/// The deterministic train/validation split: by conversation, from a hash of the seed and the
/// conversation's key, so that a conversation never straddles the two files and a rerun (on any
/// database holding the same conversations) splits the same way.
public struct DatasetSplit: Sendable {
    public enum Part: String, Sendable, CaseIterable { case train, validation }

    public var validationFraction: Double
    public var seed: String

    /// The share of conversations held out, for `export` and `train` alike: a fifth, since the
    /// held-out conversations are what a trained model is measured on (`eval answers`), and a
    /// tenth of a small dataset leaves too few questions to tell anything apart.
    public static let defaultValidationFraction = 0.2

    public init(validationFraction: Double, seed: String) {
        self.validationFraction = validationFraction
        self.seed = seed
    }

    public func part(forConversation key: String) -> Part {
        let digest = SHA256.hash(data: Array((seed + "\u{1F}" + key).utf8))
        let value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        // The top 53 bits as a fraction in [0, 1), exactly representable as a Double.
        return Double(value >> 11) / Double(UInt64(1) << 53) < validationFraction ? .validation : .train
    }
}
