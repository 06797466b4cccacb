import CLibPQ
import Foundation

/// One libpq connection. Every call blocks the calling thread.
///
/// Not thread-safe: use it from one thread at a time (async callers run it through `Blocking.run`;
/// the worker's loops each own one on a dedicated thread). Never call it from Swift's
/// cooperative pool: a slow query would stall unrelated tasks.
public final class PGConnection {
    let handle: OpaquePointer
    /// Statements prepared on this connection, by SQL text.
    private var prepared: [String: String] = [:]

    /// Connects with a URL (`postgresql://…`) or a conninfo string (`host=… dbname=…`).
    ///
    /// A peer that goes silent (a cut link, a host gone) is noticed within about 15 s: TCP
    /// keepalives probe an idle connection after 5 s, and `tcp_user_timeout` closes it once sent
    /// data or probes have gone unacknowledged for 15 s (instead of the kernel's ~15 minutes of
    /// retransmissions). A busy server still acknowledges both, so long statements are not cut.
    /// `connect_timeout` is per host: a multi-host URL whose first host is cut off reaches the
    /// next within 5 s. The URL can override any of the defaults here.
    public init(conninfo: String, applicationName: String = "coachspool") throws(PGError) {
        let defaults: [(String, String)] = [
            ("application_name", applicationName),
            ("connect_timeout", "5"),
            ("keepalives", "1"),
            ("keepalives_idle", "5"),
            ("keepalives_interval", "2"),
            ("keepalives_count", "3"),
            ("tcp_user_timeout", "15000"),
            ("dbname", conninfo),  // expanded: a URL or conninfo's own settings win over the above
        ]
        let conn = Self.connect(defaults)
        guard let conn else {
            throw PGError(code: .connectionFailed, message: "out of memory allocating a connection")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(conn))
            PQfinish(conn)  // not stored yet: this is the only owner
            throw PGError(code: .connectionFailed, message: message)
        }
        handle = conn
        PQsetNoticeProcessor(handle, { _, _ in }, nil)  // server NOTICEs are not our stderr's business
    }

    deinit { PQfinish(handle) }

    private static func connect(_ params: [(String, String)]) -> OpaquePointer? {
        var keys = params.map { strdup($0.0) }
        var values = params.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        keys.append(nil)
        values.append(nil)
        return keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                k.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: k.count) { kp in
                    v.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: v.count) { vp in
                        PQconnectdbParams(kp, vp, 1)
                    }
                }
            }
        }
    }

    /// False once the link has broken; a new connection is needed.
    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server's process id for this session (for `pg_terminate_backend` in tests and ops).
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Runs one parameterized statement. The statement is prepared on first use on this
    /// connection and reused after, which saves the server a parse and plan per call.
    @discardableResult
    public func query(_ query: PGQuery) throws(PGError) -> PGRows {
        // libpq passes parameters as C strings: a NUL would silently cut the value there.
        if let index = query.binds.firstIndex(where: { $0.map(Self.containsNUL) == true }) {
            throw PGError(
                code: .invalidParameter, message: "parameter $\(index + 1) contains a NUL character (U+0000), which PostgreSQL text cannot hold",
                sqlState: PGError.SQLState.characterNotInRepertoire, query: query.sql)
        }
        let name = try statementName(for: query.sql)
        let result = withCStrings(query.binds) { values in
            PQexecPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
        }
        return try consume(result, sql: query.sql)
    }

    /// `memchr` over the string's own bytes: the workers' parameters are rows of JSON, megabytes
    /// per statement, where a byte-by-byte generic search was 3 % of a worker's CPU.
    private static func containsNUL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
            return memchr(base, 0, bytes.count) != nil
        }
    }

    /// Runs SQL text with no parameters, possibly several statements (migrations, `BEGIN`).
    /// The name is loud on purpose: never build this text from input.
    public func execute(unsafeSQL sql: String) throws(PGError) {
        _ = try consume(PQexec(handle, sql), sql: sql)
    }

    /// Runs `body` inside `BEGIN … COMMIT`; rolls back when it throws.
    @discardableResult
    public func transaction<T>(_ body: (PGConnection) throws -> T) throws -> T {
        try execute(unsafeSQL: "BEGIN")
        do {
            let value = try body(self)
            try execute(unsafeSQL: "COMMIT")
            return value
        } catch {
            if isHealthy { try? execute(unsafeSQL: "ROLLBACK") }
            throw error
        }
    }

    /// A handle that can cancel the statement running on this connection from another thread.
    public func makeCanceller() -> PGCanceller? {
        PQgetCancel(handle).map(PGCanceller.init)
    }

    /// Quotes an identifier (channel or table name) with libpq's rules.
    public func quoteIdentifier(_ name: String) throws(PGError) -> String {
        guard let quoted = PQescapeIdentifier(handle, name, name.utf8.count) else {
            throw lastError(code: .server, sql: nil)
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    // MARK: - internals

    private func statementName(for sql: String) throws(PGError) -> String {
        if let name = prepared[sql] { return name }
        let name = "cs\(prepared.count)"
        _ = try consume(PQprepare(handle, name, sql, 0, nil), sql: sql)
        prepared[sql] = name
        return name
    }

    func consume(_ result: OpaquePointer?, sql: String?) throws(PGError) -> PGRows {
        guard let result else { throw lastError(code: .connectionLost, sql: sql) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PGRows(result: result, query: sql ?? "")
        case PGRES_COPY_IN:
            return PGRows(empty: sql ?? "")
        default:
            throw error(from: result, sql: sql)
        }
    }

    func error(from result: OpaquePointer, sql: String?) -> PGError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        let state = field(Int32(UInt8(ascii: "C")))  // PG_DIAG_SQLSTATE
        let primary = field(Int32(UInt8(ascii: "M"))) ?? Self.trimmed(PQresultErrorMessage(result))
        let detail = field(Int32(UInt8(ascii: "D")))
        let code: PGError.Code
        if state == PGError.SQLState.queryCanceled {
            code = .cancelled
        } else if state == nil && !isHealthy {
            code = .connectionLost
        } else {
            code = .server
        }
        return PGError(code: code, message: primary, sqlState: state, detail: detail, query: sql)
    }

    func lastError(code: PGError.Code, sql: String?) -> PGError {
        let actual: PGError.Code = isHealthy ? code : .connectionLost
        return PGError(code: actual, message: Self.trimmed(PQerrorMessage(handle)), query: sql)
    }

    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown libpq error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Passes optional strings to C as `const char * const *` for the duration of `body`.
func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
