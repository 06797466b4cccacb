import LibPQ
import Queue
import Spool
import Stages
import Testing

extension DatabaseTests {
    /// A derived row's one declaration, sent both ways — one JSON parameter unpacked by
    /// `jsonb_to_recordset`, and a binary `COPY` (`DerivedRow.copy`) — stores the same rows, for
    /// every kind of column, NULLs, empty arrays and awkward text included.
    @Suite struct DerivedRowCopyTests {
        struct EveryKind: DerivedRow {
            var id: Int64?
            var count: Int?
            var small: Int?
            var note: String?
            var hash: String
            var flag: Bool
            var words: [String]
            var messages: [ChatMessage]
            var tally: [String: Int]

            static var columns: [DerivedColumn<Self>] {
                [
                    .bigint("id") { $0.id }, .integer("count") { $0.count }, .smallint("small") { $0.small },
                    .text("note") { $0.note }, .hexBytes("hash") { $0.hash }, .boolean("flag") { $0.flag },
                    .textArray("words") { $0.words }, .messages("messages") { $0.messages }, .counts("tally") { $0.tally },
                ]
            }
        }

        static let rows = [
            EveryKind(id: 1, count: 2_147_483_647, small: -32768, note: "quote \" backslash \\ tab\t åäö 😀", hash: "00ff10ab",
                      flag: true, words: ["a", "b c", "d\"e", ""], messages: [
                        ChatMessage(role: .system, content: "Du är en coach."), ChatMessage(role: .user, content: "Hej\n{\"x\": 1}"),
                        ChatMessage(role: .assistant, content: "Svar", weight: 1),
                      ], tally: ["PERSON": 2, "EMAIL": 1]),
            EveryKind(id: nil, count: nil, small: nil, note: nil, hash: "", flag: false, words: [], messages: [], tally: [:]),
        ]

        @Test func copyAndJSONStoreTheSameRows() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                for table in ["by_json", "by_copy"] {
                    try conn.execute(unsafeSQL: """
                        CREATE TABLE coachspool.\(table) (
                            version text, id bigint, count integer, small smallint, note text, hash bytea, flag boolean,
                            words text[], messages jsonb, tally jsonb)
                        """)
                }
                try conn.query("""
                    INSERT INTO coachspool.by_json
                    SELECT 'v1', r.id, r.count, r.small, r.note, decode(r.hash, 'hex'), r.flag, r.words, r.messages, r.tally
                      FROM jsonb_to_recordset(\(JSONText(rows: Self.rows))::jsonb) AS r(\(unsafeSQL: EveryKind.recordType))
                    """)
                try EveryKind.copy(Self.rows, into: "by_copy", fixed: [("version", "v1")], on: conn)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.by_copy", as: Int.self) == 2)
                // Row for row, in both directions.
                #expect(try db.scalar("""
                    SELECT count(*) FROM ((TABLE coachspool.by_json EXCEPT ALL TABLE coachspool.by_copy)
                                          UNION ALL (TABLE coachspool.by_copy EXCEPT ALL TABLE coachspool.by_json)) d
                    """, as: Int.self) == 0)
                #expect(try db.scalar("SELECT words FROM coachspool.by_copy WHERE id = 1", as: [String].self) == ["a", "b c", "d\"e", ""])
                #expect(try db.scalar("SELECT cardinality(words) FROM coachspool.by_copy WHERE id IS NULL", as: Int.self) == 0)
            }
        }

        @Test func aValueOutOfItsColumnsRangeIsAnErrorNamingTheColumnAndWritesNothing() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                try conn.execute(unsafeSQL: """
                    CREATE TABLE coachspool.by_copy (
                        id bigint, count integer, small smallint, note text, hash bytea, flag boolean, words text[], messages jsonb, tally jsonb)
                    """)
                var row = Self.rows[0]
                row.small = 40_000
                #expect { try EveryKind.copy([Self.rows[1], row], into: "by_copy", on: conn) } throws: { error in
                    "\(error)".contains("small: out of range for smallint")
                }
                row = Self.rows[0]
                row.hash = "not hex"
                #expect { try EveryKind.copy([row], into: "by_copy", on: conn) } throws: { error in
                    "\(error)".contains("hash: not hexadecimal")
                }
                #expect(try db.scalar("SELECT count(*) FROM coachspool.by_copy", as: Int.self) == 0)
            }
        }
    }
}
