import CoachSpoolCore
import ArgumentParser
import Foundation
import Spool

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the schema/NNNN_name.sql files not yet applied, in order, each once.",
        discussion: "Safe to run from many processes at once: an advisory lock lets one apply, the others wait.")

    @OptionGroup var common: CommonOptions

    @Option(help: "The schema directory (default: COACHSPOOL_SCHEMA_DIR, ./schema, or beside the binary).")
    var schemaDir: String?

    func run() async throws {
        let logger = LoggingSetup.logger("coachspool.migrate")
        let directory = try SchemaLocator.locate(explicit: schemaDir)
        let applied = try await Blocking.run {
            let conn = try openConnection(application: "coachspool-migrate")
            return try Migrator(directory: directory, logger: logger).migrate(conn)
        }
        print(applied.isEmpty ? "schema up to date" : "applied \(applied.joined(separator: ", "))")
    }
}
