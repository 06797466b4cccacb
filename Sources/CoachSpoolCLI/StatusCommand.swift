import CoachSpoolCore
import ArgumentParser
import Foundation
import Spool

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Queue counts, live workers and verdicts (the same numbers as the coachspool.queue_status and live_workers views).")

    @OptionGroup var common: CommonOptions
    @OptionGroup var read: ReadOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let status = try await Blocking.run { try SpoolStatus.read(try read.connect(application: "coachspool-status")) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        let q = status.queue
        let age = q.oldestReadySeconds.map { String(format: "%.1fs", $0) } ?? "-"
        print("interactions  \(status.interactions)")
        print("jobs          ready \(q.ready)  running \(q.running)  retrying \(q.retrying)  dead \(q.dead)  oldest ready \(age)")
        print("workers       \(status.workers.count) live, \(status.goneWorkers.count) gone (listed for a day)")
        for w in status.workers {
            print("  \(w.id)  concurrency \(w.concurrency)  last heartbeat \(String(format: "%.1f", w.secondsSinceHeartbeat))s ago")
        }
        for w in status.goneWorkers {
            let how = w.stopped ? "stopped" : "no heartbeat for \(String(format: "%.1f", w.secondsSinceHeartbeat))s"
            print("  \(w.id)  gone: \(how)")
        }
        for v in status.verdicts {
            print("verdicts      \(v.pipelineVersion): accepted \(v.accepted), rejected \(v.rejected)")
        }
        for t in status.texts {
            print("texts         \(t.textVersion): \(t.interactions) redacted, \(t.entitiesRemoved) entities removed, \(t.tokens) cl100k tokens")
        }
        let documents = status.documents.map { "\($0.language) \($0.documents)\($0.detected > 0 ? " (\($0.detected) detected)" : "")" }
        print("documents     \(status.documents.reduce(0) { $0 + $1.documents })\(documents.isEmpty ? "" : ": " + documents.joined(separator: ", "))")
        print(Self.describe(status.replication))
    }

    /// One line for the node that answered, then one per standby of a primary.
    static func describe(_ r: ReplicationStatus) -> String {
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.1fs", $0) } ?? "-" }
        func bytes(_ value: Int?) -> String { value.map { "\($0) B" } ?? "-" }
        let server = r.server ?? "?"
        guard !r.isStandby else {
            return "replication   read from a standby (\(server)), \(r.receiving == true ? "streaming" : "NOT streaming"), replay lag \(seconds(r.replayLagSeconds)), \(bytes(r.replayLagBytes)) not yet replayed"
        }
        var lines = ["replication   read from the primary (\(server)), \(r.standbys.count) standby(s)"]
        for s in r.standbys {
            lines.append("  \(s.name)  \(s.state ?? "-")  \(s.syncState ?? "-")  replay lag \(seconds(s.replayLagSeconds)), \(bytes(s.replayLagBytes))")
        }
        return lines.joined(separator: "\n")
    }
}
