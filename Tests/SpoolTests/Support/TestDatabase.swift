import CoachSpoolCore
import Foundation
import LibPQ
import Logging
import Spool

/// A database of its own for one test: created on the server named by `DATABASE_URL`,
/// migrated with the real `schema/`, dropped afterwards.
struct TestDatabase: Sendable {
    let name: String
    /// The URL child processes get as their `DATABASE_URL`.
    let url: String

    static var serverURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
                throw CoachSpoolError(.configuration, "DATABASE_URL is not set: run the tests through scripts/test.sh")
            }
            return url
        }
    }

    /// Runs `body` with a fresh, migrated database.
    static func with<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        let server = try serverURL
        let db = try create(name: "cs_test_\(UInt32.random(in: 0...UInt32.max))", server: server)
        defer { db.drop(server: server) }
        let conn = try db.connect()
        try Migrator(directory: try SchemaLocator.locate(explicit: nil), logger: Logger(label: "test")).migrate(conn)
        return try await body(db)
    }

    /// An empty database (not migrated); `drop` it when done.
    static func create(name: String, server: String) throws -> TestDatabase {
        let admin = try PGConnection(conninfo: server)
        try admin.execute(unsafeSQL: "CREATE DATABASE \(try admin.quoteIdentifier(name))")
        return TestDatabase(name: name, url: Self.url(server, database: name))
    }

    /// Drops the database on a new connection (the server may have restarted meanwhile).
    func drop(server: String) {
        guard let admin = try? PGConnection(conninfo: server), let quoted = try? admin.quoteIdentifier(name) else { return }
        try? admin.execute(unsafeSQL: "DROP DATABASE \(quoted) WITH (FORCE)")
    }

    func connect() throws -> PGConnection {
        try PGConnection(conninfo: url, applicationName: "coachspool-test")
    }

    /// The same server, another database: the URL path is replaced, or a conninfo gets `dbname=`.
    static func url(_ server: String, database: String) -> String {
        guard server.hasPrefix("postgres://") || server.hasPrefix("postgresql://"),
              var components = URLComponents(string: server)
        else { return server + " dbname=\(database)" }
        components.path = "/" + database
        return components.string ?? server
    }

    func scalar<T: PGDecodable>(_ query: PGQuery, as type: T.Type = T.self) throws -> T {
        try connect().query(query).scalar(T.self)
    }

    func execute(_ query: PGQuery) throws {
        try connect().query(query)
    }
}
