/// What this binary was built from: the release, the commit and the newest migration it ships.
/// The commit and the migration are stamped at build time (`BuildInfoPlugin`), so they describe
/// the build even where no repository is at hand; a build from a tarball says `unknown`.
public enum BuildInfo {
    /// The release; raise it when one is tagged.
    public static let version = "0.1.0"
    /// The full commit hash, or `unknown`.
    public static var commit: String { stampedCommit }
    /// The highest migration number in `schema/` at build time (what `migrate` brings a database to).
    public static var schemaVersion: Int? { stampedSchemaVersion }
}
