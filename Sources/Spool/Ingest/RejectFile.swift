import CoachSpoolCore
import Foundation
import Stages

/// Reports rejected input lines: the first few on stderr, every one in the rejects file (JSON
/// Lines: `file`, `line`, `error`, `raw`) when one was asked for. Called by the ingest writer
/// threads one at a time (the pipeline serialises the calls).
public final class RejectFile: @unchecked Sendable {
    // Safe to share: every call is serialised by the caller (see above).
    private let handle: FileHandle?
    private var shown = 0
    private var hidden = 0
    private static let shownLimit = 20

    public init(path: String?) throws(CoachSpoolError) {
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw CoachSpoolError(.io, "cannot write the rejects file", file: path)
            }
            self.handle = handle
        } else {
            self.handle = nil
        }
    }

    public func reject(file: String, error: LineError, raw: ArraySlice<UInt8>) throws {
        if shown < Self.shownLimit {
            FileHandle.standardError.write(Data("\(file): \(error)\n".utf8))
            shown += 1
        } else {
            hidden += 1
        }
        guard let handle else { return }
        struct Rejected: Encodable { var file: String; var line: Int; var error: String; var raw: String }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        var data = try encoder.encode(Rejected(
            file: file, line: error.line, error: error.description, raw: String(decoding: raw, as: UTF8.self)))
        data.append(0x0A)
        try handle.write(contentsOf: data)
    }

    public func finish() {
        if hidden > 0 {
            FileHandle.standardError.write(Data(
                "… and \(hidden) more rejected lines\(handle == nil ? " (use --rejects FILE to keep them all)" : "")\n".utf8))
        }
        try? handle?.close()
    }
}
