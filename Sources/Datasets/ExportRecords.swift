import Foundation
import LibPQ

/// Exports in `coachspool.exports` (schema 0015): every export's folder, host and conversations
/// (keys only, never text), recorded before its files are put in place, so that erasing a person
/// can name the folders on disk that still hold their conversations (and flags those exports).
public enum ExportRecords {
    public struct Record: Sendable {
        public var format: String
        public var pipelineVersion: String
        /// Absolute path of the export's folder.
        public var outDirectory: String
        public var trainExamples: Int
        public var validationExamples: Int
        /// Conversation keys of both splits.
        public var conversations: [String]

        public init(format: String, pipelineVersion: String, outDirectory: String, trainExamples: Int, validationExamples: Int, conversations: [String]) {
            self.format = format
            self.pipelineVersion = pipelineVersion
            self.outDirectory = outDirectory
            self.trainExamples = trainExamples
            self.validationExamples = validationExamples
            self.conversations = conversations
        }
    }

    /// Records an export and its conversations in one transaction; returns its id.
    public static func record(_ conn: PGConnection, _ export: Record) throws -> Int64 {
        try conn.transaction { conn in
            let id = try conn.query("""
                INSERT INTO coachspool.exports
                       (format, pipeline_version, out_dir, host, train_examples, validation_examples, conversations)
                VALUES (\(export.format), \(export.pipelineVersion), \(export.outDirectory), \(ProcessInfo.processInfo.hostName),
                        \(export.trainExamples), \(export.validationExamples), \(export.conversations.count))
                RETURNING id
                """).scalar(Int64.self)
            // The conversations locked as a foreign key's checks would lock them (there are none:
            // schema/0023), once per statement and in id order, the order erase_user locks them in.
            let recorded = try conn.query("""
                WITH recorded AS (
                    INSERT INTO coachspool.export_conversations (export_id, conversation_id)
                    SELECT \(id), c.id FROM coachspool.conversations c WHERE c.key = ANY(\(export.conversations)::text[])
                     ORDER BY c.id
                       FOR KEY SHARE OF c
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                )
                SELECT count(*) FROM recorded
                """).scalar(Int.self)
            // Only erase_user deletes conversations: a conversation this export read that is gone
            // now was erased in between, when the lineage trigger could not see this export yet,
            // so the export flags itself.
            if recorded < Set(export.conversations).count {
                try conn.query("UPDATE coachspool.exports SET contains_erased_data = true WHERE id = \(id)")
            }
            return id
        }
    }

    /// An export that held someone's conversations: where its files are.
    public struct Location: Sendable, Equatable {
        public var id: Int64
        public var host: String
        public var outDirectory: String
    }

    /// The exports whose files hold `user`'s conversations (call before erasing them).
    public static func exports(ofUser user: String, _ conn: PGConnection) throws -> [Location] {
        try conn.query("SELECT id, host, out_dir FROM coachspool.exports_of_user(\(user))").map {
            Location(id: try $0.decode(Int64.self, at: 0), host: try $0.decode(String.self, at: 1), outDirectory: try $0.decode(String.self, at: 2))
        }
    }
}
