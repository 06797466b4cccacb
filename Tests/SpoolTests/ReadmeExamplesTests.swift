import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// The README's examples for the coach app run as written, with the rights the README gives
    /// the app (a login in coachspool_producer).
    @Suite struct ReadmeExamplesTests {
        /// The fenced block after `<!-- readme-python: … -->` in README.md.
        static func pythonExample() throws -> String {
            let readme = try String(contentsOf: Repository.path("README.md"), encoding: .utf8)
            let marker = try #require(readme.range(of: "<!-- readme-python:"), "README.md has no readme-python marker")
            let start = try #require(readme.range(of: "```python\n", range: marker.upperBound..<readme.endIndex))
            let end = try #require(readme.range(of: "\n```", range: start.upperBound..<readme.endIndex))
            return String(readme[start.upperBound..<end.lowerBound])
        }

        @Test func thePythonExampleLogsFeedbackAndConsentAsAProducer() async throws {
            try await TestDatabase.with { db in
                let python = try #require(ProcessInfo.processInfo.environment["COACHSPOOL_CLIENTS_PYTHON"], "run through scripts/test.sh")
                let script = try Self.pythonExample()
                let (first, again) = try await PrivilegesTests.withLoginURL(in: .producer, db: db) { url, _ in
                    (try await runPython(python, script, arguments: [], environment: ["DATABASE_URL": url]),
                     try await runPython(python, script, arguments: [], environment: ["DATABASE_URL": url]))
                }
                #expect(first.status == 0 && again.status == 0, "\(first.err) \(again.err)")
                let id = try db.scalar("SELECT id FROM coachspool.interactions WHERE idempotency_key = 'id:app-msg-123'", as: Int64.self)
                #expect(first.out == "\(id) True\n" && again.out == "\(id) False\n", "\(first.out) \(again.out)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == 1)
                #expect(try db.scalar("SELECT max(rating) FROM coachspool.all_feedback WHERE interaction_id = \(id)", as: Int.self) == 5)
                #expect(try db.scalar("SELECT granted FROM coachspool.consents WHERE user_id = 'user-42' AND purpose = 'training'", as: Bool.self))
            }
        }
    }
}
