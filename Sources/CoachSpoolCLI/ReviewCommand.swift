import ArgumentParser
import CoachSpoolCore
import Foundation
import LibPQ
import Review
import Stages

struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "The review queue: exchanges with a low rating or helpful false (and a sample of accepted ones), and decisions on them.",
        discussion: """
            A correction (correct ID --answer-file FILE) becomes the trained answer of that turn in the SFT \
            formats and the chosen side of a DPO pair (the original is the rejected side) in the next export, \
            once a worker has rebuilt the conversation. Texts are shown redacted; a correction is redacted \
            before it is stored. The same through HTTP (GET /v1/review/next, POST /v1/review), SQL \
            (coachspool.review_next, coachspool.review_decide) and serve's console (/console/review). \
            Decisions are recorded under --reviewer (default COACHSPOOL_REVIEWER, else cli: and a digest \
            of the login and host): a pseudonymous id, never a name.
            """,
        subcommands: [Queue.self, Show.self, Approve.self, Reject.self, Correct.self])

    struct Who: ParsableArguments {
        @Option(help: "The pseudonymous id decisions are recorded under (1–64 letters, digits or :._-).")
        var reviewer: String?

        func id() throws -> ReviewerID {
            if let value = reviewer ?? ProcessInfo.processInfo.environment["COACHSPOOL_REVIEWER"] {
                guard let id = ReviewerID(value) else {
                    throw CoachSpoolError(.input, "--reviewer: expected 1 to 64 letters, digits or :._-")
                }
                return id
            }
            let login = ProcessInfo.processInfo.environment["USER"] ?? "user"
            return ReviewerID(token: login + "@" + ProcessInfo.processInfo.hostName, kind: .cli)
        }
    }

    struct Queue: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(abstract: "List the exchanges waiting for review, newest first.")
        @Option(help: "At most this many (1–\(Reviews.maximumPage)).") var limit = 50
        @Option(help: "Only this mode (personal or university).") var mode: Mode?
        @Option(help: "Only this language tag.") var language: String?
        @Flag(help: "One JSON object per line (the API's item shape).") var json = false

        func validate() throws {
            guard (1...Reviews.maximumPage).contains(limit) else { throw ValidationError("--limit must be 1…\(Reviews.maximumPage)") }
            if let language, let problem = InputLimits.language.problem(language) { throw ValidationError("--language: \(problem)") }
        }

        func run() async throws {
            let (limit, filter) = (limit, Reviews.Filter(mode: mode, language: language))
            let items = try await Blocking.run { try Reviews().queue(try openConnection(application: "coachspool-review"), limit: limit, filter: filter) }
            if json {
                for item in items {
                    var out = JSONWriter()
                    item.write(into: &out)
                    print(String(decoding: out.bytes, as: UTF8.self))
                }
                return
            }
            if items.isEmpty { print("nothing waits for review") }
            for item in items {
                let rating = item.rating.map { "rating \($0)" } ?? "no rating"
                print("\(item.interactionID)\t\(item.mode)\t\(item.language ?? "-")\t\(item.why.rawValue)\t\(rating)\t\(ReviewCommand.excerpt(item.userInput))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(abstract: "Show one exchange of the queue with its conversation so far, and its decisions.")
        @Argument(help: "The interaction id.") var id: Int64

        func run() async throws {
            let id = self.id
            let (item, history) = try await Blocking.run {
                let conn = try openConnection(application: "coachspool-review")
                return (try Reviews().item(conn, interaction: id), try Reviews().history(conn, interaction: id))
            }
            if let item {
                print("exchange \(item.interactionID) · \(item.mode) · \(item.language ?? "language unknown") · why: \(item.why.rawValue) · rating \(item.rating.map(String.init) ?? "none") · helpful \(item.helpful.map(String.init) ?? "unknown")")
                for turn in item.context { print("  user:  \(turn.user)\n  coach: \(turn.assistant)") }
                print("> user:  \(item.userInput)\n> coach: \(item.aiResponse)")
            } else {
                print("exchange \(id) does not wait for review (decided, not in the queue, or no training consent)")
            }
            for decision in history {
                print("decision \(decision.id): \(decision.decision.rawValue)\(decision.corrected ? " (with a correction)" : "") by \(decision.reviewer) at \(decision.decidedAt.formatted(.iso8601))")
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(abstract: "Train on an exchange's answer after all.")
        @Argument(help: "The interaction id.") var id: Int64
        @OptionGroup var who: Who
        func run() async throws { try await ReviewCommand.decide(id, .approve, who: who) }
    }

    struct Reject: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(abstract: "Keep an exchange's answer out of training.")
        @Argument(help: "The interaction id.") var id: Int64
        @Option(help: "Why (at most 1,000 bytes; no personal data).") var reason: String
        @OptionGroup var who: Who
        func run() async throws { try await ReviewCommand.decide(id, .reject, reason: reason, who: who) }
    }

    struct Correct: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(abstract: "Write the answer the coach should have given (from a file, - for stdin).")
        @Argument(help: "The interaction id.") var id: Int64
        @Option(help: "The corrected answer, UTF-8, at most 32 KiB.") var answerFile: String
        @OptionGroup var who: Who

        func run() async throws {
            let data: Data
            if answerFile == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let contents = FileManager.default.contents(atPath: answerFile) else {
                    throw CoachSpoolError(.input, "cannot be read", file: answerFile)
                }
                data = contents
            }
            guard data.count <= InputLimits.correctedAnswer.maxBytes, let text = String(data: data, encoding: .utf8) else {
                throw CoachSpoolError(.input, "--answer-file: expected UTF-8 text of at most 32 KiB", file: answerFile)
            }
            try await ReviewCommand.decide(id, .correct, correctedAnswer: text.trimmingCharacters(in: .whitespacesAndNewlines), who: who)
        }
    }

    static func decide(_ id: Int64, _ decision: Reviews.Decision, correctedAnswer: String? = nil, reason: String? = nil, who: Who) async throws {
        let reviewer = try who.id()
        do {
            let review = try await Blocking.run {
                try Reviews().decide(
                    try openConnection(application: "coachspool-review"), interaction: id, decision: decision, reviewer: reviewer,
                    correctedAnswer: correctedAnswer, reason: reason)
            }
            print("recorded \(decision.rawValue) of exchange \(id) (decision \(review), reviewer \(reviewer)); its conversation is rebuilt by the next worker")
        } catch let error as Reviews.Invalid {
            throw CoachSpoolError(.input, "\(error.field): \(error.message)")
        } catch let error as PGError where error.sqlState == PGError.SQLState.foreignKeyViolation {
            throw CoachSpoolError(.input, "no exchange has id \(id)")
        } catch let error as PGError where error.sqlState == PGError.SQLState.objectNotInPrerequisiteState {
            throw CoachSpoolError(.input, "exchange \(id) cannot be reviewed: its user has not consented to training")
        } catch let error as PGError where error.sqlState == PGError.SQLState.objectInUse {
            throw CoachSpoolError(.input, "exchange \(id) is held by another reviewer (for the lease in coachspool.review_settings)")
        } catch let error as PGError where error.sqlState == PGError.SQLState.invalidParameterValue {
            throw CoachSpoolError(.input, error.message.hasPrefix("p_") ? String(error.message.dropFirst(2)) : error.message)
        }
    }

    /// The first 80 characters of a (redacted) text, on one line.
    static func excerpt(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count > 80 ? String(line.prefix(79)) + "…" : line
    }
}
