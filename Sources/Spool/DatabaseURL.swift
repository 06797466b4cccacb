import CoachSpoolCore
import Foundation

/// Where the database is: `DATABASE_URL` (a URL or a conninfo string), or the file named by
/// `DATABASE_URL_FILE` (for secrets mounted as files), or else libpq's own `PG*` variables.
/// Never taken from the command line with a password in it: argv is visible to every user of the host.
public enum DatabaseURL {
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        try named("DATABASE_URL", file: "DATABASE_URL_FILE", environment: environment) ?? ""
        // Empty conninfo: libpq falls back to PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSFILE…
    }

    /// Where read-only commands (`status`, `search`, `rag`, `export`…) read: `flag` (`--read-url`,
    /// which must not hold a password), else `COACHSPOOL_READ_URL` or the file named by
    /// `COACHSPOOL_READ_URL_FILE`, else the database itself. With a multi-host URL and
    /// `target_session_attrs=prefer-standby`, a standby serves them while one is up.
    public static func resolveRead(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let flag, !flag.isEmpty {
            guard !holdsPassword(flag) else {
                throw CoachSpoolError(
                    .configuration, "--read-url holds a password, which every user of the host could read in the process list: put it in COACHSPOOL_READ_URL, COACHSPOOL_READ_URL_FILE or a .pgpass file")
            }
            return flag
        }
        return try named("COACHSPOOL_READ_URL", file: "COACHSPOOL_READ_URL_FILE", environment: environment) ?? resolve(environment: environment)
    }

    /// The variable `name`, else the contents of the file named by the variable `file`, else nil.
    private static func named(_ name: String, file: String, environment: [String: String]) throws -> String? {
        if let url = environment[name], !url.isEmpty { return url }
        guard let path = environment[file], !path.isEmpty else { return nil }
        guard let contents = FileManager.default.contents(atPath: path), let text = String(data: contents, encoding: .utf8) else {
            throw CoachSpoolError(.configuration, "\(file) names \(path), which cannot be read")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A password in a URL's user part (`user:secret@`), its query (`password=`), or a conninfo's
    /// `password=` key.
    static func holdsPassword(_ conninfo: String) -> Bool {
        if conninfo.range(of: "password\\s*=", options: [.regularExpression, .caseInsensitive]) != nil { return true }
        guard let scheme = conninfo.range(of: "://") else { return false }
        let authority = conninfo[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":")
    }
}
