import Foundation
import LibPQ
import Logging
import Pipeline
import Queue
import Spool
import Stages
import Testing
import Tokenizers

extension DatabaseTests {
    /// docs/architecture.md, "Adding a stage", followed once: a trivial stage in a folder of its
    /// own (`AddingAStage/ReplyLength/`: pure function + row, handler with its graph line and
    /// migration), run by the real runtime beside the standard stages, exactly once per job.
    @Suite struct AddingAStageTests {
        @Test func aStageFromTheGuideRunsBesideTheOthers() async throws {
            try await TestDatabase.with { db in
                try db.connect().execute(unsafeSQL: ReplyLengthHandler.migration)
                let ids = try (1...250).map { i in
                    try db.scalar("""
                        SELECT coachspool.log_interaction(p_user_input => \("question \(i)"),
                            p_ai_response => \(String(repeating: "word ", count: i % 7 + 1) + "done"), p_rating => 4)
                        """, as: Int64.self)
                }
                try db.execute("INSERT INTO coachspool.jobs (kind, source_id) SELECT 'reply_length', unnest(\(ids)::bigint[])")

                let models = ProcessInfo.processInfo.environment["COACHSPOOL_MODELS"] ?? ".coachspool/models"
                var config = WorkerConfiguration(conninfo: db.url, text: TextPreparation(encoding: try CL100K(modelsDirectory: models)))
                config.drain = true
                try await WorkerService(
                    configuration: config, handlers: config.standardHandlers + [ReplyLengthHandler()], logger: Logger(label: "test")
                ).run()

                #expect(try db.scalar("SELECT count(*) FROM coachspool.reply_lengths", as: Int.self) == 250)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs", as: Int.self) == 0, "every job retired, none dead")
                let row = try db.connect().query("SELECT characters, words FROM coachspool.reply_lengths WHERE interaction_id = \(ids[2])")[0]
                #expect(try row.decode(Int.self, named: "characters") == "word word word word done".count)
                #expect(try row.decode(Int.self, named: "words") == 5)
                // The standard stages ran beside it: the interactions were prepared too.
                #expect(try db.scalar("SELECT count(*) FROM coachspool.quality_verdicts", as: Int.self) == 250)
                // Its graph line names what it is and writes.
                #expect(ReplyLengthHandler.declaration.kind == ReplyLengthHandler.kind.rawValue)
                #expect(ReplyLengthHandler.declaration.writes == ["reply_lengths"])
            }
        }
    }
}
