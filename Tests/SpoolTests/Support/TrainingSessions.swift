import Foundation

/// Sessions with a rejected answer in the middle: a good answer, a rejected one (rating 1), a
/// good one. Every answer is unique, so a test can tell which ones a trainer learns from.
struct TrainingSessions {
    let count: Int

    func accepted(_ session: Int) -> [String] {
        ["Börja med ett litet steg för mål \(session): tio minuter i dag räcker gott.",
         "Skriv ner tre saker du redan har gjort för mål \(session) och bygg vidare på dem."]
    }

    func rejected(_ session: Int) -> String { "Vet inte, kolla själv nummer \(session)." }

    /// The worse of two answers to the first question (rating 2), with `regenerations`.
    func regenerated(_ session: Int) -> String { "Det ordnar sig nog, fundera lite på mål \(session)." }

    /// `regenerations`: the first question is answered twice (ratings 5 and 2): a DPO pair per session.
    func write(to url: URL, users: Int = 4, regenerations: Bool = false) throws {
        let lines = try (0..<count).map { n in
            let session: [String: Any] = [
                "session_id": "t\(n)", "timestamp": "2025-11-\(10 + n % 10)T10:00:00Z", "mode": n % 2 == 0 ? "personal" : "university",
                "language": "sv", "user_id": "tu\(n % users)", "consent": ["training": true],
                "conversation": [
                    ["role": "user", "content": "Hur kommer jag igång med mål \(n)?"],
                    ["role": "assistant", "content": accepted(n)[0], "feedback": ["rating": 5, "helpful": true]],
                ] + (regenerations ? [["role": "assistant", "content": regenerated(n), "feedback": ["rating": 2, "helpful": false]]] : []) + [
                    ["role": "user", "content": "Vad gör jag om jag tappar motivationen för mål \(n)?"],
                    ["role": "assistant", "content": rejected(n), "feedback": ["rating": 1, "helpful": false]],
                    ["role": "user", "content": "Hur följer jag upp mål \(n) nästa vecka?"],
                    ["role": "assistant", "content": accepted(n)[1], "feedback": ["rating": 4, "helpful": true]],
                ],
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: session, options: [.sortedKeys]), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }
}
