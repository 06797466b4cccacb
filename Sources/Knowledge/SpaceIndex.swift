import Foundation
import LibPQ

/// How and when a space's HNSW index is built (issue 18). Inserting a large first backfill into
/// the graph one vector at a time is far slower than building the graph over loaded vectors, so
/// a new space starts without an index (search is exact meanwhile) and a worker builds it once
/// the space's embed queue has drained.
public struct SpaceIndexSettings: Sendable, Equatable {
    /// A backlog of at least this many documents on a space holding fewer vectors than this
    /// drops the space's (small) index, to be built again after the backlog.
    public var deferThreshold = 1000
    /// `maintenance_work_mem` of the build: the graph is built fastest when it fits.
    public var buildMemory = "1GB"
    /// `max_parallel_maintenance_workers` of the build (the server's `max_worker_processes`
    /// and `max_parallel_workers` cap it).
    public var parallelWorkers = 2
    /// Seconds between a worker's checks of the space's index (one cheap query; a build blocks
    /// its own thread only).
    public var checkSeconds = Self.defaultCheckSeconds
    public static let defaultCheckSeconds = 5.0

    public init() {}
}

/// The statements behind a space's index: `schema/functions/space_index_plan.sql` decides, a worker
/// acts. One builder per space at a time (advisory lock); a builder that dies leaves at most an
/// invalid index, which the next one drops.
public enum SpaceIndex {
    public enum Plan: String, Sendable {
        /// Deferred, nothing left to embed, vectors present.
        case build
        /// A large backlog arrived while the space was small: drop the index for now.
        case `defer`
        case none
    }

    public enum Outcome: Sendable, Equatable {
        /// Built here, taking this many seconds.
        case built(seconds: Double)
        /// A valid index was there already (its builder died before recording it).
        case adopted
        /// The small index was dropped; it is built again after the backlog.
        case deferred
        /// Another session holds the space's lock, or nothing is to be done.
        case nothing
    }

    public static func plan(_ conn: PGConnection, space: Int32, settings: SpaceIndexSettings) throws -> Plan {
        let answer = try conn.query("SELECT coachspool.space_index_plan(\(space), \(settings.deferThreshold))").first?
            .decode(String?.self, at: 0)
        return answer.flatMap { $0 }.flatMap { Plan(rawValue: $0) } ?? .none
    }

    /// Does what the plan says, if anything. `conn` must not be in a transaction (the build is
    /// `CREATE INDEX CONCURRENTLY`), and the call blocks for the build's duration.
    public static func maintain(_ conn: PGConnection, space: Int32, settings: SpaceIndexSettings) throws -> Outcome {
        switch try plan(conn, space: space, settings: settings) {
        case .build: return try build(conn, space: space, settings: settings)
        case .defer:
            let dropped = try conn.query("SELECT coachspool.defer_space_index(\(space), \(settings.deferThreshold))").scalar(Bool.self)
            return dropped ? .deferred : .nothing
        case .none: return .nothing
        }
    }

    /// Builds the index under the space's advisory lock (a session lock: CONCURRENTLY runs
    /// several transactions). Roles that may not create indexes (`coachspool_worker`) build
    /// through `coachspool.build_space_index`, with the owner's rights but not concurrently.
    public static func build(_ conn: PGConnection, space: Int32, settings: SpaceIndexSettings) throws -> Outcome {
        let lock = PGQuery("SELECT pg_try_advisory_lock(hashtext('coachspool.space_index'), \(space))")
        guard try conn.query(lock).scalar(Bool.self) else { return .nothing }
        defer { _ = try? conn.query("SELECT pg_advisory_unlock(hashtext('coachspool.space_index'), \(space))") }
        // Under the lock: another builder may have finished between the plan and the lock.
        guard try plan(conn, space: space, settings: settings) == .build else { return .nothing }
        let existing = try conn.query("""
            SELECT index_name, index_valid FROM coachspool.space_indexes WHERE space_id = \(space)
            """).first!
        let name = try existing.decode(String.self, at: 0)
        if try existing.decode(Bool?.self, at: 1) == true {
            try markReady(conn, space: space, seconds: nil)
            return .adopted
        }
        let started = Date()
        try conn.query("SELECT set_config('maintenance_work_mem', \(settings.buildMemory), false)")
        try conn.query("SELECT set_config('max_parallel_maintenance_workers', \(String(settings.parallelWorkers)), false)")
        defer { try? conn.execute(unsafeSQL: "RESET maintenance_work_mem; RESET max_parallel_maintenance_workers") }
        guard try buildConcurrently(conn, space: space, leftover: name) else {
            // Not the table's owner: the owner's function builds it (in one transaction).
            guard try conn.query("SELECT coachspool.build_space_index(\(space))").scalar(Bool.self) else { return .nothing }
            return .built(seconds: Date().timeIntervalSince(started))
        }
        let seconds = Date().timeIntervalSince(started)
        try markReady(conn, space: space, seconds: seconds)
        return .built(seconds: seconds)
    }

    /// False when this role may not create indexes (SQLSTATE 42501).
    private static func buildConcurrently(_ conn: PGConnection, space: Int32, leftover name: String) throws -> Bool {
        do {
            // The leftover of a builder that died mid-build is invalid: it cannot be used or finished.
            try conn.execute(unsafeSQL: "DROP INDEX CONCURRENTLY IF EXISTS coachspool.\(conn.quoteIdentifier(name))")
            try conn.execute(unsafeSQL: try conn.query("SELECT coachspool.space_index_ddl(\(space), true)").scalar(String.self))
            return true
        } catch {
            if error.sqlState == PGError.SQLState.insufficientPrivilege { return false }
            throw error
        }
    }

    private static func markReady(_ conn: PGConnection, space: Int32, seconds: Double?) throws {
        try conn.query("""
            UPDATE coachspool.embedding_spaces
               SET index_state = 'ready', index_built_at = now(), index_build_seconds = coalesce(\(seconds), index_build_seconds)
             WHERE id = \(space)
            """)
    }
}
