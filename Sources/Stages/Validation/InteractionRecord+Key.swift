import Crypto

extension InteractionRecord {
    /// The idempotency key: `id:<producer id>` when the producer gave one, else
    /// `h:<sha256 of session id, time and both texts>`, byte for byte what the SQL function
    /// `coachspool.interaction_key` computes (see schema/0001_spool.sql), so that an exchange
    /// logged by the app and backfilled from a file is stored once.
    public var idempotencyKey: String {
        if let producerID { return "id:" + producerID }
        // '<n>:<session>|<micros>|<n>:<user input>|<answer>', fed piecewise: no joined copy.
        var hasher = SHA256()
        let session = sessionID ?? ""
        hasher.feed("\(session.unicodeScalars.count):")
        hasher.feed(session)
        hasher.feed("|\(occurredAtMicros)|\(userInput.unicodeScalars.count):")
        hasher.feed(userInput)
        hasher.feed("|")
        hasher.feed(aiResponse)
        let digest = hasher.finalize()
        return String(unsafeUninitializedCapacity: 66) { buffer in
            buffer[0] = UInt8(ascii: "h")
            buffer[1] = UInt8(ascii: ":")
            var index = 2
            for byte in digest {
                buffer[index] = Hex.digits[Int(byte >> 4)]
                buffer[index + 1] = Hex.digits[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }
}

extension SHA256 {
    fileprivate mutating func feed(_ text: String) {
        var text = text
        text.withUTF8 { update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }
}
