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
            TrainCommand.self, RunsCommand.self, EvalCommand.self, ServeCommand.self, HardwareCommand.self,
        ])

    public init() {}

    /// Runs the command line. A `CoachSpoolError` ends the process with its code's documented
    /// exit status and one `error:` line; usage errors stay ArgumentParser's (exit 64).
    public static func runMain() async {
        do {
            var command = try parseAsRoot()
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
            if message.hasPrefix("Missing value"), CommandLine.arguments.contains(where: { $0.range(of: #"^-[0-9.]+$"#, options: .regularExpression) != nil }) {
                message += " (a negative number is read as an option: write it after =, as in -k=-1)"
            }
            let usage = status.rawValue == ExitCode.validationFailure.rawValue ? " (see coachspool help)" : ""
            printError("error: \(message.split(separator: "\n").joined(separator: "; "))\(usage)")
            Foundation.exit(status.rawValue)
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
