import Foundation
import LibPQ
import Logging
import Stages

/// One ingest writer's connection, replaced when the database goes away.
///
/// A batch that fails with a connection problem (a cut link, a restart, a failover: the old
/// primary answering 25006) is stored again on a new connection — through a multi-host URL the
/// new one finds the writable host. That is safe because a batch is idempotent: if the lost
/// answer was a committed COMMIT, its lines come back as duplicates. After `patience` without a
/// stored batch the error is thrown, so an ingest never waits forever; a first connection that
/// fails (a wrong URL or password) is thrown at once.
struct ReconnectingWriter {
    let connect: @Sendable () throws -> PGConnection
    let patience: Duration
    let logger: Logger
    private var ingestor: Ingestor?
    private var outage = OutageLog()
    private var connectedOnce = false

    init(connect: @escaping @Sendable () throws -> PGConnection, patience: Duration, logger: Logger) {
        self.connect = connect
        self.patience = patience
        self.logger = logger
    }

    mutating func store(_ records: [InteractionRecord], origin: String) throws -> (accepted: Int, duplicates: Int) {
        let clock = ContinuousClock()
        let started = clock.now
        var backoff = 0.2
        while true {
            do {
                if ingestor == nil {
                    ingestor = Ingestor(connection: try connect())
                    connectedOnce = true
                }
                let result = try ingestor!.store(records, origin: origin)
                outage.recovered("ingest: stored again after the database came back", logger: logger)
                return result
            } catch let error as PGError {
                ingestor = nil
                guard connectedOnce, error.isConnectionProblem, clock.now - started < patience else { throw error }
                outage.failed(error, "ingest: the database is away; retrying the batch on a new connection", logger: logger)
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 5)
            }
        }
    }
}
