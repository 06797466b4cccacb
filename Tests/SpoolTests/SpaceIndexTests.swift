import Foundation
import Knowledge
import LibPQ
import Spool
import Testing

extension DatabaseTests {
    /// Issue 18: a space's HNSW index is built once its first backlog has drained, by exactly one
    /// of many workers, and a builder that dies leaves nothing the next one cannot finish.
    @Suite struct SpaceIndexTests {
        static let builtLine = "built the space's HNSW index"

        /// Registers the hash embedder's space the way a worker does (`work --drain` on an empty
        /// spool) and returns its id.
        static func registerHashSpace(_ db: TestDatabase) async throws -> Int32 {
            let work = try await CoachSpoolProcess.run(["work", "--drain", "--embedder", "hash"], database: db)
            #expect(work.status == 0, "\(work.err)")
            return try db.scalar("SELECT id FROM coachspool.embedding_spaces", as: Int32.self)
        }

        /// `count` random unit-less 384-d vectors in `space`, under one document, written directly
        /// (a backfill's result without the embedding time).
        static func insertVectors(_ db: TestDatabase, space: Int32, count: Int, document: String = "bulk") throws {
            let conn = try db.connect()
            try conn.query("SELECT coachspool.upsert_document(\(document), 'Bulk', 'body', NULL, NULL, 'test')")
            try conn.query("DELETE FROM coachspool.jobs WHERE kind = 'embed:' || \(space)")
            try conn.query("""
                INSERT INTO coachspool.chunks (space_id, document_id, content_hash, ordinal, body, start_offset, embedding, worker)
                SELECT \(space), d.id, d.content_hash, g, 'chunk ' || g, 0,
                       (SELECT array_agg(random()) FROM generate_series(1, 384) WHERE g > 0)::vector, 'test'
                  FROM coachspool.documents d, generate_series(1, \(count)) g
                 WHERE d.external_id = \(document)
                """)
        }

        static func index(_ db: TestDatabase, space: Int32) throws -> (state: String, valid: Bool?) {
            let row = try db.connect().query("SELECT index_state, index_valid FROM coachspool.space_indexes WHERE space_id = \(space)").first!
            return (try row.decode(String.self, at: 0), try row.decode(Bool?.self, at: 1))
        }

        @Test func manyWorkersBuildTheIndexOnceAfterTheFirstBackfillDrains() async throws {
            try await TestDatabase.with { db in
                let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "documents", KnowledgeBaseTests.knowledge], database: db)
                #expect(ingest.status == 0, "\(ingest.err)")
                let workers = try (0..<3).map { _ in
                    try CoachSpoolProcess(
                        ["work", "--drain", "--embedder", "hash", "--batch-size", "2", "--index-check-interval", "0.1"],
                        database: db, environment: ["COACHSPOOL_LOG_LEVEL": "info"])
                }
                for worker in workers { #expect(await worker.wait() == 0, "\(worker.stderr)") }
                let space = try db.scalar("SELECT id FROM coachspool.embedding_spaces", as: Int32.self)
                #expect(try Self.index(db, space: space) == ("ready", true))
                #expect(workers.map { $0.stderr.components(separatedBy: Self.builtLine).count - 1 }.reduce(0, +) == 1)
                #expect(try db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'chunks_hnsw_space_%'", as: Int.self) == 1)
                let found = try await KnowledgeBaseTests.search("What is spaced repetition?", db: db)
                #expect(found.sources.count == 3)
            }
        }

        @Test func aBuilderKilledMidBuildLeavesAnInvalidIndexTheNextWorkerReplaces() async throws {
            try await TestDatabase.with { db in
                let space = try await Self.registerHashSpace(db)
                try Self.insertVectors(db, space: space, count: 20_000)
                #expect(try Self.index(db, space: space) == ("deferred", nil))

                let builder = try CoachSpoolProcess(
                    ["work", "--embedder", "hash", "--index-check-interval", "0.1"], database: db)
                let conn = try db.connect()
                var buildPID: Int32?
                #expect(try await eventually(timeout: 60) {
                    buildPID = try conn.query("""
                        SELECT p.pid FROM pg_stat_progress_create_index p JOIN pg_stat_activity a USING (pid)
                         WHERE a.datname = current_database() AND p.phase LIKE 'building index%'
                        """).first?.decode(Int32.self, at: 0)
                    return buildPID != nil
                })
                // The worker's host is gone: the process and its session (the server would
                // otherwise finish the build on its own).
                builder.signal(SIGKILL)
                await builder.wait()
                // Terminating is asynchronous and the index is invalid during the build as well:
                // with a timeout the call returns once the session has exited (its advisory lock
                // released); without, the next worker may find the lock held and rightly leave
                // the build to the dying session.
                #expect(try conn.query("SELECT pg_terminate_backend(\(try #require(buildPID)), 30000)").scalar(Bool.self))
                #expect(try Self.index(db, space: space) == ("deferred", false))

                let next = try await CoachSpoolProcess.run(
                    ["work", "--drain", "--embedder", "hash"], database: db, environment: ["COACHSPOOL_LOG_LEVEL": "info"])
                #expect(next.status == 0, "\(next.err)")
                #expect(next.err.contains(Self.builtLine), "\(next.err)")
                #expect(try Self.index(db, space: space) == ("ready", true))
                #expect(try db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'chunks_hnsw_space_%'", as: Int.self) == 1)
            }
        }

        /// The worker role may not create indexes: it builds through the owner's function. A
        /// large backlog on the small space then drops the index, and search stays exact.
        @Test func theWorkerRoleBuildsAndALargeBacklogOnASmallSpaceDefers() async throws {
            try await TestDatabase.with { db in
                let space = try await Self.registerHashSpace(db)
                try Self.insertVectors(db, space: space, count: 200)
                let conn = try db.connect()
                try conn.execute(unsafeSQL: "SET ROLE coachspool_worker")
                var settings = SpaceIndexSettings()
                settings.deferThreshold = 300
                guard case .built = try SpaceIndex.maintain(conn, space: space, settings: settings) else {
                    Issue.record("expected a build")
                    return
                }
                #expect(try Self.index(db, space: space) == ("ready", true))
                #expect(try SpaceIndex.maintain(conn, space: space, settings: settings) == .nothing)

                // 299 documents waiting: below the threshold, the live index takes them; 300 on a
                // space of 200 vectors: built again after them.
                try conn.query("SELECT coachspool.upsert_document('d' || n, 'T', 'text', NULL, NULL, 'test') FROM generate_series(1, 299) n")
                #expect(try SpaceIndex.maintain(conn, space: space, settings: settings) == .nothing)
                try conn.query("SELECT coachspool.upsert_document('d300', 'T', 'text', NULL, NULL, 'test')")
                #expect(try SpaceIndex.maintain(conn, space: space, settings: settings) == .deferred)
                #expect(try Self.index(db, space: space) == ("deferred", nil))

                // Exact search meanwhile: the same order as a brute-force scan.
                let query = "(SELECT embedding FROM coachspool.chunks WHERE ordinal = 7)"
                let searched = try conn.query(PGQuery(unsafeSQL: """
                    SELECT chunk_id FROM coachspool.search_vector(\(query), 10, \(space))
                    """)).map { try $0.decode(Int64.self, at: 0) }
                let exact = try conn.query(PGQuery(unsafeSQL: """
                    SELECT id FROM coachspool.chunks WHERE space_id = \(space) ORDER BY embedding <=> \(query), id LIMIT 10
                    """)).map { try $0.decode(Int64.self, at: 0) }
                #expect(searched == exact)
                #expect(searched.count == 10)
            }
        }
    }
}
