import CoachSpoolCore
import Foundation

/// Where the database is: `DATABASE_URL` (a URL or a conninfo string), or the file named by
/// `DATABASE_URL_FILE` (for secrets mounted as files), or else libpq's own `PG*` variables.
/// Never taken from the command line: argv is visible to every user of the host.
public enum DatabaseURL {
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let url = environment["DATABASE_URL"], !url.isEmpty { return url }
        if let path = environment["DATABASE_URL_FILE"], !path.isEmpty {
            guard let contents = FileManager.default.contents(atPath: path),
                  let text = String(data: contents, encoding: .utf8)
            else {
                throw CoachSpoolError(.configuration, "DATABASE_URL_FILE names \(path), which cannot be read")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Empty conninfo: libpq falls back to PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSFILE…
        return ""
    }
}
