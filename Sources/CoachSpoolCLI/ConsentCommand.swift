import ArgumentParser
import CoachSpoolCore
import Foundation
import Privacy
import Spool

struct ConsentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Record a user's consent to training or retrieval use of their conversations.",
        discussion: """
            The coach app does the same through SQL (SELECT coachspool.set_consent(user_id, purpose, granted)) \
            or HTTP (POST /v1/consent). Prints what the id matched and what happens next. An id that \
            matches no interaction is still recorded (it applies to what the user logs later), with a \
            warning on stderr; the exit status stays 0.
            """,
        subcommands: [Grant.self, Revoke.self])

    struct Target: ParsableArguments {
        @Argument(help: "The user id, as the app logs it.")
        var userID: String

        @Option(help: "training or retrieval.")
        var purpose: Consent.Purpose

        func validate() throws {
            guard !userID.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("the user id must not be empty") }
        }

        func set(_ granted: Bool) async throws {
            let (user, purpose) = (userID, purpose)
            let (changed, reach) = try await Blocking.run {
                let conn = try openConnection(application: "coachspool-consent")
                return (try Consent.set(conn, user: user, purpose: purpose, granted: granted), try Consent.reach(conn, user: user))
            }
            for line in ConsentCommand.report(user: user, purpose: purpose, granted: granted, changed: changed, reach: reach) { print(line) }
            if reach.interactions == 0 {
                printError("""
                    warning: no interaction has this user id (yet): the consent is recorded and applies to what they log \
                    later; check the id if you expected conversations
                    """)
            }
        }
    }

    struct Grant: AsyncParsableCommand {

        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(abstract: "Grant consent for one purpose.")
        @OptionGroup var target: Target
        func run() async throws { try await target.set(true) }
    }

    struct Revoke: AsyncParsableCommand {

        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(abstract: "Revoke consent for one purpose.")
        @OptionGroup var target: Target
        func run() async throws { try await target.set(false) }
    }
}

extension ConsentCommand {
    /// What was recorded and what happens next. The user appears as erase shows them, by the
    /// first bytes of the id's SHA-256: output ends up in logs, and ids are never written there.
    static func report(
        user: String, purpose: Consent.Purpose, granted: Bool, changed: Bool, reach: (interactions: Int, conversations: Int)
    ) -> [String] {
        let matched = "\(reach.conversations) conversation\(reach.conversations == 1 ? "" : "s"), \(reach.interactions) interaction\(reach.interactions == 1 ? "" : "s")"
        var lines = ["\(purpose.rawValue) consent \(granted ? "granted" : "revoked") for user sha256:\(Erasure.digest(of: user))\(changed ? "" : " (unchanged)") — \(matched)"]
        guard changed, reach.interactions > 0 else { return lines }
        switch (purpose, granted) {
        case (.training, true):
            lines.append("next: their conversations are queued; `coachspool work` builds their examples, and the next `coachspool export` includes them")
        case (.training, false):
            lines.append("""
                next: their conversations are queued; `coachspool work` removes their examples from the next exports. Exports and \
                training runs made before keep them (coachspool.export_overview, `coachspool runs list`): export and train again, \
                or `coachspool erase --user` to remove the person everywhere
                """)
        case (.retrieval, true):
            lines.append("next: their interactions are queued; `coachspool work` embeds those the quality filter accepted into the conversation memory (recall, RAG)")
        case (.retrieval, false):
            lines.append("their conversation memory is deleted (done, in the same transaction): recall and RAG no longer find it")
        }
        return lines
    }
}

extension Consent.Purpose: ExpressibleByArgument {}
