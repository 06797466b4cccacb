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
        var inFlight = false
        do {
            // DECLARE cannot be a prepared statement: sent once with its parameters.
            let declare = "DECLARE coachspool_pages NO SCROLL CURSOR FOR " + query.sql
            let result = withCStrings(query.binds) { values in
                PQexecParams(handle, declare, Int32(values.count), nil, values, nil, nil, 0)
            }
            _ = try consume(result, sql: declare)
            // The next page is asked for before this one goes to `body`, so that the server reads
            // it while the client works on this one (an export was one core busy at a time: the
            // client waiting for a page, then the server for the next FETCH).
            let fetch = "FETCH \(max(1, pageSize)) FROM coachspool_pages"
            try sendFetch(fetch, inFlight: &inFlight)
            while true {
                let page = try receiveFetch(fetch, inFlight: &inFlight)
                if page.count == 0 { break }
                try sendFetch(fetch, inFlight: &inFlight)
                try body(page)
            }
            try afterLastPage?(self)
            try execute(unsafeSQL: "COMMIT")
        } catch {
            if inFlight { while let result = PQgetResult(handle) { PQclear(result) } }
            if isHealthy { try? execute(unsafeSQL: "ROLLBACK") }
            throw error
        }
    }

    private func sendFetch(_ fetch: String, inFlight: inout Bool) throws(PGError) {
        guard PQsendQuery(handle, fetch) == 1 else { throw lastError(code: .connectionLost, sql: fetch) }
        inFlight = true
    }

    /// The result of the FETCH in flight (its trailing results read, so the connection is free).
    private func receiveFetch(_ fetch: String, inFlight: inout Bool) throws(PGError) -> PGRows {
        let first = PQgetResult(handle)
        while let extra = PQgetResult(handle) { PQclear(extra) }
        inFlight = false
        return try consume(first, sql: fetch)
    }
}
