import ArgumentParser
import CoachSpoolCore
import Foundation
import Spool

struct ConsentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Record a user's consent to training or retrieval use of their conversations.",
        discussion: "The coach app does the same through SQL: SELECT coachspool.set_consent(user_id, purpose, granted).",
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
            let changed = try await Blocking.run {
                try Consent.set(openConnection(application: "coachspool-consent"), user: user, purpose: purpose, granted: granted)
            }
            print("\(purpose.rawValue) consent \(granted ? "granted" : "revoked")\(changed ? "" : " (unchanged)")")
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

extension Consent.Purpose: ExpressibleByArgument {}
