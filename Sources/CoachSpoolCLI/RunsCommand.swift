import ArgumentParser
import Datasets
import Foundation
import Spool

/// `coachspool runs list | show ID`: the recorded training runs.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Training runs: status, base vs adapter validation loss, lineage and erasure flags.",
        subcommands: [List.self, Show.self])

    struct List: ParsableCommand {

        @OptionGroup var common: CommonOptions
        @OptionGroup var read: ReadOptions
        static let configuration = CommandConfiguration(abstract: "One line per run, newest first (runs whose process is gone are marked interrupted).")

        func run() throws {
            let runs = try TrainingRuns.list(try read.connect(application: "coachspool-runs"))
            if runs.isEmpty { print("no training runs yet") }
            for run in runs {
                let losses = run.baselineEvalLoss.flatMap { base in run.evalLoss.map { String(format: "loss %.4f → %.4f", base, $0) } } ?? "loss -"
                let flag = run.containsErasedData ? "  CONTAINS ERASED DATA: retrain without it" : ""
                print("\(run.id)  \(run.status)  \(run.method)  \(run.baseModel)  \(run.datasetFormat)  \(losses)  \(run.trainConversations) conversations  \(run.startedAt)\(flag)")
            }
        }
    }

    struct Show: ParsableCommand {

        @OptionGroup var common: CommonOptions
        @OptionGroup var read: ReadOptions
        static let configuration = CommandConfiguration(abstract: "One run, every recorded field, as JSON.")

        @Argument(help: "The run id.")
        var id: Int64

        func run() throws {
            guard let json = try TrainingRuns.show(try read.connect(application: "coachspool-runs"), id: id) else {
                printError("error: no training run \(id)")
                throw ExitCode.failure
            }
            print(json)
        }
    }
}
