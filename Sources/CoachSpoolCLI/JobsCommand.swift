import ArgumentParser
import CoachSpoolCore
import Foundation
import Queue
import Spool

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Inspect, retry or discard dead jobs.",
        subcommands: [List.self, Retry.self, Discard.self])

    struct Selection: ParsableArguments {
        @Option(name: .customLong("id"), help: "A dead job's id (repeatable).")
        var ids: [Int64] = []

        @Flag(help: "Every dead job.")
        var all = false

        func validate() throws {
            guard all != !ids.isEmpty else { throw ValidationError("give --id N (repeatable) or --all") }
        }

        var selected: [Int64]? { all ? nil : ids }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List dead jobs with their last error.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var read: ReadOptions
        @Option(help: "At most this many.") var limit = 100

        func run() async throws {
            let limit = limit
            let entries = try await Blocking.run { try DeadJobs.list(try read.connect(application: "coachspool-jobs"), limit: limit) }
            if entries.isEmpty { print("no dead jobs") }
            for e in entries {
                print("\(e.id)  \(e.kind)  source \(e.sourceID)  attempts \(e.attempt)  \(e.lastError ?? "")")
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry", abstract: "Make dead jobs ready again.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var selection: Selection
        @Option(help: "Attempts allowed from now on.") var attempts = 5

        func run() async throws {
            let (ids, attempts) = (selection.selected, attempts)
            let count = try await Blocking.run { try DeadJobs.retry(try openConnection(application: "coachspool-jobs"), ids: ids, attempts: attempts) }
            print("retrying \(count) jobs")
        }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "discard", abstract: "Delete dead jobs (their source rows stay).")
        @OptionGroup var common: CommonOptions
        @OptionGroup var selection: Selection

        func run() async throws {
            let ids = selection.selected
            let count = try await Blocking.run { try DeadJobs.discard(try openConnection(application: "coachspool-jobs"), ids: ids) }
            print("discarded \(count) jobs")
        }
    }
}
