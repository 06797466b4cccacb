import Foundation
import LibPQ

/// What the console's pages read, each a bounded query: no page load counts a table of millions
/// (the lesson of River UI and Oban Web on large job tables). Small job tables are counted
/// exactly through the admin view `queue_status_by_kind`; beyond `exactCountLimit` rows (the
/// planner's estimate) see `largeStageCounts`.
enum ConsoleData {
    static let exactCountLimit = 200_000.0
    /// Dead jobs are counted exactly up to this many, from their own partial index (0019).
    static let deadCap = 10_000
    /// Ready jobs and jobs waiting for a retry are counted up to this many before the planner's
    /// estimate stands in for them.
    static let cap = 1_000
    /// How long counting may take on a page: each capped count has `statementTimeout`; the
    /// Overview's ready and waiting figures share `budget` (those not reached in it show the
    /// estimate; dead counts, from their own index, always run).
    struct CountingTime: Sendable {
        var budget: Duration = .milliseconds(120)
        var statementTimeout: Duration = .milliseconds(50)
    }

    /// A count: exact, at least (a cap reached), the planner's estimate, what the live workers
    /// reported holding at their last heartbeats, or not counted.
    enum Count: Equatable {
        case exact(Int)
        case atLeast(Int)
        case estimate(Int)
        case byHeartbeat(Int)
        case notCounted

        var text: String {
            switch self {
            case .exact(let n): n.formatted()
            case .atLeast(let n): "≥ " + n.formatted()
            case .estimate(let n): "≈ " + n.formatted()
            case .byHeartbeat(let n): n.formatted()
            case .notCounted: "–"
            }
        }
    }

    struct StageCounts: Equatable {
        var kind: String
        var ready: Count
        var running: Count
        var retrying: Count
        var dead: Count
    }

    /// The job states the console filters by: `retrying` is ready with a later `run_at`.
    enum JobState: String, CaseIterable {
        case ready, running, retrying, dead

        /// The condition, on table alias `j`.
        var condition: String {
            switch self {
            case .ready: "j.state = 'ready' AND j.run_at <= now()"
            case .running: "j.state = 'running'"
            case .retrying: "j.state = 'ready' AND j.run_at > now()"
            case .dead: "j.state = 'dead'"
            }
        }
    }

    /// Per stage and state: exact below `exactBelow` jobs (the planner's estimate of the table).
    static func stageCounts(_ conn: PGConnection, exactBelow: Double = exactCountLimit, time: CountingTime = CountingTime()) throws -> [StageCounts] {
        if try conn.query("SELECT reltuples::float8 FROM pg_class WHERE oid = 'coachspool.jobs'::regclass").scalar(Double.self) < exactBelow {
            return try conn.query("SELECT kind, ready, running, retrying, dead FROM coachspool.queue_status_by_kind ORDER BY kind").map {
                StageCounts(
                    kind: try $0.decode(String.self, at: 0), ready: .exact(try $0.decode(Int.self, at: 1)),
                    running: .exact(try $0.decode(Int.self, at: 2)), retrying: .exact(try $0.decode(Int.self, at: 3)),
                    dead: .exact(try $0.decode(Int.self, at: 4)))
            }
        }
        return try largeStageCounts(conn, time: time)
    }

    /// The kinds present, by a loose index scan of (kind, source_id): one probe per kind.
    static func kinds(_ conn: PGConnection) throws -> [String] {
        try conn.query("""
            WITH RECURSIVE k(kind) AS (
                SELECT min(kind) FROM coachspool.jobs
                UNION ALL
                SELECT (SELECT min(j.kind) FROM coachspool.jobs j WHERE j.kind > k.kind) FROM k WHERE k.kind IS NOT NULL)
            SELECT kind FROM k WHERE kind IS NOT NULL
            """).map { try $0.decode(String.self, at: 0) }
    }

    /// A large job table: dead jobs exactly up to `deadCap` from their partial index (index
    /// entries only); ready and retrying jobs counted up to `cap` where the planner expects few,
    /// its estimate (`≈`) where it expects more or the budget is spent; running jobs as the live
    /// workers reported them at their last heartbeats (`running_by_heartbeat`, 0020) — they have
    /// no index (claims stay fast), so counting them would read the table;
    /// `queue_status_by_kind` counts everything exactly when someone needs it.
    private static func largeStageCounts(_ conn: PGConnection, time: CountingTime) throws -> [StageCounts] {
        let started = ContinuousClock.now
        func figure(_ kind: String, _ state: JobState, cap: Int) throws -> Count {
            // Dead jobs always: their index holds nothing else, so the count stays small.
            if state == .dead {
                return try capped(conn, kind: kind, state: state, cap: cap, timeout: time.statementTimeout)
                    ?? .estimate(try estimatedRows(conn, kind: kind, state: state))
            }
            let estimate = try estimatedRows(conn, kind: kind, state: state)
            guard estimate < 10 * cap, ContinuousClock.now - started < time.budget else { return .estimate(estimate) }
            return try capped(conn, kind: kind, state: state, cap: cap, timeout: time.statementTimeout) ?? .estimate(estimate)
        }
        let running = Dictionary(uniqueKeysWithValues: try conn.query("SELECT kind, running FROM coachspool.running_by_heartbeat").map {
            (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1))
        })
        return try kinds(conn).map { kind in
            StageCounts(kind: kind, ready: try figure(kind, .ready, cap: cap), running: .byHeartbeat(running[kind] ?? 0),
                        retrying: try figure(kind, .retrying, cap: cap), dead: try figure(kind, .dead, cap: deadCap))
        }
    }

    /// The planner's estimate of the jobs of a kind in a state (the statistics of the last ANALYZE,
    /// with 0019's statistics on kind and state together): a plan, no rows read.
    private static func estimatedRows(_ conn: PGConnection, kind: String, state: JobState) throws -> Int {
        let plan = try conn.query(PGQuery(
            unsafeSQL: "EXPLAIN (FORMAT JSON) SELECT 1 FROM coachspool.jobs j WHERE j.kind = $1 AND \(state.condition)",
            binds: [kind])).scalar(String.self)
        let rows = ((try? JSONSerialization.jsonObject(with: Data(plan.utf8))) as? [[String: Any]])?.first
            .flatMap { $0["Plan"] as? [String: Any] }?["Plan Rows"] as? Double
        return Int(rows ?? 0)
    }

    /// Counts up to `cap` (`≥ cap` beyond) under a short statement timeout; nil when it ran out.
    private static func capped(_ conn: PGConnection, kind: String, state: JobState, cap: Int, timeout: Duration) throws -> Count? {
        try capped(conn, cap: cap, timeout: timeout, PGQuery(
            unsafeSQL: "SELECT count(*) FROM (SELECT 1 FROM coachspool.jobs j WHERE j.kind = $1 AND \(state.condition) LIMIT \(cap + 1)) x",
            binds: [kind]))
    }

    /// The items waiting for review, counted up to 1,000: the queue is a view (consent, verdict,
    /// feedback, decisions per interaction), walked newest first until enough are found.
    static func waitingForReview(_ conn: PGConnection) throws -> Count {
        try capped(conn, cap: 1_000, timeout: CountingTime().statementTimeout,
                   "SELECT count(*) FROM (SELECT 1 FROM coachspool.review_queue LIMIT 1001) x") ?? .notCounted
    }

    /// `query` counts at most `cap + 1` rows, within `timeout` (nil when it ran out).
    private static func capped(_ conn: PGConnection, cap: Int, timeout: Duration, _ query: PGQuery) throws -> Count? {
        try within(timeout, conn) { conn in
            let n = try conn.query(query).scalar(Int.self)
            return n > cap ? .atLeast(cap) : .exact(n)
        }
    }

    /// Runs `body` in a transaction whose statements may take `timeout` each; nil when one ran
    /// out (the transaction is rolled back and the connection stays usable).
    private static func within<T>(_ timeout: Duration, _ conn: PGConnection, _ body: (PGConnection) throws -> T) throws -> T? {
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        do {
            return try conn.transaction { conn in
                try conn.query(PGQuery(unsafeSQL: "SET LOCAL statement_timeout = \(max(1, milliseconds))", binds: []))
                return try body(conn)
            }
        } catch let error as PGError where error.sqlState == PGError.SQLState.queryCanceled {
            return nil
        }
    }

    /// Rows each stage wrote per minute over the last hour (the BRIN indexes of 0018).
    static func throughput(_ conn: PGConnection) throws -> [String: [(minute: Int, rows: Int)]] {
        let rows = try conn.query("""
            WITH since AS (SELECT now() - interval '60 minutes' AS t)
            SELECT 'interaction', floor(extract(epoch FROM now() - processed_at) / 60)::int, count(*)
              FROM coachspool.interaction_texts, since WHERE processed_at > since.t GROUP BY 2
            UNION ALL
            SELECT 'conversation', floor(extract(epoch FROM now() - built_at) / 60)::int, count(*)
              FROM coachspool.conversation_builds, since WHERE built_at > since.t GROUP BY 2
            UNION ALL
            SELECT 'memory', floor(extract(epoch FROM now() - embedded_at) / 60)::int, count(*)
              FROM coachspool.memories, since WHERE embedded_at > since.t GROUP BY 2
            UNION ALL
            SELECT 'embed', floor(extract(epoch FROM now() - embedded_at) / 60)::int, count(*)
              FROM coachspool.chunks, since WHERE embedded_at > since.t GROUP BY 2
            """)
        var series: [String: [(minute: Int, rows: Int)]] = [:]
        for row in rows {
            series[try row.decode(String.self, at: 0), default: []].append((minute: -(try row.decode(Int.self, at: 1)), rows: try row.decode(Int.self, at: 2)))
        }
        return series.mapValues { $0.sorted { $0.minute < $1.minute } }
    }

    struct Worker {
        var id: String
        var host: String
        var concurrency: Int
        var sinceHeartbeat: Double
        var live: Bool
    }

    static func workers(_ conn: PGConnection) throws -> [Worker] {
        try conn.query("""
            (SELECT id, host, concurrency, extract(epoch FROM since_heartbeat)::float8, true FROM coachspool.live_workers ORDER BY started_at DESC LIMIT 50)
            UNION ALL
            (SELECT id, host, concurrency, extract(epoch FROM since_heartbeat)::float8, false FROM coachspool.gone_workers ORDER BY last_heartbeat DESC LIMIT 10)
            """).map {
            Worker(id: try $0.decode(String.self, at: 0), host: try $0.decode(String.self, at: 1), concurrency: try $0.decode(Int.self, at: 2),
                   sinceHeartbeat: try $0.decode(Double.self, at: 3), live: try $0.decode(Bool.self, at: 4))
        }
    }

    struct Space {
        var id: Int
        var embedder: String
        var model: String
        var active: Bool
        var indexState: String
        var indexValid: Bool?
    }

    static func spaces(_ conn: PGConnection) throws -> [Space] {
        try conn.query("""
            SELECT s.id, s.embedder, s.model, s.is_active, i.index_state, i.index_valid
              FROM coachspool.embedding_spaces s JOIN coachspool.space_indexes i ON i.space_id = s.id ORDER BY s.id
            """).map {
            Space(id: try $0.decode(Int.self, at: 0), embedder: try $0.decode(String.self, at: 1), model: try $0.decode(String.self, at: 2),
                  active: try $0.decode(Bool.self, at: 3), indexState: try $0.decode(String.self, at: 4), indexValid: try $0.decode(Bool?.self, at: 5))
        }
    }

    struct Job {
        var id: Int64
        var kind: String
        var sourceID: Int64
        var attempt: Int
        var maxAttempts: Int
        var runAt: Date
        var lastError: String?
    }

    /// How long the Jobs page searches: dead, ready and retrying jobs come from an index in a few
    /// milliseconds at 10 M jobs; running ones have none and are found by a scan, which may stop here.
    static let jobSearchTimeout: Duration = .seconds(1)

    /// One page of jobs of a state (and kind), newest first, before `before` (keyset); nil when
    /// the search ran out of `jobSearchTimeout`.
    static func jobs(_ conn: PGConnection, kind: String?, state: JobState, before: Int64?, limit: Int = 50) throws -> [Job]? {
        try within(jobSearchTimeout, conn) { conn in
            try conn.query(PGQuery(
                unsafeSQL: """
                    SELECT j.id, j.kind, j.source_id, j.attempt, j.max_attempts, extract(epoch FROM j.run_at)::float8, j.last_error
                      FROM coachspool.jobs j
                     WHERE \(state.condition) AND ($1::text IS NULL OR j.kind = $1) AND ($2::bigint IS NULL OR j.id < $2)
                     ORDER BY j.id DESC LIMIT \(limit)
                    """,
                binds: [kind, before.map(String.init)])).map {
                Job(id: try $0.decode(Int64.self, at: 0), kind: try $0.decode(String.self, at: 1), sourceID: try $0.decode(Int64.self, at: 2),
                    attempt: try $0.decode(Int.self, at: 3), maxAttempts: try $0.decode(Int.self, at: 4),
                    runAt: Date(timeIntervalSince1970: try $0.decode(Double.self, at: 5)), lastError: try $0.decode(String?.self, at: 6))
            }
        }
    }

    struct Run {
        var id: Int64
        var status: String
        var method: String
        var baseModel: String
        var format: String
        var baselineLoss: Double?
        var evalLoss: Double?
        var erased: Bool
        var started: Date
        var train: [(Double, Double)]
        var validation: [(Double, Double)]
    }

    static func runs(_ conn: PGConnection, limit: Int = 20) throws -> [Run] {
        try conn.query("""
            SELECT r.id, r.status, r.method, r.base_model, r.dataset_format, o.baseline_eval_loss, o.eval_loss, r.contains_erased_data,
                   extract(epoch FROM r.started_at)::float8, coalesce(r.metrics -> 'loss_curve', '{}')::text
              FROM coachspool.training_runs r JOIN coachspool.training_run_overview o ON o.id = r.id
             ORDER BY r.id DESC LIMIT \(limit)
            """).map { row in
            let curve = try JSONSerialization.jsonObject(with: Data(try row.decode(String.self, at: 9).utf8)) as? [String: Any] ?? [:]
            func points(_ key: String) -> [(Double, Double)] {
                (curve[key] as? [[Double]] ?? []).compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
            }
            return Run(
                id: try row.decode(Int64.self, at: 0), status: try row.decode(String.self, at: 1), method: try row.decode(String.self, at: 2),
                baseModel: try row.decode(String.self, at: 3), format: try row.decode(String.self, at: 4),
                baselineLoss: try row.decode(Double?.self, at: 5), evalLoss: try row.decode(Double?.self, at: 6),
                erased: try row.decode(Bool.self, at: 7), started: Date(timeIntervalSince1970: try row.decode(Double.self, at: 8)),
                train: points("train"), validation: points("validation"))
        }
    }

    struct AnswerEval {
        var id: Int64
        var created: Date
        var system: String
        var questions: Int
        var metrics: [(String, Double?)]
    }

    static func answerEvals(_ conn: PGConnection, limit: Int = 20) throws -> [AnswerEval] {
        try conn.query("""
            SELECT id, extract(epoch FROM created_at)::float8, system, questions, loss, perplexity, cosine, chrf, win_rate
              FROM coachspool.answer_eval_history LIMIT \(limit)
            """).map { row in
            AnswerEval(
                id: try row.decode(Int64.self, at: 0), created: Date(timeIntervalSince1970: try row.decode(Double.self, at: 1)),
                system: try row.decode(String?.self, at: 2) ?? "", questions: try row.decode(Int.self, at: 3),
                metrics: try ["loss", "perplexity", "cosine", "chrF", "win rate"].enumerated().map { ($1, try row.decode(Double?.self, at: 4 + $0)) })
        }
    }

    struct Evaluation {
        var id: Int64
        var created: Date
        var mode: String
        var spaceID: Int
        var ndcg: Double?
        var recall5: Double?
    }

    static func evaluations(_ conn: PGConnection, limit: Int = 200) throws -> [Evaluation] {
        try conn.query("""
            SELECT id, extract(epoch FROM created_at)::float8, mode, space_id, ndcg_10, recall_5 FROM coachspool.eval_history LIMIT \(limit)
            """).map {
            Evaluation(id: try $0.decode(Int64.self, at: 0), created: Date(timeIntervalSince1970: try $0.decode(Double.self, at: 1)),
                       mode: try $0.decode(String.self, at: 2), spaceID: try $0.decode(Int.self, at: 3),
                       ndcg: try $0.decode(Double?.self, at: 4), recall5: try $0.decode(Double?.self, at: 5))
        }
    }
}
