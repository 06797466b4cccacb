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

/// Stores batches of validated records: binary `COPY` into a temporary staging table, then
/// insert-if-absent into `interactions` (the line's feedback in the same row) and enqueue of
/// their jobs (one `interaction_batch` job per `InteractionBatch.maximumSize` new interactions),
/// in one transaction per batch. A crash loses at most the batches in flight (nothing of them
/// is stored), and a rerun of the same input stores only what is missing.
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
        try prepareStaging()
        var seen = Set<String>(minimumCapacity: records.count)
        var copy = PGCopyBinaryWriter(fieldsPerRow: 15, reservingCapacity: records.count * 512)
        var hasConsent = false
        for record in records {
            let key = record.idempotencyKey
            guard seen.insert(key).inserted else { continue }  // the first occurrence wins
            copy.startRow()
            copy.write(Int64(record.line))
            copy.write(key)
            copy.write(record.sessionID)
            copy.write(record.turnIndex.map(Int32.init))
            copy.write(record.mode.rawValue)
            copy.write(record.language)
            copy.write(record.userID)
            copy.writeTimestamp(microsSinceUnixEpoch: record.occurredAtMicros)
            copy.write(record.userInput)
            copy.write(record.aiResponse)
            copy.write(record.rating.map(Int16.init))
            copy.write(record.helpful)
            copy.write(record.consent?.training)
            copy.write(record.consent?.retrieval)
            copy.write(record.opening)
            hasConsent = hasConsent || record.consent != nil
        }
        let payload = copy.finish()
        let unique = seen.count
        let stored = try retryingDeadlocks {
            // Most batches are new: the plain insert skips ON CONFLICT's speculative insertion
            // (a probe, a token and a confirmation record per row: ~25 % of the insert). A stored
            // key fails it with a unique violation, and the batch runs again skipping stored
            // keys; after a batch with duplicates (a rerun, overlapping files) the next one skips
            // them straight away, until one has none.
            if !expectDuplicates {
                do {
                    return try insert(payload, origin: origin, hasConsent: hasConsent, skippingStored: false)
                } catch let error as PGError where error.sqlState == PGError.SQLState.uniqueViolation {
                    expectDuplicates = true
                }
            }
            let count = try insert(payload, origin: origin, hasConsent: hasConsent, skippingStored: true)
            expectDuplicates = count < unique
            return count
        }
        return (stored, records.count - stored)
    }

    /// Whether the last batch met stored keys.
    private var expectDuplicates = false

    /// One transaction: the batch copied into the staging table, inserted with its feedback, its
    /// batch jobs and consent recorded. Without `skippingStored`, a stored key fails it (23505).
    private func insert(_ payload: [UInt8], origin: String, hasConsent: Bool, skippingStored: Bool) throws -> Int {
        try connection.transaction { conn in
            try conn.copyIn("COPY pg_temp.ingest_staging FROM STDIN (FORMAT binary)", payload: payload)
            let count = try conn.query("""
                WITH inserted AS (
                    INSERT INTO coachspool.interactions
                        (idempotency_key, session_id, turn_index, mode, language, user_id, occurred_at,
                         user_input, ai_response, opening, rating, helpful, origin_file, origin_line)
                    SELECT key, session_id, turn_index, mode, language, user_id, occurred_at,
                           user_input, ai_response, opening, rating, helpful, \(origin), line
                      FROM pg_temp.ingest_staging
                    \(unsafeSQL: skippingStored ? "ON CONFLICT (idempotency_key) DO NOTHING" : "")
                    RETURNING id
                ), batches AS (
                    -- one job per InteractionBatch.maximumSize interactions, not one per interaction
                    INSERT INTO coachspool.interaction_batches (interaction_ids)
                    SELECT array_agg(id ORDER BY id) FROM (
                        SELECT id, (row_number() OVER (ORDER BY id) - 1) / \(InteractionBatch.maximumSize) AS part FROM inserted) p
                     GROUP BY part ORDER BY part
                    RETURNING id
                ), queued AS (
                    INSERT INTO coachspool.jobs (kind, source_id)
                    SELECT \(JobKind.interactionBatch.rawValue), id FROM batches ORDER BY id
                )
                SELECT count(*) FROM inserted
                """).scalar(Int.self)
            if hasConsent { try Self.recordConsent(conn) }
            if count > 0 { try conn.query("SELECT coachspool.wake_workers()") }
            return count
        }
    }

    /// Consent stated on the batch's lines (the last line per user and purpose wins), for users
    /// with no recorded decision yet: a backfill never overrides what the app or an admin set.
    private static func recordConsent(_ conn: PGConnection) throws {
        try conn.query("""
            INSERT INTO coachspool.consents (user_id, purpose, granted, source)
            SELECT DISTINCT ON (s.user_id, p.purpose) s.user_id, p.purpose, p.granted, 'ingest'
              FROM pg_temp.ingest_staging s
             CROSS JOIN LATERAL (VALUES ('training', s.consent_training), ('retrieval', s.consent_retrieval)) AS p(purpose, granted)
             WHERE s.user_id IS NOT NULL AND p.granted IS NOT NULL
             ORDER BY s.user_id, p.purpose, s.line DESC
            ON CONFLICT (user_id, purpose) DO NOTHING
            """)
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
                line bigint, key text, session_id text, turn_index integer, mode text,
                language text, user_id text, occurred_at timestamptz, user_input text,
                ai_response text, rating smallint, helpful boolean,
                consent_training boolean, consent_retrieval boolean, opening text
            ) ON COMMIT DELETE ROWS
            """)
        stagingReady = true
    }
}
