import Foundation
import PackagePlugin

/// Stamps the `BuildInfo` target with the commit the build was made from and the newest
/// migration in `schema/`, through the `BuildStamp` tool, so that `coachspool --version` says
/// what it was built from without running git at run time.
///
/// The command's inputs are what changes when either does: `schema/` itself (a migration added
/// or removed changes the directory), and git's `HEAD`, its reflog (appended to by every commit,
/// checkout and reset), the branch's ref and `packed-refs`. Without `.git` (a tarball) there is
/// nothing to watch and the commit is `unknown`.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let schema = root.appending(path: "schema")
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildStamp.swift")
        let inputs = [schema] + Self.gitFiles(root: root)
        return [
            .buildCommand(
                displayName: "Stamping the build with its commit and schema version",
                executable: try context.tool(named: "BuildStamp").url,
                arguments: [root.path, schema.path, output.path],
                inputFiles: inputs.filter { FileManager.default.fileExists(atPath: $0.path) },
                outputFiles: [output])
        ]
    }

    /// The files of the repository's git directory that change when HEAD moves. `.git` is a
    /// directory, or (a worktree, a submodule) a file `gitdir: PATH`; a worktree's branches
    /// live in the main repository's directory (its `commondir`).
    static func gitFiles(root: URL) -> [URL] {
        let dotGit = root.appending(path: ".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return [] }
        var gitDirectory = dotGit
        if !isDirectory.boolValue {
            guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") else { return [] }
            let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
            gitDirectory = path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appending(path: path)
        }
        var common = gitDirectory
        if let text = try? String(contentsOf: gitDirectory.appending(path: "commondir"), encoding: .utf8) {
            let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
            common = path.hasPrefix("/") ? URL(fileURLWithPath: path) : gitDirectory.appending(path: path)
        }
        var files = [gitDirectory.appending(path: "HEAD"), gitDirectory.appending(path: "logs/HEAD"), common.appending(path: "packed-refs")]
        if let head = try? String(contentsOf: gitDirectory.appending(path: "HEAD"), encoding: .utf8), head.hasPrefix("ref:") {
            files.append(common.appending(path: head.dropFirst("ref:".count).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return files
    }
}
