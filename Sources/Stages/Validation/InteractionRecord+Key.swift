import Crypto

extension InteractionRecord {
    /// The idempotency key: `id:<producer id>` when the producer gave one, else
    /// `h:<sha256 of session id, time and both texts>`, byte for byte what the SQL function
    /// `coachspool.interaction_key` computes (see schema/0001_spool.sql), so that an exchange
    /// logged by the app and backfilled from a file is stored once.
    public var idempotencyKey: String {
        if let producerID { return "id:" + producerID }
        // '<n>:<session>|<micros>|<n>:<user input>|<answer>' (n: Unicode scalars), hashed in one
        // call: each call into swift-crypto's digest costs a generic-metadata lookup, which was a
        // fifth of the key's time when the pieces were fed one by one.
        let session = sessionID ?? ""
        var preimage: [UInt8] = []
        preimage.reserveCapacity(session.utf8.count + userInput.utf8.count + aiResponse.utf8.count + 48)
        preimage.appendDecimal(session.scalarCount)
        preimage.append(UInt8(ascii: ":"))
        preimage.append(contentsOf: session.utf8)
        preimage.append(UInt8(ascii: "|"))
        preimage.appendDecimal(occurredAtMicros)
        preimage.append(UInt8(ascii: "|"))
        preimage.appendDecimal(userInput.scalarCount)
        preimage.append(UInt8(ascii: ":"))
        preimage.append(contentsOf: userInput.utf8)
        preimage.append(UInt8(ascii: "|"))
        preimage.append(contentsOf: aiResponse.utf8)
        let digest = SHA256.hash(data: preimage)
        return "h:" + digest.hexString
    }
}

extension String {
    /// The number of Unicode scalars (`UTF8Text.scalarCount` over the string's own bytes).
    fileprivate var scalarCount: Int {
        var text = self
        return text.withUTF8 { UTF8Text.scalarCount($0, 0..<$0.count) }
    }
}
