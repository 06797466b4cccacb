import Foundation
import LibPQ

/// A value sent as one JSON text parameter (`\(try JSONText(rows))::jsonb`): how a batch of
/// derived rows travels in a single statement, unpacked server-side by `jsonb_to_recordset`.
public struct JSONText: PGEncodable {
    public let pgText: String

    /// Text that is already JSON (rows written by `JSONWriter`).
    public init(pgText: String) {
        self.pgText = pgText
    }

    public init(_ value: some Encodable) throws {
        pgText = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
