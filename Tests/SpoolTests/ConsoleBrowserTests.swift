import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// The console (`/console/`) and the review loop in a real headless Chromium
    /// (scripts/browser/console.py through Selenium, Debian's chromium and chromium-driver)
    /// against a real `serve`, workers and PostgreSQL: what the browser shows is checked against
    /// the admin views, and what it does against the database and the next exports.
    @Suite struct ConsoleBrowserTests {
        static let apiToken = "console-api-" + (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }.joined()
        static let reviewerToken = "console-rev-" + (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }.joined()
        static let correction = "Börja med tio minuters promenad varje morgon, samma tid, och bocka av dagen i en kalender."

        /// Runs one scenario of the driver; returns its JSON (the last line of stdout).
        static func drive(_ port: Int, token: String, _ arguments: [String]) async throws -> [String: Any] {
            let python = try #require(ProcessInfo.processInfo.environment["COACHSPOOL_BROWSER_PYTHON"], "run through scripts/test.sh (scripts/fetch-browser.sh)")
            let shots = Repository.root.appendingPathComponent(".coachspool/console-screenshots").path
            try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
            let driver = Repository.root.appendingPathComponent("scripts/browser/console.py").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [driver, "--base", "http://127.0.0.1:\(port)", "--screenshots", shots] + arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["COACHSPOOL_CONSOLE_TOKEN": token]) { $1 }
            let (out, err) = (temporaryFile("browser-out"), temporaryFile("browser-err"))
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            await waitForExit(process)
            let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            #expect(process.terminationStatus == 0, "\(arguments.first ?? ""): \(stderr.suffix(2000))")
            let last = stdout.split(separator: "\n").last.map(String.init) ?? "{}"
            return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "no JSON from the driver: \(stderr.suffix(1000))")
        }

        static func jsonLines(_ url: URL) throws -> [[String: Any]] {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
            return try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        }

        /// A coach corrects a rejected answer with the keyboard alone, and the correction is in
        /// the next `trl-sft` export as the trained answer and in `trl-dpo` as the chosen side
        /// against the original; an operator retries a dead job from Jobs and a worker processes
        /// it; the Overview shows the admin view's numbers; a reviewer token gets 403 outside
        /// Review; a POST without the CSRF token is refused; every page is labelled and saved
        /// as a screenshot.
        @Test func aCoachCorrectsInTheBrowserAndAnOperatorRetriesADeadJob() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let sample = Repository.root.appendingPathComponent("scripts/sample-data/interactions.jsonl").path
                let ingest = try await CoachSpoolProcess.run(["ingest", sample], database: db)
                #expect(ingest.status == 0, "\(ingest.err)")
                for user in 1...12 {
                    _ = try await CoachSpoolProcess.run(["consent", "grant", "user-\(user)", "--purpose", "training"], database: db)
                }
                let first = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(first.status == 0, "\(first.err)")
                // The queue: only low-rated, unhelpful and sampled exchanges (the rest never show).
                try conn.query("INSERT INTO coachspool.review_settings (sample_per_mille) VALUES (0)")
                let waiting = try conn.query("SELECT interaction_id, why FROM coachspool.review_queue ORDER BY interaction_id DESC")
                    .map { (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1)) }
                try #require(!waiting.isEmpty, "the sample data has low-rated exchanges")
                #expect(waiting.allSatisfy { $0.1 != "sample" })
                let newest = waiting[0].0
                let original = try conn.query("""
                    SELECT ai_response FROM coachspool.interaction_texts WHERE interaction_id = \(newest) ORDER BY processed_at DESC LIMIT 1
                    """).scalar(String.self)
                // A dead job for the operator.
                let dead = try conn.query("""
                    INSERT INTO coachspool.jobs (kind, source_id, state, attempt, max_attempts, last_error)
                    VALUES ('interaction', \(newest), 'dead', 5, 5, 'simulated: the worker was killed five times') RETURNING id
                    """).scalar(Int64.self)

                let server = try CoachSpoolProcess(
                    ["serve", "--port", "0", "--embedder", "hash"], database: db,
                    environment: ["COACHSPOOL_API_TOKENS": Self.apiToken, "COACHSPOOL_REVIEWER_TOKENS": Self.reviewerToken])
                defer { server.signal(SIGKILL) }
                let port = try await HTTPAPITests.port(of: server)

                let signin = try await Self.drive(port, token: Self.apiToken, ["signin"])
                let cookie = try #require(signin["cookie"] as? [String: Any])
                #expect(cookie["http_only"] as? Bool == true && cookie["same_site"] as? String == "Strict")

                // The Overview's numbers are the admin view's.
                let overview = try await Self.drive(port, token: Self.apiToken, ["overview"])
                let shown = try #require(overview["stages"] as? [String: [String: Int]])
                var expected: [String: [String: Int]] = [:]
                for row in try conn.query("SELECT kind, ready, running, retrying, dead FROM coachspool.queue_status_by_kind") {
                    expected[try row.decode(String.self, at: 0)] = [
                        "ready": try row.decode(Int.self, at: 1), "running": try row.decode(Int.self, at: 2),
                        "retrying": try row.decode(Int.self, at: 3), "dead": try row.decode(Int.self, at: 4),
                    ]
                }
                #expect(shown == expected)
                #expect(shown["interaction"]?["dead"] == 1)
                #expect(overview["has_chart"] as? Bool == true)

                // Review with the keyboard alone, as a reviewer.
                let review = try await Self.drive(port, token: Self.reviewerToken, ["review-keyboard", "--decision", "correct", "--answer", Self.correction])
                #expect((review["interaction_id"] as? NSNumber)?.int64Value == newest)
                let decided = try conn.query("""
                    SELECT decision, corrected_answer, reviewer FROM coachspool.reviews WHERE interaction_id = \(newest)
                    """).map { (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1), try $0.decode(String.self, at: 2)) }
                #expect(decided.count == 1 && decided.first?.0 == "correct" && decided.first?.1 == Self.correction)
                #expect(decided.first?.2.hasPrefix("reviewer:") == true)

                // Jobs: retry every dead job of the stage; a worker processes it.
                let retried = try await Self.drive(port, token: Self.apiToken, ["jobs-retry", "--kind", "interaction"])
                #expect((retried["dead_before"] as? [NSNumber])?.map(\.int64Value) == [dead])
                #expect((retried["errors"] as? [String])?.first?.contains("killed five times") == true)
                #expect((retried["after_status"] as? String)?.contains("Retried 1 job") == true)
                #expect(try conn.query("SELECT state FROM coachspool.jobs WHERE id = \(dead)").first?.decode(String.self, at: 0) == "ready")

                let second = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(second.status == 0, "\(second.err)")
                #expect(try conn.query("SELECT count(*) FROM coachspool.jobs WHERE id = \(dead)").scalar(Int.self) == 0, "retried and processed")

                // The correction in the next exports.
                let sft = temporaryFile("console-sft"), dpo = temporaryFile("console-dpo")
                for (format, folder) in [("trl-sft", sft), ("trl-dpo", dpo)] {
                    let export = try await CoachSpoolProcess.run(["export", "--format", format, "--out", folder.path], database: db)
                    #expect(export.status == 0, "\(format): \(export.err)")
                }
                let sftRows = try Self.jsonLines(sft.appendingPathComponent("train.jsonl")) + Self.jsonLines(sft.appendingPathComponent("validation.jsonl"))
                let trained = sftRows.compactMap { (($0["completion"] as? [[String: Any]])?.first?["content"] as? String) }
                #expect(trained.contains(Self.correction), "the correction is a trained answer")
                #expect(!trained.contains(original), "the rejected original is never trained on")
                let pairs = try Self.jsonLines(dpo.appendingPathComponent("train.jsonl")) + Self.jsonLines(dpo.appendingPathComponent("validation.jsonl"))
                let pair = pairs.first { (($0["chosen"] as? [[String: Any]])?.first?["content"] as? String) == Self.correction }
                #expect(pair != nil, "a DPO pair with the correction chosen")
                #expect(((pair?["rejected"] as? [[String: Any]])?.first?["content"] as? String) == original)
                let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sft.appendingPathComponent("manifest.json"))) as? [String: Any])
                #expect((manifest["examples_from_corrections"] as? Int ?? 0) >= 1)

                // A reviewer token opens Review only; a form without its CSRF token is refused.
                let forbidden = try await Self.drive(port, token: Self.reviewerToken, ["forbidden"])
                let statuses = try #require(forbidden["status"] as? [String: Int])
                for page in ["/console/jobs", "/console/", "/console/training", "/console/retrieval"] {
                    #expect(statuses[page] == 403, "\(page)")
                }
                let csrf = try await Self.drive(port, token: Self.apiToken, ["csrf"])
                #expect(csrf["ok"] as? Bool == true, "\(csrf)")

                // A training run's loss curve, as `train` records it (metrics.loss_curve: the
                // trainer's log, baseline at step 0), and its erased-data flag.
                let run = try conn.query("""
                    INSERT INTO coachspool.training_runs (method, base_model, base_model_config_sha256, hyperparameters, dataset_format,
                           manifest_sha256, files_sha256, status, metrics, out_dir, host, pid, finished_at, contains_erased_data)
                    VALUES ('sft', 'tiny-llama', 'aa', '{}', 'trl-sft', 'bb', '{}', 'succeeded',
                            '{"baseline_eval_loss": 2.9, "eval_loss": 2.1, "loss_curve": {"train": [[1, 3.1], [2, 2.8], [3, 2.4], [4, 2.2]], "validation": [[0, 2.9], [4, 2.1]]}}',
                            '/tmp/run', 'test', 1, now(), true)
                    RETURNING id
                    """).scalar(Int64.self)
                let training = try await Self.drive(port, token: Self.apiToken, ["training"])
                let shownRun = try #require((training["runs"] as? [String: [String: Any]])?["\(run)"], "\(training)")
                #expect(shownRun["curves"] as? [Int] == [4, 2], "train and validation lines with all their points")
                #expect(shownRun["erased"] as? String == "yes")

                // Every page, labelled, saved for people to look at.
                let shots = try await Self.drive(port, token: Self.apiToken, ["screenshots"])
                #expect((shots["unlabelled"] as? [Any])?.isEmpty == true)
                #expect((shots["files"] as? [String])?.count == 5)

                // Audited: who (pseudonymous), what, never a text.
                let audit = try conn.query("SELECT actor, action, coalesce(target, '') FROM coachspool.audit_log ORDER BY id")
                    .map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2)) }
                #expect(audit.contains { $0.1 == "review.correct" && $0.0.hasPrefix("reviewer:") && $0.2 == "interaction:\(newest)" })
                #expect(audit.contains { $0.1 == "jobs.retry_matching" && $0.0.hasPrefix("api:") })
                #expect(audit.contains { $0.1 == "console.sign_in" })
                #expect(!audit.contains { $0.2.contains(Self.correction) || $0.0.contains(Self.apiToken) })
            }
        }
    }
}
