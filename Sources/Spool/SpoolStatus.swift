import LibPQ
import Queue
import Stages

/// What `coachspool status` shows; the same numbers as the admin views.
public struct SpoolStatus: Sendable, Encodable {
    public struct Queue: Sendable, Encodable {
        public var ready: Int
        public var running: Int
        public var retrying: Int
        public var dead: Int
        /// Seconds the oldest ready job has waited, nil when none is ready.
        public var oldestReadySeconds: Double?
    }

    public struct LiveWorker: Sendable, Encodable {
        public var id: String
        public var concurrency: Int
        public var secondsSinceHeartbeat: Double
    }

    public struct Verdicts: Sendable, Encodable {
        public var pipelineVersion: String
        public var accepted: Int
        public var rejected: Int
    }

    public struct Texts: Sendable, Encodable {
        public var textVersion: String
        public var interactions: Int
        public var entitiesRemoved: Int
        public var tokens: Int
    }

    /// Knowledge documents of one language (`Language.label` of the given, else detected, one).
    public struct DocumentLanguage: Sendable, Encodable, Equatable {
        public var language: String
        public var documents: Int
        /// Of them, those whose language the workers detected (none was given).
        public var detected: Int
    }

    public var queue: Queue
    /// Heartbeat younger than the worker's lease.
    public var workers: [LiveWorker]
    /// Stopped, or heartbeat older than the lease (killed, cut off): listed for
    /// `WorkerRegistry.goneRetentionSeconds`, then pruned by a live worker.
    public var goneWorkers: [WorkerRegistry.Gone]
    public var interactions: Int
    public var verdicts: [Verdicts]
    public var texts: [Texts]
    /// Knowledge documents per language, most first.
    public var documents: [DocumentLanguage]
    /// The node that answered (a standby when the read URL prefers one) and its lag.
    public var replication: ReplicationStatus

    /// Reads the status. Read only: it writes nothing, so it runs as any role and on a standby.
    public static func read(_ conn: PGConnection) throws -> SpoolStatus {
        let replication = try ReplicationStatus.read(conn)
        let q = try conn.query("""
            SELECT ready, running, retrying, dead, extract(epoch FROM oldest_ready_age)::float8
              FROM coachspool.queue_status
            """)[0]
        let queue = Queue(
            ready: try q.decode(Int.self, at: 0), running: try q.decode(Int.self, at: 1),
            retrying: try q.decode(Int.self, at: 2), dead: try q.decode(Int.self, at: 3),
            oldestReadySeconds: try q.decode(Double?.self, at: 4))
        let workers = try conn.query("""
            SELECT id, concurrency, extract(epoch FROM since_heartbeat)::float8
              FROM coachspool.live_workers ORDER BY id
            """).map {
            LiveWorker(id: try $0.decode(String.self, at: 0), concurrency: try $0.decode(Int.self, at: 1),
                       secondsSinceHeartbeat: try $0.decode(Double.self, at: 2))
        }
        let verdicts = try conn.query("""
            SELECT pipeline_version, count(*) FILTER (WHERE accepted), count(*) FILTER (WHERE NOT accepted)
              FROM coachspool.quality_verdicts GROUP BY pipeline_version ORDER BY pipeline_version
            """).map {
            Verdicts(pipelineVersion: try $0.decode(String.self, at: 0), accepted: try $0.decode(Int.self, at: 1),
                     rejected: try $0.decode(Int.self, at: 2))
        }
        let texts = try conn.query("""
            SELECT text_version, count(*), coalesce(sum(entities), 0)::bigint,
                   coalesce(sum(user_input_tokens + ai_response_tokens), 0)::bigint
              FROM coachspool.interaction_texts GROUP BY text_version ORDER BY text_version
            """).map {
            Texts(textVersion: try $0.decode(String.self, at: 0), interactions: try $0.decode(Int.self, at: 1),
                  entitiesRemoved: try $0.decode(Int.self, at: 2), tokens: try $0.decode(Int.self, at: 3))
        }
        let interactions = try conn.query("SELECT count(*) FROM coachspool.interactions").scalar(Int.self)
        var documents: [String: DocumentLanguage] = [:]
        for row in try conn.query("""
            SELECT coachspool.document_language(language, detected_language), count(*),
                   count(*) FILTER (WHERE language IS NULL AND detected_language IS NOT NULL)
              FROM coachspool.documents GROUP BY 1
            """) {
            let label = Language.label(try row.decode(String?.self, at: 0))
            documents[label, default: DocumentLanguage(language: label, documents: 0, detected: 0)].documents += try row.decode(Int.self, at: 1)
            documents[label]!.detected += try row.decode(Int.self, at: 2)
        }
        let goneWorkers = try WorkerRegistry.gone(conn)
        return SpoolStatus(
            queue: queue, workers: workers, goneWorkers: goneWorkers, interactions: interactions, verdicts: verdicts, texts: texts,
            documents: documents.values.sorted { ($1.documents, $0.language) < ($0.documents, $1.language) }, replication: replication)
    }
}
