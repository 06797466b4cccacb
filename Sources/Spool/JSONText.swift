import Foundation
import LibPQ
import Stages

/// A value sent as one JSON text parameter (`\(try JSONText(rows))::jsonb`): how a batch of
/// derived rows travels in a single statement, unpacked server-side by `jsonb_to_recordset`.
public struct JSONText: PGEncodable {
    public let pgText: String

    public init(_ value: some Encodable) throws {
        pgText = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    /// The hot path: rows that write themselves (`JSONWriter`), without `JSONEncoder`.
    public init(rows: [some JSONRow]) {
        pgText = String(decoding: JSONWriter.rows(rows), as: UTF8.self)
    }

    /// Derived rows, their column list built once for the batch.
    public init<Row: DerivedRow>(rows: [Row]) {
        pgText = String(decoding: Row.json(rows), as: UTF8.self)
    }
}
