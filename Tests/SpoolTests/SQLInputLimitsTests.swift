import Foundation
import LibPQ
import Stages
import Testing

extension DatabaseTests {
    /// The SQL functions an app calls directly hold their arguments to the numbers of Stages'
    /// `InputLimits` (which ingest and the HTTP API use), with `TextLimit.problem`'s words after
    /// the argument's name: a value at the limit is accepted, one byte more is refused with 22023
    /// before anything is written. The limits come from `InputLimits`, so Swift and SQL cannot drift.
    @Suite struct SQLInputLimitsTests {
        @Test func logInteraction() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let call = Call(function: "log_interaction", base: ["p_user_input": "Hur tränar jag?", "p_ai_response": "Lugnt och ofta."])
                try call.expectLimit(conn, "p_user_input", InputLimits.message)
                try call.expectLimit(conn, "p_ai_response", InputLimits.message, filler: "å")
                try call.expectLimit(conn, "p_session_id", InputLimits.identifier)
                try call.expectLimit(conn, "p_user_id", InputLimits.identifier, filler: "å")
                try call.expectLimit(conn, "p_id", InputLimits.identifier)
                try call.expectLimit(conn, "p_language", InputLimits.language)
                try call.expectLanguageTag(conn, "p_language")
                // Over-long identifiers are refused by the check, not by an index (54000) after it.
                #expect(call.refusal(conn, ["p_id": String(repeating: "x", count: 20_000)])?.sqlState == "22023")

                let turns = InputLimits.turnIndex
                #expect(call.refusal(conn, ["p_turn_index": "\(turns.upperBound)"]) == nil)
                #expect(call.refusal(conn, ["p_turn_index": "\(turns.lowerBound)"]) == nil)
                for outside in [turns.upperBound + 1, turns.lowerBound - 1] {
                    let error = call.refusal(conn, ["p_turn_index": "\(outside)"])
                    #expect(error?.sqlState == "22023", "p_turn_index \(outside)")
                    #expect(error?.message.hasPrefix("p_turn_index: ") == true, "\(error?.message ?? "")")
                }
                #expect(try conn.query("SELECT count(*) FROM coachspool.interactions").scalar(Int.self) == 11, "the accepted calls only")
            }
        }

        @Test func setConsent() async throws {
            try await TestDatabase.with { db in
                let call = Call(function: "set_consent", base: ["p_user_id": "u-1", "p_purpose": "training", "p_granted": "true"])
                try call.expectLimit(try db.connect(), "p_user_id", InputLimits.identifier, filler: "å")
                try call.expectLimit(try db.connect(), "p_source", InputLimits.identifier)
            }
        }

        @Test func recall() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                try conn.query("SELECT coachspool.register_space('test', 'probe', 3, 'chars', 400, 40)")
                let call = Call(function: "recall", base: ["p_user_id": "u-1", "p_query": "[1,0,0]"])
                try call.expectLimit(conn, "p_user_id", InputLimits.identifier)
                try call.expectLimit(conn, "p_user_id", InputLimits.identifier, filler: "å")
            }
        }

        @Test func upsertDocument() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let call = Call(function: "upsert_document", base: ["p_external_id": "doc-1", "p_title": "Löpning", "p_body": "Spring lugnt."])
                try call.expectLimit(conn, "p_external_id", InputLimits.documentID, filler: "å")
                try call.expectLimit(conn, "p_title", InputLimits.title, filler: "å")
                try call.expectLimit(conn, "p_body", InputLimits.documentText)
                try call.expectLimit(conn, "p_source", InputLimits.documentID)
                try call.expectLimit(conn, "p_language", InputLimits.language)
                try call.expectLanguageTag(conn, "p_language")
            }
        }

        /// A call of one function with valid arguments (`base`), some replaced; all are bound as
        /// parameters, by name.
        struct Call {
            var function: String
            var base: [String: String]

            /// The error of the call with `arguments` over `base`; nil when it succeeded.
            func refusal(_ conn: PGConnection, _ arguments: [String: String]) -> PGError? {
                let all = base.merging(arguments) { $1 }.sorted { $0.key < $1.key }
                let list = all.enumerated().map { "\($1.key) => $\($0 + 1)" }.joined(separator: ", ")
                do {
                    try conn.query(PGQuery(unsafeSQL: "SELECT * FROM coachspool.\(function)(\(list))", binds: all.map(\.value)))
                    return nil
                } catch {
                    return error as? PGError ?? PGError(code: .server, message: "\(error)")
                }
            }

            /// `limit.maxBytes` bytes of `filler` are accepted; one byte more is refused, naming
            /// the argument. A 2-byte filler (å) shows that bytes count, not characters.
            func expectLimit(_ conn: PGConnection, _ argument: String, _ limit: TextLimit, filler: Character = "a",
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
                let width = filler.utf8.count
                try #require(limit.maxBytes % width == 0, sourceLocation: sourceLocation)
                let atLimit = String(repeating: filler, count: limit.maxBytes / width)
                let over = atLimit + "a"
                let accepted = refusal(conn, [argument: atLimit])
                #expect(accepted == nil, "\(function) \(argument) at \(limit.maxBytes) bytes: \(accepted?.message ?? "")",
                        sourceLocation: sourceLocation)
                let refused = refusal(conn, [argument: over])
                #expect(refused?.sqlState == "22023", "\(function) \(argument) over the limit: \(refused?.description ?? "accepted")",
                        sourceLocation: sourceLocation)
                #expect(refused?.message == "\(argument): \(limit.problem(over) ?? "")", sourceLocation: sourceLocation)
            }

            /// A language tag is letters, digits, `-` and `_`, a letter first.
            func expectLanguageTag(_ conn: PGConnection, _ argument: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
                for tag in ["sv", "en-GB", "zh_Hant"] {
                    #expect(refusal(conn, [argument: tag]) == nil, "\(tag)", sourceLocation: sourceLocation)
                }
                for tag in ["", "1sv", "en GB", "sv;", "svå"] {
                    let refused = refusal(conn, [argument: tag])
                    #expect(refused?.sqlState == "22023", "'\(tag)'", sourceLocation: sourceLocation)
                    #expect(refused?.message == "\(argument): \(InputLimits.language.problem(tag) ?? "")", sourceLocation: sourceLocation)
                }
            }
        }
    }
}
