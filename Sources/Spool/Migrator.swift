import Foundation
import LibPQ
import Logging

/// Applies `schema/NNNN_name.sql` files in order, each once, each in its own transaction.
///
/// A session-level advisory lock serialises concurrent runs: ten workers starting together wait
/// for the first, then find nothing left to do. A file edited after it was applied is an error
/// (its checksum is recorded), since the database would no longer match the repository.
public struct Migrator {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String
    }

    /// Arbitrary, fixed: the advisory lock key for migrations ("coachspool" in ASCII, truncated).
    static let lockKey: Int64 = 0x636F_6163_6873_706F

    public var migrations: [Migration]
    public var logger: Logger

    public init(directory: URL, logger: Logger) throws {
        self.migrations = try Self.load(directory: directory)
        self.logger = logger
    }

    public static func load(directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw SpoolError(.schema, "cannot read the schema directory \(directory.path): set --schema-dir or COACHSPOOL_SCHEMA_DIR")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            guard let version = Int(name.prefix(while: \.isNumber)), name.dropFirst(4).first == "_" else {
                throw SpoolError(.schema, "schema file \(name) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        guard !migrations.isEmpty else {
            throw SpoolError(.schema, "no NNNN_name.sql files in \(directory.path)")
        }
        if Set(migrations.map(\.version)).count != migrations.count {
            throw SpoolError(.schema, "two schema files share a version number in \(directory.path)")
        }
        return migrations
    }

    /// Applies what is missing; returns the names of the files applied by this call.
    @discardableResult
    public func migrate(_ connection: PGConnection) throws -> [String] {
        try connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))") }
        try connection.execute(unsafeSQL: """
            SET client_min_messages = warning;
            CREATE SCHEMA IF NOT EXISTS coachspool;
            CREATE TABLE IF NOT EXISTS coachspool.schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            );
            """)
        var applied: [Int: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM coachspool.schema_migrations") {
            applied[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        var done: [String] = []
        for migration in migrations {
            let checksum = try connection.query(
                "SELECT encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex')"
            ).scalar(String.self)
            if let recorded = applied[migration.version] {
                guard recorded == checksum else {
                    throw SpoolError(.schema, "schema/\(migration.name) changed after it was applied; add a new migration instead of editing it")
                }
                continue
            }
            try connection.transaction { conn in
                try conn.execute(unsafeSQL: migration.sql)
                try conn.query("""
                    INSERT INTO coachspool.schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(checksum))
                    """)
            }
            logger.info("applied migration", metadata: ["migration.name": "\(migration.name)"])
            done.append(migration.name)
        }
        return done
    }

    /// Fails with a helpful message when the schema has not been migrated at all.
    public static func requireSchema(_ connection: PGConnection) throws {
        let present = try connection.query("SELECT to_regclass('coachspool.jobs') IS NOT NULL").scalar(Bool.self)
        guard present else {
            throw SpoolError(.schema, "the coachspool schema is missing in this database: run `coachspool migrate` first")
        }
    }
}

/// Finds `schema/`: an explicit directory, `COACHSPOOL_SCHEMA_DIR`, `./schema`, or a `schema/`
/// beside or above the executable (a build tree or an install with `share/coachspool/schema`).
public enum SchemaLocator {
    public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        if let env = environment["COACHSPOOL_SCHEMA_DIR"], !env.isEmpty { return URL(fileURLWithPath: env) }
        let fm = FileManager.default
        var candidates = [URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("schema")]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("schema"))
            candidates.append(dir.appendingPathComponent("share/coachspool/schema"))
            dir.deleteLastPathComponent()
        }
        for candidate in candidates where fm.fileExists(atPath: candidate.appendingPathComponent("0001_spool.sql").path) {
            return candidate
        }
        throw SpoolError(.schema, "cannot find the schema/ directory: pass --schema-dir or set COACHSPOOL_SCHEMA_DIR")
    }
}
