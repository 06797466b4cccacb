import CoachSpoolCore
import Foundation

/// Creates the folder a command writes into, or says exactly why it cannot: which part of the
/// path is in the way and what is wrong with it (Foundation's own error reads
/// `Error Domain=NSCocoaErrorDomain Code=4 …`).
public enum OutputFolder {
    public static func create(_ folder: URL, option: String) throws(CoachSpoolError) {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CoachSpoolError(.io, "\(option): expected a folder, but this is a file", file: folder.path)
            }
            guard fileManager.isWritableFile(atPath: folder.path) else {
                throw CoachSpoolError(.io, "\(option): no permission to write in this folder", file: folder.path)
            }
            return
        }
        do {
            try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CoachSpoolError(.io, "\(option): cannot create this folder: \(reason(creating: folder))", file: folder.path)
        }
    }

    /// The first existing ancestor decides: a file where a folder is needed, or a folder we may not write in.
    private static func reason(creating folder: URL) -> String {
        var ancestor = folder.deletingLastPathComponent()
        while ancestor.path != "/" && !FileManager.default.fileExists(atPath: ancestor.path) {
            ancestor.deleteLastPathComponent()
        }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory)
        if !isDirectory.boolValue { return "\(ancestor.path) is a file, not a folder" }
        if !FileManager.default.isWritableFile(atPath: ancestor.path) { return "no permission to write in \(ancestor.path)" }
        return "the file system refused (read-only or full?)"
    }
}
