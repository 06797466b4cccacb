/// A row a stage derives, as it travels to PostgreSQL: a batch of rows is one JSON parameter,
/// unpacked by `jsonb_to_recordset($n::jsonb) AS x(<recordType>)`. Each column is declared once,
/// in `columns`: its name (the JSON key and the record's column), its SQL type and how its value
/// is written. The JSON and the SQL column list both come from that list, so they cannot
/// disagree; `JSONRowTests` holds the JSON to what `JSONEncoder` writes for the same struct, and
/// the worker tests run every record type against PostgreSQL.
public protocol DerivedRow: JSONRow {
    static var columns: [DerivedColumn<Self>] { get }
}

/// One column of a `DerivedRow`. Absent optionals are left out of the JSON (PostgreSQL reads
/// a missing key as NULL), as `JSONEncoder` leaves them out.
public struct DerivedColumn<Row> {
    public let name: String
    public let sqlType: String
    let write: (Row, inout JSONWriter) -> Void

    init(_ name: String, _ sqlType: String, _ write: @escaping (Row, inout JSONWriter) -> Void) {
        self.name = name
        self.sqlType = sqlType
        self.write = write
    }

    public static func bigint(_ name: String, _ value: @escaping (Row) -> Int64?) -> Self {
        Self(name, "bigint") { row, json in json.field(name, value(row)) }
    }

    public static func integer(_ name: String, _ value: @escaping (Row) -> Int?) -> Self {
        Self(name, "integer") { row, json in json.field(name, value(row)) }
    }

    public static func smallint(_ name: String, _ value: @escaping (Row) -> Int?) -> Self {
        Self(name, "smallint") { row, json in json.field(name, value(row)) }
    }

    public static func text(_ name: String, _ value: @escaping (Row) -> String?) -> Self {
        Self(name, "text") { row, json in json.field(name, value(row)) }
    }

    public static func boolean(_ name: String, _ value: @escaping (Row) -> Bool) -> Self {
        Self(name, "boolean") { row, json in json.field(name, value(row)) }
    }

    public static func textArray(_ name: String, _ value: @escaping (Row) -> [String]) -> Self {
        Self(name, "text[]") { row, json in json.field(name) { json in json.array(value(row)) { $0.string($1) } } }
    }

    public static func messages(_ name: String, _ value: @escaping (Row) -> [ChatMessage]) -> Self {
        Self(name, "jsonb") { row, json in json.field(name, value(row)) }
    }

    /// An object of counts, keys sorted (so equal rows are equal bytes).
    public static func counts(_ name: String, _ value: @escaping (Row) -> [String: Int]) -> Self {
        Self(name, "jsonb") { row, json in
            json.field(name) { json in
                json.object { json in
                    for (key, count) in value(row).sorted(by: { $0.key < $1.key }) { json.field(key, count) }
                }
            }
        }
    }
}

extension DerivedRow {
    /// The record's column definitions for `jsonb_to_recordset(…) AS x(…)`: `name type, …`.
    /// Static text from the declaration, never input: safe to splice into SQL.
    public static var recordType: String {
        columns.map { "\($0.name) \($0.sqlType)" }.joined(separator: ", ")
    }

    public func write(to json: inout JSONWriter) {
        Self.write(self, columns: Self.columns, to: &json)
    }

    static func write(_ row: Self, columns: [DerivedColumn<Self>], to json: inout JSONWriter) {
        json.object { json in
            for column in columns { column.write(row, &json) }
        }
    }

    /// `[row, row, …]`, with the column list built once per batch.
    public static func json(_ rows: [Self]) -> [UInt8] {
        let columns = Self.columns
        var json = JSONWriter()
        json.array(rows) { json, row in write(row, columns: columns, to: &json) }
        return json.bytes
    }
}
