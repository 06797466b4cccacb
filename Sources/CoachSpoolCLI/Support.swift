import Foundation
import LibPQ
import Logging
import Spool

/// Runs blocking work (libpq calls) on a thread of its own, never on Swift's cooperative pool.
func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Logging goes to stderr, once per process; stdout is for results.
enum LoggingSetup {
    private static let once: Void = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
    }()

    static func logger(_ label: String, level: String?) -> Logger {
        _ = once
        var logger = Logger(label: label)
        let name = level ?? ProcessInfo.processInfo.environment["COACHSPOOL_LOG_LEVEL"] ?? "info"
        logger.logLevel = Logger.Level(rawValue: name.lowercased()) ?? .info
        return logger
    }
}

/// Opens a connection for a command, with the resolved database URL.
func openConnection(application: String) throws -> PGConnection {
    try PGConnection(conninfo: try DatabaseURL.resolve(), applicationName: application)
}

/// Writes a line to stderr (messages for people; stdout carries results).
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
