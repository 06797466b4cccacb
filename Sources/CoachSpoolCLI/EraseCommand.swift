import ArgumentParser
import Crypto
import Foundation
import LibPQ
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
        let logger = LoggingSetup.logger("coachspool.erase", level: common.logLevel)
        let user = self.user
        let (counts, runs) = try await onDedicatedThread {
            try openConnection(application: "coachspool-erase").transaction { conn in
                // Named before the erasure removes the lineage; erase_user's trigger flags them.
                let runs = try TrainingRuns.runs(ofUser: user, conn)
                let counts = try conn.query("SELECT table_name, removed FROM coachspool.erase_user(\(user))")
                    .map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
                return (counts, runs)
            }
        }
        let digest = SHA256.hash(data: Array(user.utf8)).prefix(8).hexString
        let summary = counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        logger.info("erased a user", metadata: ["user.sha256": "\(digest)", "removed": "\(summary)"])
        print("erased user sha256:\(digest): \(summary)")
        if !runs.isEmpty {
            let ids = runs.map(String.init).joined(separator: ", ")
            logger.notice("erased data was used by training runs", metadata: ["runs": "\(ids)"])
            print("training runs that learnt from this user's conversations (now flagged contains_erased_data; retrain without them): \(ids)")
        }
    }
}
