import CLibPQ

extension PGConnection {
    /// Runs `COPY … FROM STDIN` with `payload` as the data (binary or text, as the statement
    /// says) and returns the number of rows the server stored.
    @discardableResult
    public func copyIn(_ statement: PGQuery, payload: [UInt8]) throws(PGError) -> Int {
        precondition(statement.binds.isEmpty, "COPY takes no parameters")
        _ = try consume(PQexec(handle, statement.sql), sql: statement.sql)
        let chunk = 1 << 20
        var offset = 0
        var sent = true
        payload.withUnsafeBufferPointer { buffer in
            while offset < buffer.count, sent {
                let length = min(chunk, buffer.count - offset)
                let start = UnsafeRawPointer(buffer.baseAddress! + offset).assumingMemoryBound(to: CChar.self)
                sent = PQputCopyData(handle, start, Int32(length)) == 1
                offset += length
            }
        }
        guard sent, PQputCopyEnd(handle, nil) == 1 else {
            let error = lastError(code: .copyFailed, sql: statement.sql)
            drainResults()
            throw error
        }
        var stored = 0
        var failure: PGError?
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                stored = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if failure == nil {
                failure = error(from: result, sql: statement.sql)
            }
            PQclear(result)
        }
        if let failure { throw failure }
        return stored
    }

    private func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }
}
