/// What a job asks a worker to do with its source row: the name stored in `jobs.kind`. The queue
/// runtime knows no kind; the product declares its kinds (`Spool`'s `StageGraph`, whose CHECK on
/// `jobs.kind` the database enforces) and a worker claims the kinds it has handlers for.
///
/// A name is lower-case letters and underscores, optionally `:` and a number (`embed:3`), so that
/// it can stand as a literal in the claim's index predicate.
public struct JobKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    /// Nil for a name that is not of the form above.
    public init?(rawValue: String) {
        guard Self.isWellFormed(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// A kind named in code; a malformed name is a programming error.
    public init(_ name: String) {
        precondition(Self.isWellFormed(name), "malformed job kind \(name)")
        self.rawValue = name
    }

    public var description: String { rawValue }

    public static func < (a: JobKind, b: JobKind) -> Bool { a.rawValue < b.rawValue }

    private static func isWellFormed(_ name: String) -> Bool {
        let parts = name.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let head = parts.first, !head.isEmpty,
              head.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "_") })
        else { return false }
        guard parts.count == 2 else { return true }
        return !parts[1].isEmpty && parts[1].count <= 9 && parts[1].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

/// `jobs.state`, as the CHECK of schema/0001_spool.sql allows it. A job waiting for a retry is
/// `ready` with `run_at` in the future; a retired job is deleted, not kept in a state.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case ready, running, dead
}

/// A job in the hands of this worker, with the lease that proves it.
public struct ClaimedJob: Sendable, Hashable {
    public var id: Int64
    public var kind: JobKind
    public var sourceID: Int64
    /// The claim count, the fencing token: a completion is accepted only with the current one.
    public var attempt: Int32

    public init(id: Int64, kind: JobKind, sourceID: Int64, attempt: Int32) {
        self.id = id
        self.kind = kind
        self.sourceID = sourceID
        self.attempt = attempt
    }
}
