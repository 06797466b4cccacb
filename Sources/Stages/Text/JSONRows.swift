/// A row written as one JSON object by `JSONWriter`: the rows workers send to the database in
/// bulk (one `jsonb_to_recordset` parameter per batch), where Foundation's `JSONEncoder` was a
/// third of the dataset workers' CPU. Keys and left-out optionals are those of the rows'
/// `Encodable` conformances; `JSONRowTests` holds the two together.
public protocol JSONRow {
    func write(to json: inout JSONWriter)
}

extension JSONWriter {
    /// `[row, row, …]`
    public static func rows(_ rows: [some JSONRow]) -> [UInt8] {
        var json = JSONWriter()
        json.array(rows) { json, row in row.write(to: &json) }
        return json.bytes
    }

    /// Optionals are left out when absent, as `JSONEncoder` leaves them out.
    mutating func field(_ name: String, _ text: String?) {
        if let text { field(name) { $0.string(text) } }
    }

    mutating func field(_ name: String, _ number: (some BinaryInteger)?) {
        if let number { field(name) { $0.integer(number) } }
    }

    mutating func field(_ name: String, _ flag: Bool) {
        field(name) { $0.bool(flag) }
    }

    mutating func field(_ name: String, _ messages: [ChatMessage]) {
        field(name) { json in json.array(messages) { json, message in message.write(to: &json) } }
    }
}

extension ChatMessage: JSONRow {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("role", role.rawValue)
            json.field("content", content)
            json.field("weight", weight)
        }
    }
}
