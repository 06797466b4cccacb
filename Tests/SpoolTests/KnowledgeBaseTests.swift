import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// Documents → chunks → vectors → search, through the real binary, the real model and
    /// pgvector.
    @Suite struct KnowledgeBaseTests {
        static let knowledge = Repository.path("scripts/sample-data/knowledge").path

        /// Questions whose right document is known, Swedish and English.
        static let questions: [(String, String)] = [
            ("How can I stop procrastinating on my thesis?", "procrastination.en.md"),
            ("Hur sätter jag mätbara mål?", "malsattning.sv.md"),
            ("Får jag använda ChatGPT när jag skriver min uppsats?", "ai-pa-universitetet.sv.md"),
            ("What is spaced repetition?", "study-techniques.en.md"),
            ("How do I show that I'm really listening?", "active-listening.en.md"),
            ("Hur vet man om man är utbränd?", "stress-aterhamtning.sv.md"),
            ("My manager never gives me any feedback", "feedback-at-work.en.md"),
            ("Jag har svårt att hålla mig motiverad", "motivation.sv.md"),
            ("Can I cite sources that an AI chatbot gave me?", "ai-at-university.en.md"),
        ]

        static func search(_ question: String, db: TestDatabase, k: Int = 3) async throws -> (space: Int, sources: [String]) {
            let result = try await CoachSpoolProcess.run(["search", question, "-k", "\(k)", "--json"], database: db)
            #expect(result.status == 0, "\(result.err)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
            let results = try #require(object["results"] as? [[String: Any]])
            return (object["space"] as? Int ?? 0, results.compactMap { $0["source"] as? String })
        }

        @Test func theShippedKnowledgeBaseAnswersKnownQuestionsInTheTop3() async throws {
            try await TestDatabase.with { db in
                let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "documents", Self.knowledge], database: db)
                #expect(ingest.status == 0, "\(ingest.err)")
                #expect(ingest.out.contains("stored 12"))
                let work = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(work.status == 0, "\(work.err)")
                // Every document chunked once, every chunk with a 384-d unit vector.
                #expect(try db.scalar("SELECT count(DISTINCT document_id) FROM coachspool.chunks", as: Int.self) == 12)
                #expect(try db.scalar("""
                    SELECT count(*) FROM coachspool.chunks
                     WHERE vector_dims(embedding) <> 384 OR abs(vector_norm(embedding) - 1) > 1e-4
                    """, as: Int.self) == 0)
                for (question, source) in Self.questions {
                    let found = try await Self.search(question, db: db)
                    #expect(found.sources.contains(source), "\(question) → \(found.sources)")
                }
                // The rag prompt carries the chunks, each passage under its source, in the
                // question's language (English, detected), and lists the sources.
                let rag = try await CoachSpoolProcess.run(["rag", "What is spaced repetition?", "-k", "2"], database: db)
                #expect(rag.status == 0, "\(rag.err)")
                #expect(rag.out.hasPrefix("Based on the following information:\n[1] "), "\(rag.out)")
                #expect(rag.out.contains("User question: What is spaced repetition?\n\nGive a helpful coaching answer:"))
                #expect(rag.out.contains("study-techniques.en.md"))
                // --language names the prompt's language (and filters the documents).
                let swedish = try await CoachSpoolProcess.run(["rag", "What is spaced repetition?", "-k", "2", "--language", "sv"], database: db)
                #expect(swedish.out.contains("Användarfråga: What is spaced repetition?\n\nGe ett hjälpsamt coaching-svar:"), "\(swedish.out)")
                #expect(!rag.out.contains("Answer"))

                // With a chat model configured, the prompt goes to {base}/chat/completions.
                let chat = try OpenAIDouble()
                defer { chat.stop() }
                let answered = try await CoachSpoolProcess.run(
                    ["rag", "What is spaced repetition?", "-k", "2"], database: db,
                    environment: ["COACHSPOOL_CHAT_MODEL": "coach-model", "COACHSPOOL_OPENAI_BASE_URL": chat.baseURL, "OPENAI_API_KEY": "sk-chat"])
                #expect(answered.status == 0, "\(answered.err)")
                #expect(answered.out.contains("Answer (coach-model):\nDouble answer to"))
                let request = try #require(chat.requests.first?["body"] as? [String: Any])
                let messages = try #require(request["messages"] as? [[String: Any]])
                #expect((messages.first?["content"] as? String)?.hasPrefix("Based on the following information:") == true)
            }
        }

        @Test func documentsAreIdempotentAndAChangedOneReplacesOnlyItsChunks() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("docs.jsonl")
                func write(_ sleepText: String) throws {
                    try """
                        {"id": "sleep", "title": "Sleep", "text": "\(sleepText)", "source": "handbook", "language": "en"}
                        {"id": "goals", "title": "Goals", "text": "Write goals down and review them every week.", "language": "en"}

                        """.write(to: file, atomically: true, encoding: .utf8)
                }
                try write("Go to bed at the same time every night.")
                #expect(try await CoachSpoolProcess.run(["ingest", "--format", "documents", file.path], database: db).status == 0)
                #expect(try await CoachSpoolProcess.run(["work", "--drain", "--embedder", "hash"], database: db).status == 0)
                let goalsBefore = try db.scalar("SELECT embedded_at::text FROM coachspool.chunks c JOIN coachspool.documents d ON d.id = c.document_id WHERE d.external_id = 'goals'", as: String.self)

                // The same file again: nothing changes, nothing is queued.
                let again = try await CoachSpoolProcess.run(["ingest", "--format", "documents", file.path], database: db)
                #expect(again.out.contains("stored 0, unchanged 2"))
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs", as: Int.self) == 0)

                try write("Keep a regular sleep schedule. Avoid screens in the last hour before bed.")
                let changed = try await CoachSpoolProcess.run(["ingest", "--format", "documents", file.path], database: db)
                #expect(changed.out.contains("stored 1, unchanged 1"))
                #expect(try await CoachSpoolProcess.run(["work", "--drain", "--embedder", "hash"], database: db).status == 0)
                let sleep = try db.connect().query("""
                    SELECT string_agg(c.body, ' '), bool_and(c.content_hash = d.content_hash), d.revision
                      FROM coachspool.chunks c JOIN coachspool.documents d ON d.id = c.document_id
                     WHERE d.external_id = 'sleep' GROUP BY d.revision
                    """)
                #expect(sleep.count == 1)
                #expect(try sleep[0].decode(String.self, at: 0).contains("Avoid screens"))
                #expect(try sleep[0].decode(Bool.self, at: 1))
                #expect(try sleep[0].decode(Int.self, at: 2) == 2)
                // The unchanged document was not embedded again.
                #expect(try db.scalar("SELECT embedded_at::text FROM coachspool.chunks c JOIN coachspool.documents d ON d.id = c.document_id WHERE d.external_id = 'goals'", as: String.self) == goalsBefore)
            }
        }

        @Test func badDocumentLinesAreNamedAndTheValidOnesKept() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("bad-docs.jsonl")
                try """
                    {"id": "ok", "title": "Fine", "text": "A useful paragraph."}
                    {"id": "no-text", "title": "Missing"}
                    {"id": 7, "title": "Number id", "text": "x"}
                    not json
                    {"id": "extra", "title": "T", "text": "x", "author": "me"}

                    """.write(to: file, atomically: true, encoding: .utf8)
                let result = try await CoachSpoolProcess.run(["ingest", "--format", "documents", file.path], database: db)
                #expect(result.status == 3)
                #expect(result.out.contains("stored 1, unchanged 0, rejected 4"))
                #expect(result.err.contains("line 2: text: expected a non-empty string"))
                #expect(result.err.contains("line 3: id: expected a string"))
                #expect(result.err.contains("line 4: expected a JSON object"))
                #expect(result.err.contains("line 5: author: unknown field"))
                #expect(try db.scalar("SELECT string_agg(external_id, ',') FROM coachspool.documents", as: String.self) == "ok")
            }
        }

        /// A new space (here the hashing embedder) is backfilled beside the active one; search
        /// keeps answering from the active space until the new one is complete and activated.
        @Test func searchDuringTheBackfillOfANewSpaceUsesTheActiveOne() async throws {
            try await TestDatabase.with { db in
                #expect(try await CoachSpoolProcess.run(["ingest", "--format", "documents", Self.knowledge], database: db).status == 0)
                #expect(try await CoachSpoolProcess.run(["work", "--drain"], database: db).status == 0)
                let question = Self.questions[0]
                #expect(try await Self.search(question.0, db: db).space == 1)

                // The hash space registers (queues its backfill) but nothing is embedded yet.
                let space = try db.scalar("SELECT coachspool.register_space('hash', 'fnv1a-words-bigrams-v1', 384, 'chars', 500, 50)", as: Int.self)
                #expect(space == 2)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs WHERE kind = 'embed:2'", as: Int.self) == 12)
                let during = try await Self.search(question.0, db: db)
                #expect(during.space == 1)
                #expect(during.sources.contains(question.1))
                let refused = try await CoachSpoolProcess.run(["spaces", "activate", "2"], database: db)
                #expect(refused.status != 0)
                #expect(refused.err.contains("0 of 12 documents"))

                // A worker for the new space backfills it while search goes on.
                let worker = try CoachSpoolProcess(["work", "--drain", "--embedder", "hash"], database: db)
                while worker.process.isRunning {
                    #expect(try await Self.search(question.0, db: db).space == 1)
                }
                #expect(await worker.wait() == 0, "\(worker.stderr)")
                let list = try await CoachSpoolProcess.run(["spaces", "list"], database: db)
                #expect(list.out.contains("2  complete  hash:fnv1a-words-bigrams-v1:384"))
                #expect(try await CoachSpoolProcess.run(["spaces", "activate", "2"], database: db).status == 0)
                #expect(try await Self.search(question.0, db: db).space == 2)
                // One chunk set per (space, document), never two.
                #expect(try db.scalar("""
                    SELECT count(*) FROM (SELECT space_id, document_id, ordinal FROM coachspool.chunks
                                           GROUP BY 1, 2, 3 HAVING count(*) > 1) d
                    """, as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(DISTINCT (space_id, document_id)) FROM coachspool.chunks", as: Int.self) == 24)
            }
        }

        /// Workers killed mid-embedding (the endpoint is slow) leave no partial or duplicate
        /// chunks: a restarted worker finishes, and every document has exactly one chunk set.
        @Test func aWorkerKilledMidEmbeddingLosesNothingAndDuplicatesNothing() async throws {
            let double = try OpenAIDouble(["--delay", "0.3", "--dimensions", "16"])
            defer { double.stop() }
            let environment = [
                "COACHSPOOL_OPENAI_BASE_URL": double.baseURL, "OPENAI_API_KEY": "sk-test",
                "COACHSPOOL_EMBEDDING_MODEL": "test-embedder", "COACHSPOOL_EMBEDDING_DIMENSIONS": "16",
            ]
            try await TestDatabase.with { db in
                let file = temporaryFile("many-docs.jsonl")
                var lines = ""
                for i in 0..<40 {
                    lines += #"{"id": "doc-\#(i)", "title": "Document \#(i)", "text": "Paragraph \#(i) about goals and habits. Small steps every day."}"# + "\n"
                }
                try lines.write(to: file, atomically: true, encoding: .utf8)
                #expect(try await CoachSpoolProcess.run(["ingest", "--format", "documents", file.path], database: db).status == 0)
                let arguments = ["work", "--drain", "--embedder", "openai", "--batch-size", "5", "--embed-batch-size", "5", "--lease", "2"]
                let victim = try CoachSpoolProcess(arguments, database: db, environment: environment)
                #expect(try await eventually(timeout: 30) { try db.scalar("SELECT count(*) FROM coachspool.chunks", as: Int.self) >= 5 })
                victim.signal(SIGKILL)
                await victim.wait()
                // Killed mid-run: some documents embedded, not all (else the test proves nothing).
                #expect(try db.scalar("SELECT count(*) FROM coachspool.chunks", as: Int.self) < 40)
                let survivor = try await CoachSpoolProcess.run(arguments, database: db, environment: environment)
                #expect(survivor.status == 0, "\(survivor.err)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.chunks", as: Int.self) == 40)
                #expect(try db.scalar("SELECT count(DISTINCT document_id) FROM coachspool.chunks", as: Int.self) == 40)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs", as: Int.self) == 0)
                #expect(!survivor.err.contains("sk-test"))
            }
        }
    }
}
