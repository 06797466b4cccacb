import CoachSpoolCore
import Foundation
import LibPQ
import Logging
import Spool

/// A primary and a streaming standby of their own, made by the project's `scripts/postgres.sh`
/// (and `standby up`) in a state folder under /tmp; stopped and removed afterwards.
struct ReplicaPair: Sendable {
    let state: URL
    let primaryURL: String
    let standbyURL: String

    /// Both nodes, the writable one found by libpq (`scripts/postgres.sh standby url`).
    var writableURL: String { get async throws { try await lastLine(of: "standby url") } }

    /// The project database on one node, migrated, for the test helpers.
    func database(_ url: String) -> TestDatabase { TestDatabase(name: "coachspool", url: url) }

    /// Runs `body` with a fresh pair whose primary has the migrated schema.
    static func with(sync: Bool, _ body: (ReplicaPair) async throws -> Void) async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("cs-pair-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: state) }
        let bare = ReplicaPair(state: state, primaryURL: "", standbyURL: "")
        do {
            let primary = try await bare.lastLine(of: "up")
            let conn = try PGConnection(conninfo: primary)
            try Migrator(directory: try SchemaLocator.locate(explicit: nil), logger: Logger(label: "test")).migrate(conn)
            let standby = try await bare.lastLine(of: "standby up" + (sync ? " --sync" : ""))
            try await body(ReplicaPair(state: state, primaryURL: primary, standbyURL: standby))
        } catch {
            _ = try? await bare.script("standby down")
            _ = try? await bare.script("down")
            throw error
        }
        _ = try await bare.script("standby down")
        _ = try await bare.script("down")
    }

    /// `scripts/postgres.sh ARGUMENTS` on this pair's state folder: exit status and output.
    func script(_ arguments: String) async throws -> (status: Int32, out: String) {
        let out = state.appendingPathComponent("out-\(UInt32.random(in: 0...UInt32.max)).txt")
        let script = Repository.path("scripts/postgres.sh").path
        let status = try await runShell("COACHSPOOL_STATE_DIR='\(state.path)' COACHSPOOL_PG_PORT= '\(script)' \(arguments) >'\(out.path)' 2>&1")
        return (status, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }

    /// The last line `script` printed (a URL), or an error with its whole output.
    func lastLine(of arguments: String) async throws -> String {
        let (status, out) = try await script(arguments)
        guard status == 0, let last = out.split(separator: "\n").last else {
            throw CoachSpoolError(.io, "scripts/postgres.sh \(arguments) failed (\(status)): \(out)")
        }
        return String(last)
    }

    /// Waits until the standby has replayed everything the primary has written.
    func caughtUp(timeout: Double = 30) async throws -> Bool {
        let primary = try PGConnection(conninfo: primaryURL)
        let target = try primary.query("SELECT pg_current_wal_lsn()::text").scalar(String.self)
        let standby = try PGConnection(conninfo: standbyURL)
        return try await eventually(timeout: timeout, interval: 0.1) {
            try standby.query("SELECT pg_last_wal_replay_lsn() >= \(target)::pg_lsn").scalar(Bool.self)
        }
    }
}
