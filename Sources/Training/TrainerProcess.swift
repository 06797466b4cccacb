import Foundation

/// Runs the trainer as a child process with our stdout and stderr (its progress lines pass
/// through); SIGTERM and SIGINT are forwarded to it, and the run then counts as interrupted.
enum TrainerProcess {
    enum Outcome: Equatable, Sendable {
        case finished
        /// The trainer refused its inputs (its exit status 3).
        case unusable(Int32)
        case failed(Int32)
        case interrupted(Int32)
    }

    /// Runs `script` (default: train.py) of the trainer's folder. `quietStdout`: its stdout goes
    /// to our stderr (a command printing one JSON object keeps stdout for it).
    static func run(_ environment: TrainerEnvironment, script: String? = nil, arguments: [String], quietStdout: Bool = false) -> Outcome {
        let process = Process()
        if quietStdout { process.standardOutput = FileHandle.standardError }
        process.executableURL = environment.python
        process.arguments = ["-u", (script.map(environment.script) ?? environment.script).path] + arguments
        var childEnvironment = ProcessInfo.processInfo.environment
        childEnvironment["HF_HUB_OFFLINE"] = "1"  // nothing is downloaded at run time
        childEnvironment["TRANSFORMERS_OFFLINE"] = "1"
        childEnvironment["HF_DATASETS_OFFLINE"] = "1"
        process.environment = childEnvironment
        // A plain handler, not SIG_IGN + a dispatch source: an ignored signal is discarded by the
        // kernel before any source sees it, and the child would inherit the SIG_IGN.
        receivedSignal = 0
        for number in [SIGTERM, SIGINT] { signal(number) { receivedSignal = $0 } }
        defer { for number in [SIGTERM, SIGINT] { signal(number, SIG_DFL) } }
        fflush(nil)  // our buffered lines before the trainer's, which share the stream
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("error: cannot start \(environment.python.path): \(error)\n".utf8))
            return .unusable(127)
        }
        // Polled: waitUntilExit() can miss the exit when called from a concurrency thread.
        var forwarded = false
        while process.isRunning {
            if receivedSignal != 0, !forwarded {
                kill(process.processIdentifier, SIGTERM)
                forwarded = true
            }
            usleep(100_000)
        }
        if receivedSignal != 0 { return .interrupted(receivedSignal) }
        let status = process.terminationStatus
        switch (process.terminationReason, status) {
        case (.exit, 0): return .finished
        case (.exit, 3): return .unusable(status)
        default: return .failed(status)
        }
    }
}

/// The last SIGTERM/SIGINT received while the trainer runs (0: none). Written only by the signal
/// handler, read by the polling loop: a single aligned word, as C's sig_atomic_t.
nonisolated(unsafe) private var receivedSignal: Int32 = 0
