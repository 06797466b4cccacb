import CLibPQ

/// The rows of a finished statement, copied out of libpq's `PGresult` so that they can
/// cross threads and outlive it.
public struct PGRows: Sendable, RandomAccessCollection {
    public let columns: [String]
    let cells: [String?]
    /// Rows affected, for INSERT/UPDATE/DELETE/COPY (`PQcmdTuples`).
    public let affectedRows: Int
    let query: String

    public var startIndex: Int { 0 }
    public var endIndex: Int { columns.isEmpty ? 0 : cells.count / columns.count }

    public subscript(position: Int) -> PGRow {
        PGRow(rows: self, offset: position * columns.count)
    }

    init(empty query: String) {
        columns = []
        cells = []
        affectedRows = 0
        self.query = query
    }

    init(result: OpaquePointer, query: String) {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var names: [String] = []
        names.reserveCapacity(columnCount)
        for c in 0..<columnCount { names.append(PQfname(result, Int32(c)).map { String(cString: $0) } ?? "?column?") }
        var cells: [String?] = []
        cells.reserveCapacity(rowCount * columnCount)
        for r in 0..<rowCount {
            for c in 0..<columnCount {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    cells.append(nil)
                } else {
                    cells.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
        }
        self.columns = names
        self.cells = cells
        self.affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
        self.query = query
    }

    /// The single value of a one-row, one-column result (`select count(*) …`).
    public func scalar<T: PGDecodable>(_ type: T.Type = T.self) throws(PGError) -> T {
        guard let row = first else {
            throw PGError(code: .decoding, message: "expected one row, got none", query: query)
        }
        return try row.decode(T.self, at: 0)
    }
}

/// One row; columns are read by position or name and decoded into typed values.
public struct PGRow: Sendable {
    let rows: PGRows
    let offset: Int

    public func decode<T: PGDecodable>(_ type: T.Type = T.self, at column: Int) throws(PGError) -> T {
        guard let value = try decode(T?.self, at: column) else {
            throw PGError(
                code: .decoding, message: "column \(rows.columns[column]) is NULL, expected \(T.self)",
                query: rows.query)
        }
        return value
    }

    public func decode<T: PGDecodable>(_ type: T?.Type = T?.self, at column: Int) throws(PGError) -> T? {
        guard column < rows.columns.count else {
            throw PGError(code: .decoding, message: "no column \(column) in result", query: rows.query)
        }
        guard let text = rows.cells[offset + column] else { return nil }
        guard let value = T(pgText: text) else {
            throw PGError(
                code: .decoding, message: "column \(rows.columns[column]) is not a valid \(T.self)",
                query: rows.query)
        }
        return value
    }

    public func decode<T: PGDecodable>(_ type: T.Type = T.self, named name: String) throws(PGError) -> T {
        try decode(T.self, at: index(of: name))
    }

    public func decode<T: PGDecodable>(_ type: T?.Type = T?.self, named name: String) throws(PGError) -> T? {
        try decode(T?.self, at: index(of: name))
    }

    private func index(of name: String) throws(PGError) -> Int {
        guard let index = rows.columns.firstIndex(of: name) else {
            throw PGError(code: .decoding, message: "no column named \(name) in result", query: rows.query)
        }
        return index
    }
}
