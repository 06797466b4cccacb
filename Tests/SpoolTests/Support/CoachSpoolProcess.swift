import Foundation
import Testing

/// The real `coachspool` binary, run as a child process against a test database.
final class CoachSpoolProcess: @unchecked Sendable {
    // Safe to share: `process` is configured in init and only signalled or waited on after.
    let process = Process()
    private let stdoutFile: URL
    private let stderrFile: URL

    static var binary: URL {
        get throws {
            if let path = ProcessInfo.processInfo.environment["COACHSPOOL_BIN"], !path.isEmpty {
                return URL(fileURLWithPath: path)
            }
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "COACHSPOOL_BIN is not set: run through scripts/test.sh"])
        }
    }

    /// `database` nil: a command that needs none (the stage commands).
    init(_ arguments: [String], database: TestDatabase?, stdin: URL? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = try Self.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        if let database { env["DATABASE_URL"] = database.url }
        env["COACHSPOOL_LOG_LEVEL"] = env["COACHSPOOL_TEST_LOG_LEVEL"] ?? "notice"
        env["SWIFT_BACKTRACE"] = "enable=no"
        env.merge(environment) { $1 }
        process.environment = env
        stdoutFile = temporaryFile("out")
        stderrFile = temporaryFile("err")
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for exit (at most `timeout`, then SIGKILL and a recorded issue) and returns the status.
    @discardableResult
    func wait(timeout: Double = 120) async -> Int32 {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning {
            if Date() > deadline {
                Issue.record("coachspool \(process.arguments ?? []) did not exit within \(timeout)s; killed. stderr: \(stderr)")
                signal(SIGKILL)
                await waitForExit(process)
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    /// Runs to completion and returns (status, stdout, stderr).
    static func run(
        _ arguments: [String], database: TestDatabase?, stdin: URL? = nil, environment: [String: String] = [:], timeout: Double = 120
    ) async throws -> (status: Int32, out: String, err: String) {
        let p = try CoachSpoolProcess(arguments, database: database, stdin: stdin, environment: environment)
        let status = await p.wait(timeout: timeout)
        return (status, p.stdout, p.stderr)
    }
}

/// Waits for a child process without `waitUntilExit()`, which spins a RunLoop that does not
/// see the exit when called from a Swift concurrency thread on Linux.
func waitForExit(_ process: Process) async {
    while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
}

/// Runs a shell command (the server restart hook) and returns its exit status.
func runShell(_ command: String) async throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    // The server it restarts must not inherit our output pipes, or the test runner waits for
    // them to close at exit.
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    await waitForExit(process)
    return process.terminationStatus
}

/// Polls `condition` until it holds (true) or `timeout` passes (false).
func eventually(timeout: Double = 60, interval: Double = 0.05, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .seconds(interval))
    }
    return try await condition()
}

/// Writes `count` seed log lines with unique texts; every `ratedEvery`-th has feedback.
func writeInteractions(count: Int, to url: URL, firstIndex: Int = 0, ratedEvery: Int = 1) throws {
    var text = ""
    text.reserveCapacity(count * 220)
    for i in firstIndex..<(firstIndex + count) {
        let feedback = i % ratedEvery == 0 ? #"{"rating": \#(i % 5 + 1), "helpful": \#(i % 2 == 0)}"# : "null"
        text += #"{"timestamp": "2025-10-01T10:00:00Z", "session_id": "s\#(i / 4)", "user_input": "Question number \#(i) about my goals", "ai_response": "Answer number \#(i): let us look at what matters most to you this week.", "feedback": \#(feedback)}"#
        text += "\n"
    }
    try text.write(to: url, atomically: true, encoding: .utf8)
}

func temporaryFile(_ name: String) -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coachspool-tests", isDirectory: true)
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("\(UUID().uuidString)-\(name)")
}
