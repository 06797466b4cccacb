import Spool
import Testing

/// Issue 19: where read-only commands read, and the password rule of `--read-url`.
@Suite struct DatabaseURLTests {
    @Test func theReadURLFallsBackToTheDatabase() throws {
        #expect(try DatabaseURL.resolveRead(flag: nil, environment: ["DATABASE_URL": "postgresql://a/db"]) == "postgresql://a/db")
        #expect(try DatabaseURL.resolveRead(
            flag: nil, environment: ["DATABASE_URL": "postgresql://a/db", "COACHSPOOL_READ_URL": "postgresql://b/db"]) == "postgresql://b/db")
        #expect(try DatabaseURL.resolveRead(
            flag: "postgresql://c,d/db?target_session_attrs=prefer-standby",
            environment: ["COACHSPOOL_READ_URL": "postgresql://b/db"]) == "postgresql://c,d/db?target_session_attrs=prefer-standby")
    }

    @Test(arguments: [
        "postgresql://user:secret@host/db", "postgres://u:s@h1:5432,h2:5433/db", "host=h password=secret",
        "postgresql://host/db?password=secret", "postgresql://host/db?user=u&PASSWORD = x",
    ])
    func aPasswordOnTheCommandLineIsRefused(url: String) {
        #expect(throws: (any Error).self) { try DatabaseURL.resolveRead(flag: url, environment: [:]) }
    }

    @Test(arguments: [
        "postgresql://user@host/db", "postgresql://h1:5432,h2:5433/db?target_session_attrs=prefer-standby", "host=h user=u",
        "postgresql://user@host/db?application_name=a:b",
    ])
    func urlsWithoutAPasswordAreTaken(url: String) throws {
        #expect(try DatabaseURL.resolveRead(flag: url, environment: [:]) == url)
    }
}
