import ArgumentParser
import CoachSpoolCore
import Foundation
import Spool

struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Remove a person from every table, in one transaction (a right-to-erasure request).",
        discussion: """
            Deletes their interactions, feedback, everything derived from them (verdicts, redacted \
            texts, examples, DPO and KTO records), their jobs and consent records; conversations \
            shared with others are rebuilt without them. Prints and logs a hash of the id and the \
            counts, never the id. SQL: SELECT * FROM coachspool.erase_user(user_id).
            """)

    @Option(help: "The user id, as the app logs it.")
    var user: String

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard !user.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--user: the user id must not be empty") }
    }

    func run() async throws {
        let logger = LoggingSetup.logger("coachspool.erase")
        let user = self.user
        let erased = try await Blocking.run { try Erasure.erase(openConnection(application: "coachspool-erase"), user: user) }
        let summary = erased.removed.map { "\($0.table) \($0.rows)" }.joined(separator: ", ")
        logger.info("erased a user", metadata: [LogKey.userDigest: "\(erased.userDigest)", LogKey.removed: "\(summary)"])
        print("erased user sha256:\(erased.userDigest): \(summary)")
        if !erased.trainingRuns.isEmpty {
            let ids = erased.trainingRuns.map(String.init).joined(separator: ", ")
            logger.notice("erased data was used by training runs", metadata: [LogKey.runIDs: "\(ids)"])
            print("training runs that learnt from this user's conversations (now flagged contains_erased_data; retrain without them): \(ids)")
        }
    }
}
