import CoachSpoolCore
import Crypto
import Foundation
import LibPQ
import Logging
import Stages

/// Applies `schema/NNNN_name.sql` files in order, each once, each in its own transaction; then
/// the SQL functions of `schema/functions/*.sql`, whichever changed since they were last
/// applied, and the grants of `schema/privileges/grants.sql` (one transaction for both).
///
/// A fresh database (no coachspool tables yet) reads the current schema instead:
/// `schema/current.sql`, the tables, views, indexes and privileges as the migrations up to the
/// one it names leave them (written by `scripts/schema-snapshot.sh`; `MigrationTests` holds the
/// two paths to the same catalog), with `-- function: NAME.sql` lines where the function files
/// go. The migrations it covers are recorded as applied; newer ones run as usual. The
/// migrations are history: read `current.sql` and `functions/` for what the schema is.
///
/// Migrations hold tables, indexes and data changes and are never edited: a file edited after it
/// was applied is an error (its checksum is recorded), since the database would no longer match
/// the repository. Functions are the opposite: each has one current definition, in its own file,
/// stating its security (SECURITY DEFINER, search path) there, and `CREATE OR REPLACE` brings any
/// database to it. Migrations 0001–0008 still define the functions as they were then: the
/// function files replace those definitions.
///
/// Grants on functions live in one file, applied after the others whenever any migration or
/// function file was applied or it changed: PostgreSQL lets PUBLIC execute every new function,
/// and no default privilege of a schema can take that away, so each function must be revoked
/// and granted again once it exists.
///
/// A session-level advisory lock serialises concurrent runs: ten workers starting together wait
/// for the first, then find nothing left to do.
public struct Migrator {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String

        /// SHA-256 of the file's text (hex), as recorded: what `encode(sha256(convert_to(sql,
        /// 'UTF8')), 'hex')` gives, computed here instead of in a round trip per file.
        public var checksum: String { SHA256.hash(data: Array(sql.utf8)).hexString }
    }

    /// Arbitrary, fixed: the advisory lock key for migrations ("coachspool" in ASCII, truncated).
    static let lockKey: Int64 = 0x636F_6163_6873_706F

    public var migrations: [Migration]
    /// `current.sql`: the schema as of `snapshot.version` (its header names that migration);
    /// nil for a directory without one. A fresh database reads it instead of the migrations.
    public var snapshot: Migration?
    /// Apply the migrations one by one even on a fresh database (what `current.sql` is built
    /// from, and checked against).
    public var replayMigrations = false
    /// `functions/*.sql`, by file name (the order they are applied in).
    public var functions: [Migration]
    /// `privileges/grants.sql`; nil for a directory without one (a copy of an old schema).
    public var grants: Migration?
    public var logger: Logger

    public init(directory: URL, logger: Logger) throws {
        self.migrations = try Self.load(directory: directory)
        self.functions = try Self.loadFunctions(directory: directory.appendingPathComponent("functions"))
        self.grants = try Self.loadGrants(directory: directory.appendingPathComponent("privileges"))
        self.snapshot = try Self.loadSnapshot(directory: directory, migrations: migrations)
        self.logger = logger
    }

    static let snapshotFile = "current.sql"
    /// The header line of `current.sql` naming the newest migration it covers.
    static let snapshotHeader = "-- coachspool schema as of "

    /// `current.sql`, its version that of the migration its first line names.
    public static func loadSnapshot(directory: URL, migrations: [Migration]) throws -> Migration? {
        let url = directory.appendingPathComponent(snapshotFile)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let sql: String
        do {
            sql = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw CoachSpoolError(.schema, "cannot read schema/\(snapshotFile)", underlying: error)
        }
        let first = sql.prefix { $0 != "\n" }
        guard first.hasPrefix(snapshotHeader),
              let covered = migrations.first(where: { $0.name == first.dropFirst(snapshotHeader.count) })
        else {
            throw CoachSpoolError(.schema, "schema/\(snapshotFile) does not start with '\(snapshotHeader)NNNN_name.sql' naming a migration file: run scripts/schema-snapshot.sh")
        }
        return Migration(version: covered.version, name: snapshotFile, sql: sql)
    }

    /// `current.sql` with each `-- function: NAME.sql` line replaced by that function file.
    func expandedSnapshot(_ snapshot: Migration) throws -> String {
        let files = Dictionary(uniqueKeysWithValues: functions.map { ($0.name, $0.sql) })
        let marker = "-- function: "
        return try snapshot.sql.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard line.hasPrefix(marker) else { return String(line) }
            let name = String(line.dropFirst(marker.count))
            guard let sql = files[name] else {
                throw CoachSpoolError(.schema, "schema/\(Self.snapshotFile) names functions/\(name), which does not exist: run scripts/schema-snapshot.sh")
            }
            return sql
        }.joined(separator: "\n")
    }

    static let grantsFile = "grants.sql"

    public static func loadGrants(directory: URL) throws -> Migration? {
        let url = directory.appendingPathComponent(grantsFile)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return Migration(version: 0, name: grantsFile, sql: try String(contentsOf: url, encoding: .utf8))
        } catch {
            throw CoachSpoolError(.schema, "cannot read schema/privileges/\(grantsFile)", underlying: error)
        }
    }

    /// What the grants were applied over, as recorded in `schema_privileges`: the grants file and
    /// every migration and function file. A change to any of them applies the grants again, also
    /// after a run that stopped between a migration and the grants.
    var grantsChecksum: String? {
        guard let grants else { return nil }
        let files = [grants] + migrations + functions
        let text = files.map { "\($0.name) \($0.checksum)\n" }.joined()
        return SHA256.hash(data: Array(text.utf8)).hexString
    }

    public static func loadFunctions(directory: URL) throws -> [Migration] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return try names.sorted().filter { $0.hasSuffix(".sql") }.map { name in
            do {
                let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                return Migration(version: 0, name: name, sql: sql)
            } catch {
                throw CoachSpoolError(.schema, "cannot read schema/functions/\(name)", underlying: error)
            }
        }
    }

    public static func load(directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw CoachSpoolError(.schema, "cannot read the schema directory \(directory.path): set --schema-dir or COACHSPOOL_SCHEMA_DIR")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") && name != snapshotFile {
            guard let version = Int(name.prefix(while: \.isNumber)), name.dropFirst(4).first == "_" else {
                throw CoachSpoolError(.schema, "schema file \(name) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        guard !migrations.isEmpty else {
            throw CoachSpoolError(.schema, "no NNNN_name.sql files in \(directory.path)")
        }
        if Set(migrations.map(\.version)).count != migrations.count {
            throw CoachSpoolError(.schema, "two schema files share a version number in \(directory.path)")
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
            CREATE TABLE IF NOT EXISTS coachspool.schema_functions (
                name        text PRIMARY KEY,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE IF NOT EXISTS coachspool.schema_privileges (
                name        text PRIMARY KEY,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            );
            """)
        var applied: [Int: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM coachspool.schema_migrations") {
            applied[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        var done: [String] = []
        if applied.isEmpty, !replayMigrations, let snapshot,
           try connection.query("SELECT to_regclass('coachspool.jobs') IS NULL").scalar(Bool.self) {
            try applySnapshot(snapshot, on: connection)
            for migration in migrations where migration.version <= snapshot.version {
                applied[migration.version] = migration.checksum
            }
            done.append(snapshot.name)
        }
        for migration in migrations {
            let checksum = migration.checksum
            if let recorded = applied[migration.version] {
                guard recorded == checksum else {
                    throw CoachSpoolError(.schema, "schema/\(migration.name) changed after it was applied; add a new migration instead of editing it")
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
            logger.info("applied migration", metadata: [LogKey.migration: "\(migration.name)"])
            done.append(migration.name)
        }
        return done + (try applyFunctions(connection))
    }

    /// A fresh database: `current.sql` with the function files in place, in one transaction,
    /// recording the migrations it covers and the function files as applied (the grants follow
    /// in `applyFunctions`, as after any migration).
    private func applySnapshot(_ snapshot: Migration, on connection: PGConnection) throws {
        let sql = try expandedSnapshot(snapshot)
        let covered = migrations.filter { $0.version <= snapshot.version }
        try connection.transaction { conn in
            try conn.execute(unsafeSQL: "SET LOCAL check_function_bodies = off")
            do {
                try conn.execute(unsafeSQL: sql)
            } catch {
                throw CoachSpoolError(.schema, "schema/\(snapshot.name) failed", underlying: error)
            }
            try conn.query("""
                INSERT INTO coachspool.schema_migrations (version, name, checksum)
                SELECT * FROM unnest(\(covered.map(\.version))::integer[], \(covered.map(\.name))::text[], \(covered.map(\.checksum))::text[])
                """)
            try conn.query("""
                INSERT INTO coachspool.schema_functions (name, checksum)
                SELECT * FROM unnest(\(functions.map(\.name))::text[], \(functions.map(\.checksum))::text[])
                """)
        }
        logger.info("applied the current schema", metadata: [LogKey.migration: "\(snapshot.name) (\(covered.last?.name ?? "-"))"])
    }

    /// Re-applies the function files whose checksum differs from the one recorded, then the
    /// grants when anything they cover changed: in one transaction, so that no function file is
    /// ever committed with PostgreSQL's default grant to PUBLIC (a function a migration file
    /// creates keeps it from that migration's commit until these grants run, in the same
    /// `migrate`, under the same advisory lock).
    private func applyFunctions(_ connection: PGConnection) throws -> [String] {
        var applied: [String: String] = [:]
        for row in try connection.query("SELECT name, checksum FROM coachspool.schema_functions") {
            applied[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        let changed = functions.filter { applied[$0.name] != $0.checksum }
        let recordedGrants = try connection.query("SELECT checksum FROM coachspool.schema_privileges WHERE name = \(Self.grantsFile)")
            .first.map { try $0.decode(String.self, at: 0) }
        let grantsChecksum = self.grantsChecksum
        let grantsDue = grantsChecksum != nil && recordedGrants != grantsChecksum
        guard !changed.isEmpty || grantsDue else { return [] }
        try connection.transaction { conn in
            // As pg_dump does: a function may name one whose file comes later. Statements that
            // run something (a backfill) must sort after what they call.
            try conn.execute(unsafeSQL: "SET LOCAL check_function_bodies = off")
            for file in changed {
                do {
                    try conn.execute(unsafeSQL: file.sql)
                } catch {
                    throw CoachSpoolError(.schema, "schema/functions/\(file.name) failed", underlying: error)
                }
                try conn.query("""
                    INSERT INTO coachspool.schema_functions (name, checksum) VALUES (\(file.name), \(file.checksum))
                    ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
                    """)
            }
            if grantsDue, let grants, let grantsChecksum {
                do {
                    try conn.execute(unsafeSQL: grants.sql)
                } catch {
                    throw CoachSpoolError(.schema, "schema/privileges/\(grants.name) failed", underlying: error)
                }
                try conn.query("""
                    INSERT INTO coachspool.schema_privileges (name, checksum) VALUES (\(grants.name), \(grantsChecksum))
                    ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
                    """)
            }
        }
        for file in changed {
            logger.debug("applied function", metadata: [LogKey.migration: "functions/\(file.name)"])
        }
        if !changed.isEmpty {
            logger.info("applied functions", metadata: [LogKey.functionsCount: "\(changed.count)"])
        }
        guard grantsDue, let grants else { return changed.map { "functions/" + $0.name } }
        logger.info("applied grants", metadata: [LogKey.migration: "privileges/\(grants.name)"])
        return changed.map { "functions/" + $0.name } + ["privileges/" + grants.name]
    }

    /// Fails with a helpful message when the schema has not been migrated at all.
    public static func requireSchema(_ connection: PGConnection) throws {
        let present = try connection.query("SELECT to_regclass('coachspool.jobs') IS NOT NULL").scalar(Bool.self)
        guard present else {
            throw CoachSpoolError(.schema, "the coachspool schema is missing in this database: run `coachspool migrate` first")
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
        throw CoachSpoolError(.schema, "cannot find the schema/ directory: pass --schema-dir or set COACHSPOOL_SCHEMA_DIR")
    }
}
