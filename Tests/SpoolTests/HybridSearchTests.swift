import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// Full-text search beside the vectors, and their reciprocal rank fusion, on the shipped
    /// knowledge base with the real model.
    @Suite struct HybridSearchTests {
        static func prepare(_ db: TestDatabase) async throws {
            let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "documents", KnowledgeBaseTests.knowledge], database: db)
            #expect(ingest.status == 0, "\(ingest.err)")
            let work = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
            #expect(work.status == 0, "\(work.err)")
        }

        struct Hit: Decodable { var chunk_id: Int64; var source: String?; var score: Double }
        struct Found: Decodable { var mode: String; var results: [Hit] }

        static func search(_ db: TestDatabase, _ arguments: [String]) async throws -> Found {
            let result = try await CoachSpoolProcess.run(["search"] + arguments + ["--json"], database: db)
            #expect(result.status == 0, "\(result.err)")
            return try JSONDecoder().decode(Found.self, from: Data(result.out.utf8))
        }

        @Test func textIsIndexedByTheDocumentsLanguageAndFused() async throws {
            try await TestDatabase.with { db in
                try await Self.prepare(db)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.chunks WHERE tsv IS NULL", as: Int.self) == 0)
                // Swedish stemming: "stressen" and "återhämtningen" find the Swedish stress document.
                let sv = try await Self.search(db, ["stressen och återhämtningen", "--mode", "text", "-k", "3"])
                #expect(sv.mode == "text")
                #expect(sv.results.first?.source == "stress-aterhamtning.sv.md", "\(sv.results)")
                // Filters: only English documents; only sources with a prefix.
                let en = try await Self.search(db, ["motivation", "--mode", "hybrid", "--language", "en", "-k", "10"])
                #expect(!en.results.isEmpty && en.results.allSatisfy { $0.source?.contains(".en.") == true }, "\(en.results)")
                let prefixed = try await Self.search(db, ["feedback", "--mode", "vector", "--document-source", "feedback", "-k", "5"])
                #expect(!prefixed.results.isEmpty && prefixed.results.allSatisfy { $0.source?.hasPrefix("feedback") == true })

                // Hybrid = Σ 1/(60 + rank) over the text and vector rankings of 50 candidates each.
                let question = "How can I stop procrastinating on my thesis?"
                let vector = try await Self.search(db, [question, "--mode", "vector", "-k", "50"]).results.map(\.chunk_id)
                let text = try await Self.search(db, [question, "--mode", "text", "-k", "50"]).results.map(\.chunk_id)
                var fused: [Int64: Double] = [:]
                for (rank, id) in vector.enumerated() { fused[id, default: 0] += 1 / Double(60 + rank + 1) }
                for (rank, id) in text.enumerated() { fused[id, default: 0] += 1 / Double(60 + rank + 1) }
                let expected = fused.sorted { ($0.value, -$0.key) > ($1.value, -$1.key) }.prefix(5)
                let hybrid = try await Self.search(db, [question, "--mode", "hybrid", "-k", "5"]).results
                #expect(hybrid.map(\.chunk_id) == expected.map(\.key))
                for (hit, want) in zip(hybrid, expected) { #expect(abs(hit.score - want.value) < 1e-12) }
            }
        }

        /// An empty answer says why: the space has no chunks yet, or nothing matched under the
        /// settings and filters given (listed); `--json` tells the two apart by `space_chunks`.
        /// At the default log level a search says nothing about the matrix kernels.
        @Test func anEmptyAnswerSaysWhetherTheSpaceIsEmptyOrNothingMatched() async throws {
            try await TestDatabase.with { db in
                func search(_ arguments: [String], environment: [String: String] = [:]) async throws -> (out: String, err: String) {
                    let result = try await CoachSpoolProcess.run(["search"] + arguments, database: db, environment: environment)
                    #expect(result.status == 0, "\(arguments): \(result.err)")
                    return (result.out, result.err)
                }
                func json(_ arguments: [String]) async throws -> [String: Any] {
                    try #require(try JSONSerialization.jsonObject(with: Data(try await search(arguments + ["--json"]).out.utf8)) as? [String: Any])
                }
                let work = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(work.status == 0, "\(work.err)")
                let space = try db.scalar("SELECT id FROM coachspool.embedding_spaces WHERE is_active", as: Int32.self)
                #expect(try await search(["sleep"]).out == "no chunks in embedding space \(space) yet\n")
                let empty = try await json(["sleep"])
                #expect((empty["results"] as? [Any])?.isEmpty == true && empty["space_chunks"] as? Int == 0, "\(empty)")

                try await Self.prepare(db)
                let chunks = try db.scalar("SELECT count(*) FROM coachspool.chunks WHERE space_id = \(space)", as: Int.self)
                let filtered = ["qwertyuiop zxcvbnm", "--mode", "text", "--language", "en", "--document-source", "feedback", "-k", "5"]
                let nothing = try await search(filtered).out
                #expect(nothing.hasPrefix("""
                    nothing matched in embedding space \(space) (\(chunks) chunks) with mode text, k 5, language en, \
                    document source starting with feedback;
                    """), "\(nothing)")
                let unmatched = try await json(filtered)
                #expect((unmatched["results"] as? [Any])?.isEmpty == true && unmatched["space_chunks"] as? Int == chunks, "\(unmatched)")
                #expect(try await search(["qwertyuiop zxcvbnm", "--mode", "text"]).out.contains("text mode needs one of the question's words"))
                let rag = try await CoachSpoolProcess.run(["rag", "qwertyuiop zxcvbnm", "--mode", "text"], database: db)
                #expect(rag.status == 0 && rag.out.contains("Sources:\n  none: nothing matched in embedding space \(space)"), "\(rag.out)")

                // A search that finds something has no space_chunks, and (the default level: no
                // COACHSPOOL_LOG_LEVEL) no line about OpenBLAS on stderr; debug has it.
                #expect(try await json(["sleep"])["space_chunks"] == nil)
                let quiet = try await search(["sleep", "--mode", "vector"], environment: ["COACHSPOOL_LOG_LEVEL": ""])
                #expect(!quiet.out.isEmpty && !quiet.err.contains("matrix kernels") && !quiet.err.contains("blas."), "\(quiet.err)")
                let debug = try await search(["sleep", "--mode", "vector", "--log-level", "debug"])
                #expect(debug.err.contains("matrix kernels") && debug.err.contains("blas.core="), "\(debug.err)")
            }
        }

        /// Chunks stored before the text index existed are indexed without embedding again, and
        /// a document whose language changes is re-indexed with the new language.
        @Test func existingChunksAreIndexedAndLanguageChangesReindex() async throws {
            try await TestDatabase.with { db in
                try await Self.prepare(db)
                let embeddedAt = try db.scalar("SELECT max(embedded_at)::text FROM coachspool.chunks", as: String.self)
                try db.execute("UPDATE coachspool.chunks SET tsv = NULL")
                try db.execute("DELETE FROM coachspool.schema_functions WHERE name = 'text_index_chunks.sql'")
                let migrate = try await CoachSpoolProcess.run(["migrate"], database: db)
                #expect(migrate.out.contains("functions/text_index_chunks.sql"), "\(migrate.out)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.chunks WHERE tsv IS NULL", as: Int.self) == 0)
                #expect(try db.scalar("SELECT max(embedded_at)::text FROM coachspool.chunks", as: String.self) == embeddedAt, "not embedded again")

                let id = "stress-aterhamtning.sv.md"
                let swedish = try db.scalar("SELECT min(c.tsv::text) FROM coachspool.chunks c JOIN coachspool.documents d ON d.id = c.document_id WHERE d.external_id = \(id)", as: String.self)
                try db.execute("UPDATE coachspool.documents SET language = NULL WHERE external_id = \(id)")
                let simple = try db.scalar("SELECT min(c.tsv::text) FROM coachspool.chunks c JOIN coachspool.documents d ON d.id = c.document_id WHERE d.external_id = \(id)", as: String.self)
                #expect(simple != swedish, "re-indexed with the 'simple' configuration")
            }
        }
    }
}
