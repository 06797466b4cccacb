import CoachSpoolCore
import Dispatch
import Foundation
import LibPQ

/// A few database connections shared by the API's requests: each request borrows one on a
/// thread of its own (`Blocking.run`), so libpq never blocks the cooperative pool. At most `size`
/// are in use; a broken connection (or one that answered as a standby) is dropped and replaced
/// on a later borrow.
final class ConnectionPool: @unchecked Sendable {
    // Safe to share: `idle` is only touched under `lock`; a borrowed connection is used by one
    // thread until it is given back.
    private let conninfo: String
    private let lock = NSLock()
    private var idle: [PGConnection] = []
    private let slots: DispatchSemaphore

    init(conninfo: String, size: Int) {
        self.conninfo = conninfo
        self.slots = DispatchSemaphore(value: max(1, size))
    }

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await Blocking.run(name: "coachspool-api-db") { [self] in
            slots.wait()
            defer { slots.signal() }
            let conn = try take() ?? PGConnection(conninfo: conninfo, applicationName: "coachspool-api")
            var keep = true
            defer { if keep { giveBack(conn) } }
            do {
                return try body(conn)
            } catch {
                // After a failover the old primary may answer 25006 on a live connection: drop it,
                // so the next borrow connects anew and a multi-host URL finds the writable host.
                if (error as? PGError)?.isConnectionProblem == true { keep = false }
                throw error
            }
        }
    }

    /// True when a query gets through: the readiness probe.
    func isReachable() async -> Bool {
        (try? await withConnection { try $0.query("SELECT 1").scalar(Int.self) == 1 }) ?? false
    }

    private func take() -> PGConnection? {
        lock.lock()
        defer { lock.unlock() }
        while let conn = idle.popLast() {
            if conn.isHealthy { return conn }
        }
        return nil
    }

    private func giveBack(_ conn: PGConnection) {
        guard conn.isHealthy else { return }
        lock.lock()
        idle.append(conn)
        lock.unlock()
    }
}
