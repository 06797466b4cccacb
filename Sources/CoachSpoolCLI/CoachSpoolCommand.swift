import ArgumentParser

/// The `coachspool` command line.
public struct CoachSpoolCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "coachspool",
        abstract: "Turns AI-coach conversations into training data and a retrieval memory, on PostgreSQL.",
        discussion: """
            The database comes from DATABASE_URL (a URL or conninfo), DATABASE_URL_FILE, or libpq's \
            PG* variables; never from the command line.
            """,
        subcommands: [
            MigrateCommand.self, IngestCommand.self, WorkCommand.self, StatusCommand.self, JobsCommand.self,
            TokensCommand.self, ChunkCommand.self, RedactCommand.self, EmbedCommand.self,
            SpacesCommand.self, SearchCommand.self, RagCommand.self, ConsentCommand.self, ExportCommand.self, EraseCommand.self,
            TrainCommand.self, RunsCommand.self, HardwareCommand.self,
        ])

    public init() {}
}

/// Options every database command shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "trace|debug|info|notice|warning|error (or COACHSPOOL_LOG_LEVEL).")
    var logLevel: String?
}
