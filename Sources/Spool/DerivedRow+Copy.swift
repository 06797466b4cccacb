import CoachSpoolCore
import LibPQ
import Stages

/// Derived rows written by binary `COPY` instead of one JSON parameter: for rows inserted as they
/// are, with no `ON CONFLICT` and no join (the rebuild's examples, DPO pairs and KTO examples,
/// after it deleted their conversations' old rows under the conversations' locks). The server
/// reads the fields as they are instead of parsing a JSON array and each object in it: 90,000
/// examples took 1.7–2.0 s by copy against 2.9–3.0 s through `jsonb_to_recordset`
/// (docs/benchmarks.md, "Issue 28, sixth pass"). The columns are the row type's declaration,
/// the same one the JSON is made from.
extension DerivedRow {
    /// `COPY coachspool.<table> (<fixed columns>, <declared columns>) FROM STDIN (FORMAT binary)`.
    /// `fixed`: columns with one text value for every row (a version), first. `table` and the
    /// column names are static text from the code, never input.
    public static func copy(_ rows: [Self], into table: StaticString, fixed: [(column: StaticString, value: String)] = [],
                            on conn: PGConnection) throws {
        guard !rows.isEmpty else { return }
        let columns = Self.columns
        var copy = PGCopyBinaryWriter(fieldsPerRow: fixed.count + columns.count, reservingCapacity: rows.count * 512)
        for row in rows {
            copy.startRow()
            for field in fixed { copy.write(field.value) }
            for column in columns { try copy.write(column.value(row), column: column.name) }
        }
        let names = (fixed.map { "\($0.column)" } + columns.map(\.name)).joined(separator: ", ")
        try conn.copyIn(PGQuery(unsafeSQL: "COPY coachspool.\(table) (\(names)) FROM STDIN (FORMAT binary)"), payload: copy.finish())
    }
}

extension PGCopyBinaryWriter {
    /// One field in the binary form of the column's SQL type (`DerivedColumn.sqlType`); a value
    /// out of its type's range is an error naming the column, as the JSON path's cast would be.
    mutating func write(_ value: DerivedValue, column: String) throws {
        switch value {
        case .bigint(let number): write(number)
        case .integer(let number):
            guard let number else { return writeNull() }
            guard let exact = Int32(exactly: number) else { throw Self.outOfRange(column, "integer") }
            write(exact)
        case .smallint(let number):
            guard let number else { return writeNull() }
            guard let exact = Int16(exactly: number) else { throw Self.outOfRange(column, "smallint") }
            write(exact)
        case .text(let text): write(text)
        case .hexBytes(let hex):
            guard let bytes = [UInt8](hexadecimal: hex) else {
                throw CoachSpoolError(.processing, "derived row: \(column): not hexadecimal")
            }
            write(bytes: bytes)
        case .boolean(let flag): write(flag)
        case .textArray(let texts): write(bytes: Self.textArray(texts))
        case .messages, .counts:
            // jsonb's binary input: a version byte (1), then the JSON text.
            var json = JSONWriter()
            value.write(to: &json)
            write(bytes: [1] + json.bytes)
        }
    }

    private static func outOfRange(_ column: String, _ type: String) -> CoachSpoolError {
        CoachSpoolError(.processing, "derived row: \(column): out of range for \(type)")
    }

    /// `text[]` in array_send's layout: dimensions, has-nulls flag, element type (text, oid 25),
    /// then the length and lower bound of the one dimension and each element length-prefixed.
    /// An empty array has no dimensions.
    static func textArray(_ texts: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        func append(_ value: Int32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        append(texts.isEmpty ? 0 : 1)
        append(0)
        append(25)
        guard !texts.isEmpty else { return bytes }
        append(Int32(texts.count))
        append(1)
        for text in texts {
            append(Int32(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }
        return bytes
    }
}
