import CoachSpoolCore
import Logging

/// The log of a thread that retries against the database: one warning when it starts failing (or
/// fails differently), one notice when it works again — not one line per retry, which against a
/// standby or a primary that is away floods the log.
public struct OutageLog {
    private var failure: String?

    public init() {}

    public mutating func failed(_ error: any Error, _ message: Logger.Message, logger: Logger, metadata: Logger.Metadata = [:]) {
        let description = "\(error)"
        guard description != failure else { return }
        failure = description
        logger.warning(message, metadata: metadata.merging([LogKey.error: "\(description)"]) { $1 })
    }

    public mutating func recovered(_ message: Logger.Message, logger: Logger, metadata: Logger.Metadata = [:]) {
        guard failure != nil else { return }
        failure = nil
        logger.notice(message, metadata: metadata)
    }
}
