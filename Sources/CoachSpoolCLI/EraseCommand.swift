import ArgumentParser
import CoachSpoolCore
import Foundation
import Logging
import Privacy
import Spool

struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Remove a person from every table, in one transaction (a right-to-erasure request).",
        discussion: """
            Deletes their interactions, feedback, everything derived from them (verdicts, redacted \
            texts, memories, examples, DPO and KTO records), their jobs and consent records; \
            conversations shared with others are rebuilt without them. Prints and logs a hash of \
            the id and the counts, never the id. SQL: SELECT * FROM coachspool.erase_user(user_id). \
            After the commit the column statistics of those tables are refreshed (ANALYZE), since \
            pg_stats would still show sampled values of the erased rows.

            Without --compact the bytes of the deleted rows stay in the table files (heap, TOAST, \
            indexes) as free space until PostgreSQL reuses it; plain VACUUM frees that space but \
            does not clear it. \
            --compact rewrites the files of the tables the erasure removed rows from (all of \
            erasure's tables when it removed none: a rerun) with VACUUM (FULL, ANALYZE), one table \
            at a time, then pg_statistic and a CHECKPOINT where the role may. VACUUM FULL takes an \
            ACCESS EXCLUSIVE lock on each table while it rewrites it: workers, ingest and readers \
            of that table wait, and it needs free disk for a copy of the table. Use it in a quiet \
            hour. It needs MAINTAIN on the tables (PostgreSQL 17+, granted to coachspool_admin by \
            migrate) or, before 17, the schema's owner. WAL, backups, replicas and dumps keep their \
            copies: docs/operations.md, "What erasure removes from disk".

            Files are out of its reach: an export's folder (train.jsonl, validation.jsonl) keeps \
            the person's text. erase lists the recorded exports that held their conversations \
            (coachspool.exports, now flagged contains_erased_data) with host and folder: delete \
            those folders and any copies, or export again into them (docs/operations.md, "Erasure \
            and files on disk"). An id that matches nothing prints a warning on stderr; the exit \
            status stays 0.

            Exit status 0: erased (and compacted); 1: an error. If the erasure committed and a \
            later step failed, the error says so: rerun with --compact (an erased user has no rows \
            left; it only rewrites).
            """)

    @Option(help: "The user id, as the app logs it.")
    var user: String

    @Flag(help: "After the erasure, rewrite the erased tables' files (VACUUM FULL: an ACCESS EXCLUSIVE lock per table; see above).")
    var compact = false

    @Option(help: ArgumentHelp(
        "With --compact: how long to wait for transactions older than the erasure to end, and for each table's lock.",
        valueName: "seconds"))
    var compactWait: Int = 30

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard !user.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--user: the user id must not be empty") }
        guard compactWait >= 0 else { throw ValidationError("--compact-wait: expected seconds, 0 or more") }
    }

    func run() async throws {
        let logger = LoggingSetup.logger("coachspool.erase")
        let (user, compact, patience) = (self.user, self.compact, Duration.seconds(compactWait))
        try await Blocking.run {
            let conn = try openConnection(application: "coachspool-erase")
            let erased = try Erasure.erase(conn, user: user)
            Self.report(erased, logger: logger)
            do {
                if compact {
                    var tables = erased.tablesWithRemovedRows
                    if tables.isEmpty {
                        tables = Erasure.tables
                        print("no rows of this user were left (erased before?): rewriting every table erasure deletes from")
                    }
                    Self.report(try Erasure.compact(conn, tables: tables, after: erased.transactionID, patience: patience), logger: logger)
                } else {
                    Self.report(try Erasure.refreshStatistics(conn, tables: erased.tablesWithRemovedRows), logger: logger)
                }
            } catch {
                let step = compact ? "rewriting the table files" : "refreshing the column statistics"
                throw CoachSpoolError(.afterErasure, """
                    the erasure itself committed (the counts above), but \(step) failed; rerun \
                    `coachspool erase --user ID --compact` (for an erased user it only rewrites the files)
                    """, underlying: error)
            }
        }
    }

    private static func report(_ erased: Erasure.Result, logger: Logger) {
        let summary = erased.removed.map { "\($0.table) \($0.rows)" }.joined(separator: ", ")
        logger.info("erased a user", metadata: [LogKey.userDigest: "\(erased.userDigest)", LogKey.removed: "\(summary)"])
        print("erased user sha256:\(erased.userDigest): \(summary)")
        if erased.tablesWithRemovedRows.isEmpty {
            printError("warning: no row had this user id (nothing was erased): check the id, or it was erased before")
        }
        if !erased.trainingRuns.isEmpty {
            let ids = erased.trainingRuns.map(String.init).joined(separator: ", ")
            logger.notice("erased data was used by training runs", metadata: [LogKey.runIDs: "\(ids)"])
            print("training runs that learnt from this user's conversations (now flagged contains_erased_data; retrain without them): \(ids)")
        }
        if erased.exports.isEmpty {
            print("""
                no recorded export held this user's conversations; files written by other means (copies of exports, \
                answers_report.md of eval answers) are out of erasure's reach
                """)
        } else {
            logger.notice("erased data is in export files", metadata: [LogKey.exportIDs: "\(erased.exports.map { String($0.id) }.joined(separator: ", "))"])
            print("export files on disk still hold this user's text (flagged contains_erased_data in coachspool.exports): delete these folders and their copies, or export again into them:")
            for export in erased.exports { print("  export \(export.id): \(export.host):\(export.outDirectory)") }
        }
    }

    /// Plain erase: the statistics are a detail (logged); what could not be done is a note.
    private static func report(_ refresh: Erasure.StatisticsRefresh, logger: Logger) {
        logger.info("refreshed the statistics of the erased tables", metadata: [
            LogKey.erasureAnalyzed: "\(refresh.analyzed.joined(separator: ", "))", LogKey.seconds: "\(refresh.seconds)",
        ])
        if !refresh.notPermitted.isEmpty {
            printError("""
                note: the column statistics of \(qualified(refresh.notPermitted)) may still hold sampled values of the erased rows \
                (pg_stats): this role may not ANALYZE them (PostgreSQL 17+: MAINTAIN, granted to coachspool_admin by migrate; \
                before 17: the owner). Run ANALYZE on them as the schema's owner.
                """)
        }
        noteUncleared(refresh.notCleared)
    }

    private static func report(_ compaction: Erasure.Compaction, logger: Logger) {
        if compaction.waitedSeconds >= 0.5 {
            print("waited \(duration(compaction.waitedSeconds)) for transactions older than the erasure to end")
        }
        for rewrite in compaction.rewrites + (compaction.statisticsCatalog.map { [$0] } ?? []) {
            print("rewrote \(rewrite.table) in \(duration(rewrite.seconds)) (\(size(rewrite.bytesBefore)) → \(size(rewrite.bytesAfter)))")
        }
        if compaction.statisticsCatalogBusy {
            printError("""
                note: pg_catalog.pg_statistic was not rewritten: its lock was not free within a second (queries of the whole \
                database would have queued behind it); rerun --compact at a quieter moment.
                """)
        } else if compaction.statisticsCatalog == nil {
            printError("""
                note: pg_catalog.pg_statistic was not rewritten (that needs a superuser or pg_maintain): the old statistics \
                rows, which may hold sampled values of the erased rows, stay in its file until later writes reuse the space.
                """)
        }
        noteUncleared(compaction.statistics.notCleared)
        if let checkpoint = compaction.checkpointSeconds {
            print("checkpoint in \(duration(checkpoint))")
        } else {
            printError("""
                note: no CHECKPOINT (that needs a superuser or pg_checkpoint): the next scheduled one (checkpoint_timeout) \
                lets PostgreSQL recycle the WAL segments that hold the erased rows.
                """)
        }
        let tables = compaction.rewrites.map(\.table)
        logger.info("compacted the erased tables", metadata: [
            LogKey.erasureCompacted: "\(tables.joined(separator: ", "))", LogKey.seconds: "\(compaction.seconds)",
        ])
        print("""
            compacted \(tables.count) table\(tables.count == 1 ? "" : "s") in \(duration(compaction.seconds)) \
            (VACUUM (FULL, ANALYZE), each table locked ACCESS EXCLUSIVE while it was rewritten)
            """)
    }

    private static func noteUncleared(_ tables: [String]) {
        guard !tables.isEmpty else { return }
        printError("""
            note: \(qualified(tables)) \(tables.count == 1 ? "is" : "are") empty now, and ANALYZE keeps an empty table's old \
            statistics (pg_stats), which may hold sampled values of the erased rows; clearing them needs PostgreSQL 18 \
            (pg_clear_attribute_stats) or a superuser (DELETE FROM pg_statistic WHERE starelid = 'coachspool.TABLE'::regclass).
            """)
    }

    private static func qualified(_ tables: [String]) -> String {
        tables.map { "coachspool.\($0)" }.joined(separator: ", ")
    }

    /// "12 ms", "1.25 s", "42 s".
    private static func duration(_ seconds: Double) -> String {
        seconds < 1 ? String(format: "%.0f ms", seconds * 1000) : String(format: seconds < 10 ? "%.2f s" : "%.0f s", seconds)
    }

    private static func size(_ bytes: Int64) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }
}
