import ArgumentParser
import Foundation
import LibPQ
import Logging
import Spool

/// Logging goes to stderr; stdout is for results. The level is the command's `--log-level`, else
/// `COACHSPOOL_LOG_LEVEL`, else info, for every logger of the process (the libraries' too), set
/// once before the command runs.
enum LoggingSetup {
    static func bootstrap(level name: String?) {
        let level = (name ?? ProcessInfo.processInfo.environment["COACHSPOOL_LOG_LEVEL"]).flatMap {
            Logger.Level(rawValue: $0.lowercased())
        } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// The `--log-level` of a parsed command: every command has the `CommonOptions` group.
    static func level(of command: any ParsableCommand) -> String? {
        Mirror(reflecting: command).children.lazy.compactMap { ($0.value as? OptionGroup<CommonOptions>)?.wrappedValue.logLevel }.first
    }

    static func logger(_ label: String) -> Logger {
        Logger(label: label)
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

/// `--read-url` of the commands that only read (status, search, rag, recall, export, spaces list,
/// runs, jobs list): a replica may serve them.
struct ReadOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Read from this database (e.g. a multi-host URL with target_session_attrs=prefer-standby) instead of DATABASE_URL; without a password (use COACHSPOOL_READ_URL, COACHSPOOL_READ_URL_FILE or .pgpass for that).",
        valueName: "url"))
    var readUrl: String?

    /// A connection for reading: `--read-url`, else COACHSPOOL_READ_URL(_FILE), else DATABASE_URL.
    func connect(application: String) throws -> PGConnection {
        try PGConnection(conninfo: try DatabaseURL.resolveRead(flag: readUrl), applicationName: application)
    }
}
