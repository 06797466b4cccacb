import CLibPQ

extension PGConnection {
    /// Streams the rows of `query` in pages of `pageSize` through a server-side cursor, inside
    /// a read-only REPEATABLE READ transaction: one consistent snapshot, and memory bounded by
    /// one page however many rows there are. `body` gets each page in order; `afterLastPage`, if
    /// given, runs after the last one, still in that snapshot (for figures that must agree with
    /// the rows read).
    public func forEachPage(
        of query: PGQuery, pageSize: Int = 2000, afterLastPage: ((PGConnection) throws -> Void)? = nil,
        _ body: (PGRows) throws -> Void
    ) throws {
        try execute(unsafeSQL: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            // DECLARE cannot be a prepared statement: sent once with its parameters.
            let declare = "DECLARE coachspool_pages NO SCROLL CURSOR FOR " + query.sql
            let result = withCStrings(query.binds) { values in
                PQexecParams(handle, declare, Int32(values.count), nil, values, nil, nil, 0)
            }
            _ = try consume(result, sql: declare)
            while true {
                let page = try self.query(PGQuery(unsafeSQL: "FETCH \(max(1, pageSize)) FROM coachspool_pages"))
                if page.count == 0 { break }
                try body(page)
            }
            try afterLastPage?(self)
            try execute(unsafeSQL: "COMMIT")
        } catch {
            if isHealthy { try? execute(unsafeSQL: "ROLLBACK") }
            throw error
        }
    }
}
