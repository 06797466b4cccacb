import CoachSpoolCore
import Foundation
import LibPQ
import Logging
import Queue

/// A producer's connection, replaced when the database goes away.
///
/// `run` retries its body on a new connection after a connection problem — a cut link, a
/// restart, a failover (the old primary or a standby answering 25006, or refusing a read-write
/// session) — for at most `patience` per call, with one warning per outage (`OutageLog`). Through
/// a multi-host URL the new connection finds the writable host. The body must be idempotent: if
/// the lost answer was a committed COMMIT, it runs again (ingest batches are: their lines come
/// back as duplicates). A failure no retry can mend (a wrong password, an unknown database or
/// host) is thrown at once.
public final class ReconnectingConnection {
    private let connect: @Sendable () throws -> PGConnection
    private let patience: Duration
    private let logger: Logger
    private var connection: PGConnection?
    private var outage = OutageLog()
    /// Bumped on every new connection, so that state kept per connection (a temporary table)
    /// can tell it must be made again.
    public private(set) var generation = 0

    public init(connect: @escaping @Sendable () throws -> PGConnection, patience: Duration, logger: Logger) {
        self.connect = connect
        self.patience = patience
        self.logger = logger
    }

    public func run<T>(_ body: (PGConnection) throws -> T) throws -> T {
        let clock = ContinuousClock()
        let started = clock.now
        var backoff = Backoff()
        while true {
            do {
                let conn = try connection ?? open()
                let result = try body(conn)
                outage.recovered("connected to a writable database again", logger: logger)
                return result
            } catch let error as PGError {
                connection = nil
                guard error.isWorthReconnecting, clock.now - started < patience else { throw error }
                outage.failed(error, "the database is away; retrying on a new connection", logger: logger)
                Thread.sleep(forTimeInterval: backoff.next())
            }
        }
    }

    private func open() throws -> PGConnection {
        let conn = try connect()
        connection = conn
        generation += 1
        return conn
    }
}
