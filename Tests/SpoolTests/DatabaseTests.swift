import Testing

/// Every suite that talks to PostgreSQL nests in here and runs one test at a time: several of
/// them kill processes or restart the server, and timing-sensitive tests must not share two
/// cores with a parallel stress test.
@Suite(.serialized) enum DatabaseTests {}
