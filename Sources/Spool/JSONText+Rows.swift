import Queue
import Stages

/// Rows that write themselves (`JSONWriter`, `Stages`) as one JSON parameter.
extension JSONText {
    /// The hot path: rows that write themselves (`JSONWriter`), without `JSONEncoder`.
    public init(rows: [some JSONRow]) {
        self.init(pgText: String(decoding: JSONWriter.rows(rows), as: UTF8.self))
    }

    /// Derived rows, their column list built once for the batch.
    public init<Row: DerivedRow>(rows: [Row]) {
        self.init(pgText: String(decoding: Row.json(rows), as: UTF8.self))
    }
}
