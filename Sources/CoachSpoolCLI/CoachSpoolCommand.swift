import ArgumentParser
import CoachSpoolCore
import Foundation
import LibPQ
import Logging

/// The `coachspool` command line.
public struct CoachSpoolCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "coachspool",
        abstract: "Turns AI-coach conversations into training data and a retrieval memory, on PostgreSQL.",
        discussion: """
            The database comes from DATABASE_URL (a URL or conninfo), DATABASE_URL_FILE, or libpq's \
            PG* variables; never from the command line.
            """,
        version: VersionReport.text,
        subcommands: [
            MigrateCommand.self, IngestCommand.self, WorkCommand.self, StatusCommand.self, JobsCommand.self,
            TokensCommand.self, ChunkCommand.self, RedactCommand.self, EmbedCommand.self,
            SpacesCommand.self, SearchCommand.self, RecallCommand.self, RagCommand.self, ConsentCommand.self, ExportCommand.self, EraseCommand.self,
            TrainCommand.self, RunsCommand.self, EvalCommand.self, ReviewCommand.self, ServeCommand.self, HardwareCommand.self,
        ])

    public init() {}

    /// Runs the command line. A `CoachSpoolError` ends the process with its code's documented
    /// exit status and one `error:` line; usage errors stay ArgumentParser's (exit 64).
    public static func runMain() async {
        do {
            var command = try parseTreatingNegativeValues(Array(CommandLine.arguments.dropFirst()))
            LoggingSetup.bootstrap(level: LoggingSetup.level(of: command))
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as CoachSpoolError {
            printError("error: \(error)")
            Foundation.exit(error.code.exitStatus)
        } catch let error as PGError where error.isUndefinedObject {
            // A database that was never migrated, or migrated by an older version.
            printError("error: the database lacks part of the coachspool schema (\(error.message)): run `coachspool migrate`")
            Foundation.exit(CoachSpoolError.Code.schema.exitStatus)
        } catch let error as PGError {
            printError("error: database: \(error)")
            Foundation.exit(1)
        } catch let code as ExitCode {
            // A command's own status (ingest's 3 for rejected lines), already explained.
            Foundation.exit(code.rawValue)
        } catch {
            let status = exitCode(for: error)
            guard status != .success else { exit(withError: error) }  // --help, --version
            // Usage errors are one `error:` line like every other error, with where to look.
            var message = message(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
            if message.hasPrefix("Error: ") { message.removeFirst(7) }
            if message.isEmpty { message = "\(error)" }
            let usage = status.rawValue == ExitCode.validationFailure.rawValue ? " (see coachspool help)" : ""
            printError("error: \(message.split(separator: "\n").joined(separator: "; "))\(usage)")
            Foundation.exit(status.rawValue)
        }
    }
}

extension CoachSpoolCommand {
    /// ArgumentParser reads `-k -1` as the option `-k` without a value followed by an option
    /// `-1`, and says "Missing value", which misleads. When a parse fails so and an option is
    /// followed by a negative number, the number is that option's value (`-k=-1`): parse again,
    /// so that the option's own check answers ("-k must be in 1...1000").
    static func parseTreatingNegativeValues(_ arguments: [String]) throws -> any ParsableCommand {
        do {
            return try parseAsRoot(arguments)
        } catch {
            guard message(for: error).contains("Missing value") else { throw error }
            var joined: [String] = []
            var index = arguments.startIndex
            while index < arguments.endIndex {
                let argument = arguments[index]
                if argument.hasPrefix("-"), !argument.contains("="), Double(argument) == nil, index + 1 < arguments.endIndex,
                   let number = Double(arguments[index + 1]), number < 0 {
                    joined.append(argument + "=" + arguments[index + 1])
                    index += 2
                } else {
                    joined.append(argument)
                    index += 1
                }
            }
            guard joined != arguments else { throw error }
            return try parseAsRoot(joined)
        }
    }
}

/// Options every database command shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "trace|debug|info|notice|warning|error (or COACHSPOOL_LOG_LEVEL); logs go to stderr.")
    var logLevel: String?

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel.lowercased()) == nil {
            throw ValidationError("--log-level: expected trace, debug, info, notice, warning, error or critical")
        }
    }
}
