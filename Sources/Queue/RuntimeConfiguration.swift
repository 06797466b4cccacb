import CoachSpoolCore
import Foundation

/// How the queue runtime runs a worker process: connections, claims, leases, polling, retries,
/// shutdown. Every knob has a default that suits the embedded setup; `coachspool work`'s options
/// start from `Defaults`.
public struct RuntimeConfiguration: Sendable {
    /// The defaults, once: these properties and `coachspool work`'s options start from them.
    public enum Defaults {
        public static let concurrency = 2
        public static let batchSize = 100
        public static let leaseSeconds = 30.0
        public static let pollSeconds = 5.0
        public static let shutdownSeconds = 20.0
        public static let stallSeconds = 10.0
        /// With metrics exported (`work --metrics-port`): one scan of the jobs table per refresh.
        public static let queueDepthSeconds = 15.0
    }

    public var conninfo: String
    /// Claim loops in this process, each with its own connection. Two keep the database busy
    /// while one loop waits for its round trips (claim → ack at batch 100: 40k jobs/s with two
    /// vs 24k with one on the benchmark machine; docs/benchmarks.md).
    public var concurrency = Defaults.concurrency
    /// Jobs per claim.
    public var batchSize = Defaults.batchSize
    /// How long a claim stays ours without a heartbeat; heartbeats come every third of it.
    public var leaseSeconds = Defaults.leaseSeconds
    /// Polling interval when idle; NOTIFY usually wakes the loop sooner.
    public var pollSeconds = Defaults.pollSeconds
    /// Exit once no job is ready, running or waiting for a retry.
    public var drain = false
    /// Graceful shutdown's deadline: the batches in hand get this long to finish; then the
    /// statements still running are cancelled (their leases expire and other workers redo the
    /// jobs), and a process whose statements do not return even then exits anyway.
    public var shutdownSeconds = Defaults.shutdownSeconds
    /// A claim loop's statement running longer than this counts as stalled: readiness fails, the
    /// gauge `coachspool_worker_statements_stalled` shows it, one log line.
    public var stallSeconds = Defaults.stallSeconds
    public var retry = RetryPolicy()
    /// Seconds between refreshes of the queue-depth gauges (a scan of the jobs table per
    /// refresh); `nil`: not measured, as when no metrics are exported.
    public var queueDepthSeconds: Double?
    /// Unique per process: the lease owner written into claimed jobs.
    public var workerID: String

    public init(conninfo: String, workerID: String = RuntimeConfiguration.makeWorkerID()) {
        self.conninfo = conninfo
        self.workerID = workerID
    }

    public static func makeWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host):\(getpid()):\(suffix)"
    }
}

/// Backoff after a failure: base × 2^(attempt−1), capped, with ±50 % jitter so that jobs that
/// failed together (a database blip) do not come back together.
public struct RetryPolicy: Sendable {
    public var baseSeconds = 2.0
    public var maxSeconds = 600.0

    public init() {}

    /// The delay before attempt `attempt + 1` after a failure of attempt `attempt`.
    public func delay(afterAttempt attempt: Int32) -> Double {
        let exponential = baseSeconds * pow(2, Double(max(0, attempt - 1)))
        return min(exponential, maxSeconds) * Double.random(in: 0.5...1.5)
    }
}
