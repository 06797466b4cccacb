import Foundation
import Pipeline
import Spool
import Stages
import Testing

/// `coachspool --version`: the release, the commit it was built from (stamped at build time),
/// the newest migration it ships, and the pipeline versions of a worker with default settings.
@Suite struct VersionTests {
    @Test func versionNamesTheCommitTheSchemaAndThePipelineVersions() async throws {
        let result = try await CoachSpoolProcess.run(["--version"], database: nil)
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first?.hasPrefix("coachspool ") == true, "\(result.out)")
        #expect(lines.contains("commit \(try await Self.headCommit() ?? "unknown")"), "\(result.out)")
        let migrations = try Migrator.load(directory: Repository.path("schema"))
        #expect(lines.contains("schema \(migrations.map(\.version).max()!)"), "\(result.out)")
        #expect(lines.contains("quality   \(QualityFilter().pipelineVersion)"), "\(result.out)")
        #expect(lines.contains("text      \(TextPreparation.version())"), "\(result.out)")
        #expect(lines.contains("examples  \(WorkerConfiguration.examples().version)"), "\(result.out)")
    }

    /// HEAD of this checkout, or nil outside a repository (a tarball: the binary says `unknown`).
    static func headCommit() async throws -> String? {
        guard FileManager.default.fileExists(atPath: Repository.path(".git").path) else { return nil }
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", Repository.root.path, "rev-parse", "HEAD"]
        let pipe = Pipe()
        git.standardOutput = pipe
        try git.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        await waitForExit(git)
        return git.terminationStatus == 0 ? String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }
}
