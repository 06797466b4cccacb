/// An error from the database layer.
///
/// `description` never contains query values or connection credentials: conversation text is
/// personal data. The server's DETAIL (which can quote row values) is only in `debugDescription`.
public struct PGError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        /// The connection could not be established.
        public static let connectionFailed = Code("connectionFailed")
        /// The connection broke while in use (server restart, network cut).
        public static let connectionLost = Code("connectionLost")
        /// The server rejected a statement; `sqlState` says why.
        public static let server = Code("server")
        /// A `COPY` could not be sent or was rejected.
        public static let copyFailed = Code("copyFailed")
        /// A value in a result could not be decoded into the requested Swift type.
        public static let decoding = Code("decoding")
        /// The query was cancelled through `PQcancel`.
        public static let cancelled = Code("cancelled")
        /// A parameter could not be sent as it is (it holds U+0000); nothing was sent.
        public static let invalidParameter = Code("invalidParameter")
        public var description: String { name }
    }

    /// The SQLSTATEs the code branches on, by PostgreSQL's names (Appendix A of its manual):
    /// the one place they are spelled out.
    public enum SQLState {
        public static let invalidParameterValue = "22023"
        public static let characterNotInRepertoire = "22021"
        public static let foreignKeyViolation = "23503"
        public static let notNullViolation = "23502"
        public static let uniqueViolation = "23505"
        public static let checkViolation = "23514"
        public static let readOnlySQLTransaction = "25006"
        public static let deadlockDetected = "40P01"
        public static let insufficientPrivilege = "42501"
        public static let undefinedTable = "42P01"
        public static let undefinedFunction = "42883"
        public static let undefinedColumn = "42703"
        public static let invalidSchemaName = "3F000"
        public static let objectNotInPrerequisiteState = "55000"
        public static let objectInUse = "55006"
        public static let lockNotAvailable = "55P03"
        public static let queryCanceled = "57014"
        public static let adminShutdown = "57P01"
        public static let crashShutdown = "57P02"
        public static let cannotConnectNow = "57P03"
    }

    public var code: Code
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// The primary message (libpq's or the server's).
    public var message: String
    /// The server's DETAIL line; may quote data, so it only appears in `debugDescription`.
    public var detail: String?
    /// The SQL text (parameters are never part of it).
    public var query: String?

    public init(code: Code, message: String, sqlState: String? = nil, detail: String? = nil, query: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.query = query
    }

    /// True when retrying on a new connection may succeed: the link or the server went away, or
    /// the server is (now) a standby — after a failover the old primary answers writes and LISTEN
    /// with 25006, and a new connection through a multi-host URL (`target_session_attrs=read-write`)
    /// finds the writable host.
    public var isConnectionProblem: Bool {
        if code == .connectionLost || code == .connectionFailed { return true }
        guard let state = sqlState else { return false }
        // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now;
        // 25006: read-only transaction (in recovery).
        return state.hasPrefix("08")
            || [SQLState.adminShutdown, SQLState.crashShutdown, SQLState.cannotConnectNow, SQLState.readOnlySQLTransaction].contains(state)
    }

    /// The server (or the client, before sending) refused a value: a data exception (class 22),
    /// a program limit such as an over-long index entry (class 54), or a value a CHECK or NOT NULL
    /// constraint refuses. Retrying the same values cannot succeed; other rows may. (Other
    /// integrity violations — a missing foreign key, say — are bugs, not bad values.)
    public var isRefusedValue: Bool {
        guard let state = sqlState else { return false }
        return state.hasPrefix("22") || state.hasPrefix("54") || state == SQLState.checkViolation || state == SQLState.notNullViolation
    }

    /// A statement named a schema, relation or function that does not exist (42P01, 3F000,
    /// 42883, 42703): against CoachSpool's schema, a database not (or not fully) migrated.
    public var isUndefinedObject: Bool {
        guard let state = sqlState else { return false }
        return [SQLState.undefinedTable, SQLState.invalidSchemaName, SQLState.undefinedFunction, SQLState.undefinedColumn].contains(state)
    }

    /// Whether to try again on a new connection: a connection problem that a retry may mend.
    public var isWorthReconnecting: Bool { isConnectionProblem && !isPermanentConnectionFailure }

    /// A connection refused for a reason no retry mends: authentication, an unknown database,
    /// role or host, no pg_hba.conf entry. libpq reports these as text only (no SQLSTATE).
    public var isPermanentConnectionFailure: Bool {
        guard code == .connectionFailed else { return false }
        let permanent = ["authentication failed", "does not exist", "could not translate host name",
                         "no pg_hba.conf entry", "invalid connection option", "invalid URI", "missing \"=\""]
        return permanent.contains { message.localizedCaseInsensitiveContains($0) }
    }

    public var description: String {
        var text = "\(code)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        text += ": \(message)"
        return text
    }

    public var debugDescription: String {
        var text = description
        if let detail { text += "\nDETAIL: \(detail)" }
        if let query { text += "\nQUERY: \(query)" }
        return text
    }
}

