import Foundation

/// Writes `BuildInfo`'s generated source (the build tool plugin runs it): the commit of the
/// repository at ROOT (`unknown` without `.git` or without git) and the highest migration
/// number in SCHEMA. The file is rewritten only when its text changes, so that an unchanged
/// stamp recompiles nothing.
///
///     BuildStamp ROOT SCHEMA OUTPUT
@main
enum BuildStamp {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 4 else {
            FileHandle.standardError.write(Data("usage: BuildStamp ROOT SCHEMA OUTPUT\n".utf8))
            exit(64)
        }
        let (root, schema, output) = (arguments[1], arguments[2], URL(fileURLWithPath: arguments[3]))
        let text = """
            // Generated at build time by the BuildInfo plugin (Sources/BuildInfoPlugin); not in the repository.
            extension BuildInfo {
                static let stampedCommit = "\(commit(root: root))"
                static let stampedSchemaVersion: Int? = \(schemaVersion(schema).map(String.init) ?? "nil")
            }

            """
        if (try? String(contentsOf: output, encoding: .utf8)) != text {
            try text.write(to: output, atomically: true, encoding: .utf8)
        }
    }

    /// `git rev-parse HEAD` in `root`, only when `root` is itself a repository (a tarball
    /// unpacked inside another repository must not report that one's commit).
    static func commit(root: String) -> String {
        guard FileManager.default.fileExists(atPath: root + "/.git") else { return "unknown" }
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", root, "rev-parse", "HEAD"]
        let pipe = Pipe()
        git.standardOutput = pipe
        git.standardError = FileHandle.nullDevice
        do { try git.run() } catch { return "unknown" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        git.waitUntilExit()
        let hash = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard git.terminationStatus == 0, !hash.isEmpty, hash.allSatisfy(\.isHexDigit) else { return "unknown" }
        return hash
    }

    /// The highest `NNNN` of the migrations `NNNN_name.sql` (what `Migrator` applies).
    static func schemaVersion(_ directory: String) -> Int? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".sql") }.compactMap { name in
            let digits = name.prefix { $0.isASCII && $0.isNumber }
            return digits.isEmpty || name.dropFirst(digits.count).first != "_" ? nil : Int(digits)
        }.max()
    }
}
