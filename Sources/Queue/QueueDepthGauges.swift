import LibPQ
import Metrics

import Synchronization

/// `coachspool_queue_jobs{stage, state}`: the jobs table as the database sees it (every worker's
/// work, not only this one's), refreshed by the side channel. A stage whose jobs are all gone
/// reads 0 rather than keeping its last value.
final class QueueDepthGauges: Sendable {
    static let states = ["ready", "running", "retrying", "dead"]
    private let gauges = Mutex<[String: [Gauge]]>([:])

    func refresh(_ conn: PGConnection) throws {
        let rows = try conn.query("SELECT kind, ready, running, retrying, dead FROM coachspool.queue_status_by_kind")
        var counts: [String: [Int64]] = [:]
        for row in rows {
            counts[try row.decode(String.self, at: 0)] = try (1...4).map { try row.decode(Int64.self, at: $0) }
        }
        gauges.withLock { gauges in
            for stage in Set(gauges.keys).union(counts.keys) {
                let stageGauges = gauges[stage] ?? Self.states.map {
                    Gauge(label: "coachspool_queue_jobs", dimensions: [("stage", stage), ("state", $0)])
                }
                gauges[stage] = stageGauges
                let values = counts[stage] ?? [0, 0, 0, 0]
                for (gauge, value) in zip(stageGauges, values) { gauge.record(value) }
            }
        }
    }
}
