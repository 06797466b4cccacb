import Foundation
import LibPQ
import Logging
import Queue
import Stages

/// Counts of one ingest run.
public struct IngestSummary: Sendable, Equatable {
    /// Records stored by this run.
    public var accepted = 0
    /// Records already stored (by an earlier run, or earlier in the same input).
    public var duplicates = 0
    /// Lines rejected with an error.
    public var rejected = 0
    /// Lines read, including blank ones.
    public var lines = 0

    public init() {}

    public static func += (lhs: inout IngestSummary, rhs: IngestSummary) {
        lhs.accepted += rhs.accepted
        lhs.duplicates += rhs.duplicates
        lhs.rejected += rhs.rejected
        lhs.lines += rhs.lines
    }
}

/// Stores batches of validated records, in one transaction per batch: the new interactions
/// (the line's feedback in the same row), their jobs (one `interaction_batch` job per
/// `InteractionBatch.maximumSize` of them) and the consent the lines state. A crash loses at most
/// the batches in flight (nothing of them is stored), and a rerun of the same input stores only
/// what is missing.
///
/// Most batches are new, and they are copied straight into `interactions` with ids drawn from its
/// sequence first (binary `COPY`: no staging table, no `INSERT … SELECT`, no speculative
/// insertion; two streams of it reach 131k rows/s on two cores where a staged insert reached
/// 64k). A stored key fails that copy with a unique violation, and the batch runs again through
/// a temporary staging table and `INSERT … ON CONFLICT DO NOTHING`; after a batch with
/// duplicates (a rerun, overlapping files) the next ones take that path straight away, until one
/// has none. The ids a failed copy drew are left unused (identity sequences have gaps anyway).
public final class Ingestor {
    private let connection: PGConnection
    private var stagingReady = false

    public init(connection: PGConnection) {
        self.connection = connection
    }

    /// Stores one batch from `origin` (a file name); returns how many records were new.
    /// Records whose key is already stored, or repeated within the batch, are duplicates.
    public func store(_ records: [InteractionRecord], origin: String) throws -> (accepted: Int, duplicates: Int) {
        guard !records.isEmpty else { return (0, 0) }
        let unique = UniqueRecords(records)
        let consent = StatedConsent(records, at: unique.positions)
        let stored = try retryingDeadlocks {
            if !expectDuplicates {
                do {
                    return try copyNew(unique, origin: origin, consent: consent)
                } catch let error as PGError where error.sqlState == PGError.SQLState.uniqueViolation {
                    expectDuplicates = true
                }
            }
            let count = try insertMissing(unique, origin: origin, consent: consent)
            expectDuplicates = count < unique.count
            return count
        }
        return (stored, records.count - stored)
    }

    /// The records of a batch whose keys it has not met before (the first occurrence wins), by
    /// position, with their keys. Positions, not copies: copying a record retains each of its
    /// strings, and the copies and their releases were a tenth of ingest's client time.
    private struct UniqueRecords {
        let records: [InteractionRecord]
        private(set) var positions: [Int] = []
        /// `keys[n]` is the key of `records[positions[n]]`.
        private(set) var keys: [String] = []
        var count: Int { positions.count }

        init(_ records: [InteractionRecord]) {
            self.records = records
            var seen = Set<String>(minimumCapacity: records.count)
            positions.reserveCapacity(records.count)
            keys.reserveCapacity(records.count)
            for position in records.indices {
                let key = records[position].idempotencyKey  // a hash: computed once
                if seen.insert(key).inserted {
                    positions.append(position)
                    keys.append(key)
                }
            }
        }
    }

    /// Whether the last batch met stored keys.
    private var expectDuplicates = false

    /// One transaction: ids drawn, the batch copied into `interactions`; a stored key fails it (23505).
    private func copyNew(_ records: UniqueRecords, origin: String, consent: StatedConsent) throws -> Int {
        try connection.transaction { conn in
            // The ids, their batch rows and jobs first (the rows they name are copied next, in
            // this transaction: nobody sees the batches before them).
            let ids = try Self.enqueueBatches("""
                ids AS (SELECT nextval('coachspool.interactions_id_seq') AS id, n FROM generate_series(1, \(records.count)) AS n)
                """, on: conn)
            precondition(ids.count == records.count, "drew \(ids.count) interaction ids for a batch of \(records.count)")
            var copy = PGCopyBinaryWriter(fieldsPerRow: Self.interactionFields + 3, reservingCapacity: records.count * 512)
            // Ids in line order, rows in key order: the unique key index is the table's most
            // expensive one, and a batch inserted in its order walks its leaves once, left to
            // right, instead of 5,000 random descents (a bare copy of 1 M rows: 14.6 s in key
            // order within batches of 5,000 against 15.3–17.8 s in line order; docs/benchmarks.md).
            for index in Self.keyOrder(records.keys) {
                let position = records.positions[index]
                copy.startRow()
                copy.write(ids[index])
                Self.writeInteraction(records.records[position], key: records.keys[index], to: &copy)
                copy.write(origin)
                copy.write(Int64(records.records[position].line))
            }
            // COPY writes the identity column's given values (as OVERRIDING SYSTEM VALUE would).
            try conn.copyIn("""
                COPY coachspool.interactions (id, \(unsafeSQL: Self.interactionColumns), origin_file, origin_line) FROM STDIN (FORMAT binary)
                """, payload: copy.finish())
            try Self.finish(consent: consent, on: conn)
            return ids.count
        }
    }

    /// The positions of `records` in the order of their keys' bytes, the order of the key index
    /// (`COLLATE "C"`): by the first 16 bytes as two big-endian integers, then, where those are
    /// equal, by all of them (comparing whole keys through `String.UTF8View` cost the client as
    /// much as the order saved the server).
    private static func keyOrder(_ keys: [String]) -> [Int] {
        let prefixes = keys.map(prefix16)
        return keys.indices.sorted { a, b in
            let (x, y) = (prefixes[a], prefixes[b])
            if x != y { return x < y }
            return keys[a].utf8.lexicographicallyPrecedes(keys[b].utf8)
        }
    }

    /// The first 16 bytes of `key`'s UTF-8, big-endian, zero-padded: their order is the bytes' order.
    private static func prefix16(_ key: String) -> Prefix16 {
        var high: UInt64 = 0, low: UInt64 = 0
        var count = 0
        for byte in key.utf8.prefix(16) {
            if count < 8 { high |= UInt64(byte) << (56 - 8 * count) } else { low |= UInt64(byte) << (56 - 8 * (count - 8)) }
            count += 1
        }
        return Prefix16(high: high, low: low)
    }

    private struct Prefix16: Comparable {
        var high: UInt64
        var low: UInt64
        static func < (a: Self, b: Self) -> Bool { (a.high, a.low) < (b.high, b.low) }
    }

    /// One transaction: the batch copied into the staging table and inserted where its key is not stored yet.
    private func insertMissing(_ records: UniqueRecords, origin: String, consent: StatedConsent) throws -> Int {
        try prepareStaging()
        var copy = PGCopyBinaryWriter(fieldsPerRow: Self.interactionFields + 1, reservingCapacity: records.count * 512)
        for (position, key) in zip(records.positions, records.keys) {
            copy.startRow()
            Self.writeInteraction(records.records[position], key: key, to: &copy)
            copy.write(Int64(records.records[position].line))
        }
        let payload = copy.finish()
        return try connection.transaction { conn in
            try conn.copyIn("COPY pg_temp.ingest_staging FROM STDIN (FORMAT binary)", payload: payload)
            let ids = try Self.enqueueBatches("""
                inserted AS (
                    INSERT INTO coachspool.interactions (\(unsafeSQL: Self.interactionColumns), origin_file, origin_line)
                    SELECT key, session_id, turn_index, mode, language, user_id, occurred_at, user_input, ai_response, opening,
                           rating, helpful, \(origin), line
                      FROM pg_temp.ingest_staging ORDER BY line
                    ON CONFLICT (idempotency_key) DO NOTHING
                    RETURNING id
                ), ids AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM inserted)
                """, on: conn)
            try Self.finish(consent: consent, on: conn)
            return ids.count
        }
    }

    /// The batch rows and jobs of the ids `ids` yields (common table expressions that end in
    /// `ids(id, n)`, n counting from 1 in id order): one `interaction_batch` job per
    /// `InteractionBatch.maximumSize` interactions, not one per interaction; the workers are woken.
    /// Returns the ids, ascending.
    private static func enqueueBatches(_ ids: PGQuery, on conn: PGConnection) throws -> [Int64] {
        let stored = try conn.query("WITH " + ids + """
            , batches AS (
                INSERT INTO coachspool.interaction_batches (interaction_ids)
                SELECT array_agg(id ORDER BY id) FROM ids GROUP BY (n - 1) / \(InteractionBatch.maximumSize) ORDER BY min(id)
                RETURNING id, interaction_ids
            ), queued AS (
                INSERT INTO coachspool.jobs (kind, source_id)
                SELECT \(JobKind.interactionBatch.rawValue), id FROM batches ORDER BY id
            )
            SELECT unnest(interaction_ids) FROM batches
            """).map { try $0.decode(Int64.self, at: 0) }.sorted()
        if !stored.isEmpty { try conn.query("SELECT coachspool.wake_workers()") }
        return stored
    }

    /// The interaction columns a batch writes, in the order `writeInteraction` writes them.
    private static let interactionColumns = """
        idempotency_key, session_id, turn_index, mode, language, user_id, occurred_at, user_input, ai_response, opening, rating, helpful
        """

    private static let interactionFields = 12

    private static func writeInteraction(_ record: InteractionRecord, key: String, to copy: inout PGCopyBinaryWriter) {
        copy.write(key)
        copy.write(record.sessionID)
        copy.write(record.turnIndex.map(Int32.init))
        copy.write(record.mode.rawValue)
        copy.write(record.language)
        copy.write(record.userID)
        copy.writeTimestamp(microsSinceUnixEpoch: record.occurredAtMicros)
        copy.write(record.userInput)
        copy.write(record.aiResponse)
        copy.write(record.opening)
        copy.write(record.rating.map(Int16.init))
        copy.write(record.helpful)
    }

    /// The rest of a batch's transaction, either path: the consent its lines state.
    private static func finish(consent: StatedConsent, on conn: PGConnection) throws {
        if !consent.isEmpty {
            // For users with no recorded decision yet: a backfill never overrides what the app or an admin set.
            try conn.query("""
                INSERT INTO coachspool.consents (user_id, purpose, granted, source)
                SELECT user_id, purpose, granted, 'ingest'
                  FROM unnest(\(consent.users)::text[], \(consent.purposes)::text[], \(consent.granted)::boolean[])
                       AS c(user_id, purpose, granted)
                 ORDER BY user_id, purpose
                ON CONFLICT (user_id, purpose) DO NOTHING
                """)
        }
    }

    /// Two writers whose batches share keys in opposite orders can deadlock; the batch is
    /// idempotent, so it is simply run again.
    private func retryingDeadlocks<T>(_ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                return try body()
            } catch let error as PGError where error.sqlState == PGError.SQLState.deadlockDetected && attempt < 5 {
                attempt += 1
                Thread.sleep(forTimeInterval: Double.random(in: 0.01...0.05) * Double(attempt))
            }
        }
    }

    private func prepareStaging() throws {
        guard !stagingReady else { return }
        try connection.execute(unsafeSQL: """
            CREATE TEMP TABLE IF NOT EXISTS ingest_staging (
                key text, session_id text, turn_index integer, mode text, language text, user_id text,
                occurred_at timestamptz, user_input text, ai_response text, opening text, rating smallint,
                helpful boolean, line bigint
            ) ON COMMIT DELETE ROWS
            """)
        stagingReady = true
    }
}

/// The consent a batch's lines state, per user and purpose: the last line's decision wins.
/// Lines without a user id state nothing (nobody could have consented).
struct StatedConsent {
    private(set) var users: [String] = []
    private(set) var purposes: [String] = []
    private(set) var granted: [Bool] = []
    var isEmpty: Bool { users.isEmpty }

    /// The consent of `records[positions]`.
    init(_ records: [InteractionRecord], at positions: [Int]) {
        var decisions: [Key: (line: Int, granted: Bool)] = [:]
        for position in positions {
            guard let user = records[position].userID, let consent = records[position].consent else { continue }
            let line = records[position].line
            for (purpose, value) in consent.stated {
                let key = Key(user: user, purpose: purpose)
                if let earlier = decisions[key], earlier.line > line { continue }
                decisions[key] = (line, value)
            }
        }
        for (key, decision) in decisions {
            users.append(key.user)
            purposes.append(key.purpose.rawValue)
            granted.append(decision.granted)
        }
    }

    private struct Key: Hashable {
        var user: String
        var purpose: ConsentPurpose
    }
}
