import Crypto
import CoachSpoolCore
import Foundation
import Stages

/// One output file, written under a temporary name with its SHA-256 computed on the way, and
/// renamed into place only when the export succeeds.
final class DatasetFile {
    private let url: URL
    private let handle: FileHandle
    private var hasher = SHA256()
    private var buffer: [UInt8] = []

    init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CoachSpoolError(.io, "cannot create the file", file: url.path)
        }
        self.url = url
        handle = try FileHandle(forWritingTo: url)
    }

    func write(_ bytes: [UInt8]) throws {
        hasher.update(data: bytes)
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes the rest, renames the file to `destination`, and returns its SHA-256 (hex).
    func commit(as destination: URL) throws -> String {
        try flush()
        try handle.synchronize()
        try handle.close()
        if FileManager.default.fileExists(atPath: destination.path) { try FileManager.default.removeItem(at: destination) }
        try FileManager.default.moveItem(at: url, to: destination)
        return Array(hasher.finalize()).hexString
    }

    /// Removes the temporary file if it was not committed.
    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }

    private func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
