import CoachSpoolCore
import ArgumentParser
import Foundation
import Spool

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the database to the current schema: schema/current.sql on a fresh database, then the schema/NNNN_name.sql files not yet applied, in order, each once.",
        discussion: "Safe to run from many processes at once: an advisory lock lets one apply, the others wait.")

    @OptionGroup var common: CommonOptions

    @Option(help: "The schema directory (default: COACHSPOOL_SCHEMA_DIR, ./schema, or beside the binary).")
    var schemaDir: String?

    @Flag(help: "Apply the migration files one by one even on a fresh database, instead of schema/current.sql (how scripts/schema-snapshot.sh builds current.sql).")
    var replayMigrations = false

    func run() async throws {
        let logger = LoggingSetup.logger("coachspool.migrate")
        let directory = try SchemaLocator.locate(explicit: schemaDir)
        let replay = replayMigrations
        let applied = try await Blocking.run {
            let conn = try openConnection(application: "coachspool-migrate")
            var migrator = try Migrator(directory: directory, logger: logger)
            migrator.replayMigrations = replay
            return try migrator.migrate(conn)
        }
        print(applied.isEmpty ? "schema up to date" : "applied \(applied.joined(separator: ", "))")
    }
}
