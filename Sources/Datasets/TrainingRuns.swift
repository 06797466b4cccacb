import Foundation
import LibPQ

/// Training runs in `coachspool.training_runs` (schema 0008): recorded when `coachspool train`
/// starts, finished with the trainer's figures, and flagged when someone they learnt from is erased.
public enum TrainingRuns {
    /// The advisory-lock class a running run holds (with its id) for as long as its process lives.
    static let lockClass: Int32 = 7301

    public enum Status: String, Sendable { case running, succeeded, failed, interrupted }

    /// What a run is about to train on, recorded before the trainer starts.
    public struct Start: Sendable {
        public var method: String
        public var baseModel: String
        public var baseModelConfigSHA256: String
        /// JSON object text.
        public var hyperparameters: String
        public var datasetFormat: String
        public var pipelineVersion: String?
        public var manifestSHA256: String
        /// JSON object text: file name → SHA-256.
        public var filesSHA256: String
        public var outDirectory: String
        /// Conversation keys of the train split (lineage); unknown keys are skipped.
        public var trainConversations: [String]
        /// Conversation keys of the validation split: the held-out questions of `eval answers`.
        public var validationConversations: [String]

        public init(
            method: String, baseModel: String, baseModelConfigSHA256: String, hyperparameters: String, datasetFormat: String,
            pipelineVersion: String?, manifestSHA256: String, filesSHA256: String, outDirectory: String, trainConversations: [String],
            validationConversations: [String] = []
        ) {
            self.method = method
            self.baseModel = baseModel
            self.baseModelConfigSHA256 = baseModelConfigSHA256
            self.hyperparameters = hyperparameters
            self.datasetFormat = datasetFormat
            self.pipelineVersion = pipelineVersion
            self.manifestSHA256 = manifestSHA256
            self.filesSHA256 = filesSHA256
            self.outDirectory = outDirectory
            self.trainConversations = trainConversations
            self.validationConversations = validationConversations
        }
    }

    /// Marks runs whose process is gone as interrupted; returns their ids.
    @discardableResult
    public static func reap(_ conn: PGConnection) throws -> [Int64] {
        try conn.query("SELECT coachspool.reap_training_runs()").map { try $0.decode(Int64.self, at: 0) }
    }

    /// Records a running run and its lineage, and takes the run's advisory lock on `conn`, which
    /// must stay open until the run is finished (its loss marks the run interrupted for the next
    /// `reap`; the lock goes with the connection).
    /// Returns the run id and how many train conversations were recorded.
    public static func start(_ conn: PGConnection, _ run: Start) throws -> (id: Int64, conversations: Int) {
        try reap(conn)
        return try conn.transaction { conn in
            let id = try conn.query("""
                INSERT INTO coachspool.training_runs
                       (method, base_model, base_model_config_sha256, hyperparameters, dataset_format, pipeline_version,
                        manifest_sha256, files_sha256, out_dir, host, pid)
                VALUES (\(run.method), \(run.baseModel), \(run.baseModelConfigSHA256), \(run.hyperparameters)::jsonb,
                        \(run.datasetFormat), \(run.pipelineVersion), \(run.manifestSHA256), \(run.filesSHA256)::jsonb,
                        \(run.outDirectory), \(ProcessInfo.processInfo.hostName), \(Int(getpid())))
                RETURNING id
                """).scalar(Int64.self)
            let conversations = try conn.query("""
                WITH added AS (
                    INSERT INTO coachspool.training_run_conversations (run_id, conversation_id)
                    SELECT \(id), c.id FROM coachspool.conversations c WHERE c.key = ANY(\(run.trainConversations)::text[])
                    ON CONFLICT DO NOTHING RETURNING 1)
                SELECT count(*) FROM added
                """).scalar(Int.self)
            _ = try conn.query("""
                INSERT INTO coachspool.training_run_validation_conversations (run_id, conversation_id)
                SELECT \(id), c.id FROM coachspool.conversations c WHERE c.key = ANY(\(run.validationConversations)::text[])
                ON CONFLICT DO NOTHING
                """)
            _ = try conn.query("SELECT pg_advisory_lock(\(lockClass), \(Int32(truncatingIfNeeded: id)))")
            return (id, conversations)
        }
    }

    /// Ends a run: its status, the report's figures (JSON object text) or the error, the adapter.
    /// Any connection will do: a run reaped as interrupted meanwhile gets its real end.
    public static func finish(
        _ conn: PGConnection, id: Int64, status: Status, metrics: String? = nil, error: String? = nil,
        adapterPath: String? = nil, adapterSHA256: String? = nil
    ) throws {
        _ = try conn.query("""
            UPDATE coachspool.training_runs
               SET status = \(status.rawValue), metrics = \(metrics)::jsonb, error = \(error), adapter_path = \(adapterPath),
                   adapter_sha256 = \(adapterSHA256), finished_at = now()
             WHERE id = \(id)
            """)
    }

    /// One line of `coachspool runs list` (the `training_run_overview` view).
    public struct Summary: Sendable {
        public var id: Int64
        public var status: String
        public var method: String
        public var baseModel: String
        public var datasetFormat: String
        public var baselineEvalLoss: Double?
        public var evalLoss: Double?
        public var trainConversations: Int
        public var containsErasedData: Bool
        public var startedAt: String
    }

    public static func list(_ conn: PGConnection) throws -> [Summary] {
        try reap(conn)
        return try conn.query("""
            SELECT id, status, method, base_model, dataset_format, baseline_eval_loss, eval_loss, train_conversations,
                   contains_erased_data, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
              FROM coachspool.training_run_overview
            """).map { row in
            Summary(
                id: try row.decode(Int64.self, at: 0), status: try row.decode(String.self, at: 1), method: try row.decode(String.self, at: 2),
                baseModel: try row.decode(String.self, at: 3), datasetFormat: try row.decode(String.self, at: 4),
                baselineEvalLoss: try row.decode(Double?.self, at: 5), evalLoss: try row.decode(Double?.self, at: 6),
                trainConversations: try row.decode(Int.self, at: 7), containsErasedData: try row.decode(Bool.self, at: 8),
                startedAt: try row.decode(String.self, at: 9))
        }
    }

    /// One run as a JSON object (every column), or nil when there is none with that id.
    public static func show(_ conn: PGConnection, id: Int64) throws -> String? {
        try reap(conn)
        let rows = try conn.query("""
            SELECT jsonb_pretty(to_jsonb(r) || jsonb_build_object('train_conversations',
                   (SELECT count(*) FROM coachspool.training_run_conversations l WHERE l.run_id = r.id)))
              FROM coachspool.training_runs r WHERE r.id = \(id)
            """)
        return rows.count == 0 ? nil : try rows[0].decode(String.self, at: 0)
    }

    /// The runs that learnt from `user`'s conversations (call before erasing them).
    public static func runs(ofUser user: String, _ conn: PGConnection) throws -> [Int64] {
        try conn.query("SELECT coachspool.training_runs_of_user(\(user))").map { try $0.decode(Int64.self, at: 0) }
    }
}
