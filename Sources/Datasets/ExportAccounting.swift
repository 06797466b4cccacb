import CoachSpoolCore
import Foundation
import LibPQ
import Stages

/// Where every ingested interaction went in one export: exported, or why not. Each interaction
/// is counted once, under the first of these that holds:
///
/// 1. `no_user_id`: training consent is per user; an interaction without a user has none.
/// 2. `no_training_consent`: its user has not granted training consent (or revoked it).
/// 3. `waiting_for_workers`: a job of it (prepare: its `interaction` job, or the
///    `interaction_batch` job ingest queued it in) or of its conversation (build) is `ready` or
///    `running`: run `coachspool work`, or wait.
/// 4. `failed`: such a job is dead (`coachspool jobs dead`).
/// 5. `not_processed`: no quality verdict and no job (prepared by nothing yet).
/// 6. `quality_filter`: its latest verdict rejected it (by reason: an interaction with several
///    reasons counts under each, so the reasons may add up to more than the total), and no
///    reviewer approved or corrected it since (a reviewer's decision overrules the filter).
/// 6b. `rejected_by_reviewer`: a reviewer's latest decision on it is `reject` (its answer is
///    context at most; issue 30).
/// 7. `exported`: its conversation is in the files (as an answer or as context).
/// 8. `not_built`: its conversation has no build of the exported pipeline version.
/// 9. `outside_filters`: `--coach-mode`/`--since` left its conversation out.
/// 10. `excluded_by_export`: its conversation's records were all excluded by the export's checks
///     (format, token limit, duplicates: the manifest's `excluded`).
/// 11. `no_example_in_format`: its conversation has no record of this format (DPO needs two
///     answers of different ratings to one turn, KTO a single rated answer with `helpful`).
///
/// So `exported` plus the `not_exported` total is every interaction in the database. The
/// counts are taken in the snapshot the export read its examples in.
public struct ExportAccounting: Sendable, Equatable {
    /// Where one interaction went: the first that holds, in the order above (the SQL's `CASE`
    /// names them by their raw values; `running` and `ready` are a job of the interaction or of
    /// its conversation, together `waiting_for_workers`).
    public enum Bucket: String, Sendable, CaseIterable {
        case noUserID = "no_user_id", noTrainingConsent = "no_training_consent"
        case ready, running, failed, notProcessed = "not_processed", qualityFilter = "quality_filter"
        case rejectedByReviewer = "rejected_by_reviewer"
        case exported, notBuilt = "not_built", outsideFilters = "outside_filters"
        case excludedByExport = "excluded_by_export", noExampleInFormat = "no_example_in_format"
    }

    /// Interactions per bucket (a bucket nobody fell into is absent).
    public var counts: [Bucket: Int] = [:]
    /// The rejection reasons of the `qualityFilter` bucket (an interaction with several reasons
    /// counts under each).
    public var qualityReasons: [String: Int] = [:]

    public init() {}

    public subscript(_ bucket: Bucket) -> Int { counts[bucket] ?? 0 }

    public var ingested: Int { counts.values.reduce(0, +) }
    public var exported: Int { self[.exported] }
    public var notExported: Int { ingested - exported }
    public var waiting: Int { self[.ready] + self[.running] }

    /// The manifest's `not_exported` object: every bucket but `exported` by its name, the two
    /// job states under `waiting_for_workers`, the quality filter with its reasons.
    public var manifestNotExported: DatasetManifest.NotExported {
        DatasetManifest.NotExported(
            total: notExported, noUserId: self[.noUserID], noTrainingConsent: self[.noTrainingConsent],
            waitingForWorkers: .init(total: waiting, ready: self[.ready], running: self[.running]),
            failed: self[.failed], notProcessed: self[.notProcessed],
            qualityFilter: .init(total: self[.qualityFilter], byReason: qualityReasons),
            rejectedByReviewer: self[.rejectedByReviewer], notBuilt: self[.notBuilt], outsideFilters: self[.outsideFilters], excludedByExport: self[.excludedByExport],
            noExampleInFormat: self[.noExampleInFormat])
    }

    /// "interactions: 29 ingested, 8 exported, 21 not exported: 21 no training consent": the
    /// non-empty buckets, in the order above.
    public var summaryLine: String {
        let parts = Bucket.allCases.compactMap { bucket -> String? in
            // The two job states are one part: the waiting.
            let count = bucket == .ready ? waiting : self[bucket]
            guard count > 0 else { return nil }
            switch bucket {
            case .exported, .running: return nil
            case .ready: return "\(count) waiting for the workers (\(self[.ready]) ready, \(self[.running]) running)"
            case .qualityFilter:
                let reasons = qualityReasons.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }
                return "\(count) rejected by the quality filter (\(reasons.joined(separator: ", ")))"
            case .rejectedByReviewer: return "\(count) rejected by a reviewer"
            case .noUserID: return "\(count) no user_id"
            case .noTrainingConsent: return "\(count) no training consent"
            case .failed: return "\(count) failed (dead jobs)"
            case .notProcessed: return "\(count) not processed"
            case .notBuilt: return "\(count) not built in this pipeline version"
            case .outsideFilters: return "\(count) outside --coach-mode/--since"
            case .excludedByExport: return "\(count) in excluded examples"
            case .noExampleInFormat: return "\(count) no example of this format"
            }
        }
        return "interactions: \(ingested) ingested, \(exported) exported, \(notExported) not exported"
            + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }

    /// Counts, in the current transaction's snapshot, where the interactions went when the
    /// conversations `exportedKeys` were written from the records of `filter` in `format`.
    public static func count(_ conn: PGConnection, format: DatasetFormat, filter: DatasetReader.Filter, exportedKeys: [String]) throws -> ExportAccounting {
        let records = switch format.source {
        case .examples: "examples"
        case .preferencePairs: "preference_pairs"
        case .feedbackExamples: "feedback_examples"
        }
        let since = filter.since.map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) }
        // Two statements' worth in one: bucket per interaction, then the rejection reasons of
        // those the quality filter stopped (`reason` NULL on the bucket rows).
        let rows = try conn.query(PGQuery(unsafeSQL: """
            WITH exported AS (SELECT DISTINCT k COLLATE "C" AS key FROM unnest($1::text[]) AS k),
            batched AS (
                -- the interactions of ingest's batch jobs, with their job's state
                SELECT m.interaction_id, j.state FROM coachspool.jobs j
                  JOIN coachspool.interaction_batches ib ON ib.id = j.source_id
                 CROSS JOIN LATERAL unnest(ib.interaction_ids) AS m(interaction_id)
                 WHERE j.kind = 'interaction_batch'
            ),
            classified AS (
                SELECT CASE
                         WHEN i.user_id IS NULL THEN 'no_user_id'
                         WHEN NOT EXISTS (SELECT 1 FROM coachspool.consents c
                                           WHERE c.user_id = i.user_id AND c.purpose = 'training' AND c.granted) THEN 'no_training_consent'
                         WHEN 'running' IN (ji.state, bj.state, jc.state) THEN 'running'
                         WHEN 'ready' IN (ji.state, bj.state, jc.state) THEN 'ready'
                         WHEN 'dead' IN (ji.state, bj.state, jc.state) THEN 'failed'
                         WHEN v.accepted IS NULL THEN 'not_processed'
                         WHEN rv.decision = 'reject' THEN 'rejected_by_reviewer'
                         WHEN NOT v.accepted AND rv.decision IS NULL THEN 'quality_filter'
                         WHEN e.key IS NOT NULL THEN 'exported'
                         WHEN b.conversation_id IS NULL THEN 'not_built'
                         WHEN ($3::text IS NOT NULL AND b.mode IS DISTINCT FROM $3)
                           OR ($4::bigint IS NOT NULL AND (b.last_at IS NULL
                               OR b.last_at < timestamptz 'epoch' + $4::bigint * interval '1 microsecond')) THEN 'outside_filters'
                         WHEN EXISTS (SELECT 1 FROM coachspool.\(records) r
                                       WHERE r.conversation_id = cv.id AND r.version = $2) THEN 'excluded_by_export'
                         ELSE 'no_example_in_format'
                       END AS bucket,
                       v.reasons
                  FROM coachspool.interactions i
                  LEFT JOIN coachspool.conversations cv ON cv.key = coachspool.conversation_key(i.session_id, i.idempotency_key)
                  LEFT JOIN coachspool.conversation_builds b ON b.conversation_id = cv.id AND b.version = $2
                  LEFT JOIN coachspool.jobs ji ON ji.kind = 'interaction' AND ji.source_id = i.id
                  LEFT JOIN batched bj ON bj.interaction_id = i.id
                  LEFT JOIN coachspool.jobs jc ON jc.kind = 'conversation' AND jc.source_id = cv.id
                  -- the newest verdict and the latest review of each interaction, each table read
                  -- once in key order rather than probed and sorted per interaction (every
                  -- interaction is counted: 2.4 → 1.4 s of this statement at 200,000)
                  LEFT JOIN (SELECT DISTINCT ON (q.interaction_id) q.interaction_id, q.accepted, q.reasons
                               FROM coachspool.quality_verdicts q ORDER BY q.interaction_id, q.processed_at DESC) v
                         ON v.interaction_id = i.id
                  LEFT JOIN (SELECT DISTINCT ON (r.interaction_id) r.interaction_id, r.decision
                               FROM coachspool.reviews r ORDER BY r.interaction_id, r.id DESC) rv
                         ON rv.interaction_id = i.id
                  LEFT JOIN exported e ON e.key = cv.key
            )
            SELECT bucket, NULL::text, count(*) FROM classified GROUP BY bucket
            UNION ALL
            SELECT 'quality_filter', r, count(*) FROM classified, unnest(reasons) AS r WHERE bucket = 'quality_filter' GROUP BY r
            """, binds: [exportedKeys.pgText, filter.version, filter.mode?.rawValue, since.map(String.init)]))
        var counts = ExportAccounting()
        for row in rows {
            let name = try row.decode(String.self, at: 0), count = try row.decode(Int.self, at: 2)
            if let reason = try row.decode(String?.self, at: 1) {
                counts.qualityReasons[reason, default: 0] += count
            } else if let bucket = Bucket(rawValue: name) {
                counts.counts[bucket] = count
            } else {
                throw CoachSpoolError(.schema, "export accounting: unknown bucket \(name)")
            }
        }
        return counts
    }
}
