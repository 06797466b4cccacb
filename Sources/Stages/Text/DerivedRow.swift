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
    /// The row's value in this column, typed: written as JSON here, and as a binary `COPY`
    /// field by the database layer (`DerivedRow.copy` in Spool), from this one declaration.
    public let value: (Row) -> DerivedValue

    init(_ name: String, _ sqlType: String, _ value: @escaping (Row) -> DerivedValue) {
        self.name = name
        self.sqlType = sqlType
        self.value = value
    }

    public static func bigint(_ name: String, _ value: @escaping (Row) -> Int64?) -> Self {
        Self(name, "bigint") { .bigint(value($0)) }
    }

    public static func integer(_ name: String, _ value: @escaping (Row) -> Int?) -> Self {
        Self(name, "integer") { .integer(value($0)) }
    }

    public static func smallint(_ name: String, _ value: @escaping (Row) -> Int?) -> Self {
        Self(name, "smallint") { .smallint(value($0)) }
    }

    public static func text(_ name: String, _ value: @escaping (Row) -> String?) -> Self {
        Self(name, "text") { .text(value($0)) }
    }

    /// Bytes held as lowercase hex: text in the JSON (the statement decodes it), `bytea` in a copy.
    public static func hexBytes(_ name: String, _ value: @escaping (Row) -> String) -> Self {
        Self(name, "text") { .hexBytes(value($0)) }
    }

    public static func boolean(_ name: String, _ value: @escaping (Row) -> Bool) -> Self {
        Self(name, "boolean") { .boolean(value($0)) }
    }

    public static func textArray(_ name: String, _ value: @escaping (Row) -> [String]) -> Self {
        Self(name, "text[]") { .textArray(value($0)) }
    }

    public static func messages(_ name: String, _ value: @escaping (Row) -> [ChatMessage]) -> Self {
        Self(name, "jsonb") { .messages(value($0)) }
    }

    /// An object of counts, keys sorted (so equal rows are equal bytes).
    public static func counts(_ name: String, _ value: @escaping (Row) -> [String: Int]) -> Self {
        Self(name, "jsonb") { .counts(value($0)) }
    }

    /// `"name": value`, left out when the value is absent.
    func write(_ row: Row, to json: inout JSONWriter) {
        let value = value(row)
        if !value.isAbsent { json.field(name) { value.write(to: &$0) } }
    }
}

/// A value of a `DerivedColumn`, by the SQL type it is stored as.
public enum DerivedValue {
    case bigint(Int64?)
    case integer(Int?)
    case smallint(Int?)
    case text(String?)
    case hexBytes(String)
    case boolean(Bool)
    case textArray([String])
    case messages([ChatMessage])
    case counts([String: Int])

    /// A NULL: left out of the JSON (PostgreSQL reads a missing key as NULL).
    var isAbsent: Bool {
        switch self {
        case .bigint(nil), .integer(nil), .smallint(nil), .text(nil): true
        default: false
        }
    }

    /// The value as JSON (the one encoding: a row's JSON field, and a `jsonb` column's text in a
    /// copy); `null` when absent (a row leaves the field out instead).
    public func write(to json: inout JSONWriter) {
        switch self {
        case .bigint(let number): if let number { json.integer(number) } else { json.null() }
        case .integer(let number), .smallint(let number): if let number { json.integer(number) } else { json.null() }
        case .text(let text): if let text { json.string(text) } else { json.null() }
        case .hexBytes(let hex): json.string(hex)
        case .boolean(let flag): json.bool(flag)
        case .textArray(let texts): json.array(texts) { $0.string($1) }
        case .messages(let messages): json.array(messages) { json, message in message.write(to: &json) }
        case .counts(let counts):
            // Keys sorted, so equal rows are equal bytes.
            json.object { json in
                for (key, count) in counts.sorted(by: { $0.key < $1.key }) { json.field(key, count) }
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
            for column in columns { column.write(row, to: &json) }
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
