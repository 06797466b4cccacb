import Foundation
import Stages

/// Reads a file (or stdin) line by line in large blocks, without loading it whole.
/// Lines are split on `\n`; a trailing `\r` is left to the JSON parser (it is whitespace there).
/// A UTF-8 byte order mark at the start of the input is dropped. A line longer than
/// `maxLineBytes` is skipped to its end and reported as over-long, so that a file without
/// newlines cannot make ingest hold gigabytes.
public struct LineReader {
    public struct Line {
        public var number: Int
        public var bytes: ArraySlice<UInt8>
        /// Longer than `maxLineBytes`: `bytes` is empty, the line was skipped.
        public var isOverLong: Bool
    }

    private let handle: FileHandle
    public let maxLineBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false
    private var atStart = true
    /// Skipping the rest of an over-long line.
    private var skipping = false
    public private(set) var lineNumber = 0
    /// Bytes consumed so far, for progress reports.
    public private(set) var bytesRead = 0

    public init(handle: FileHandle, maxLineBytes: Int = InputLimits.lineBytes) {
        self.handle = handle
        self.maxLineBytes = maxLineBytes
    }

    /// The next line (without the newline) and its 1-based number, or nil at the end.
    public mutating func next() throws -> Line? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if skipping {
                    skipping = false
                    start = newline + 1
                    return skipped()
                }
                if newline - start > maxLineBytes {
                    start = newline + 1
                    return skipped()
                }
                return emit(upTo: newline, skip: 1)
            }
            if finished {
                guard start < buffer.count || skipping else { return nil }
                if skipping || buffer.count - start > maxLineBytes {
                    skipping = false
                    start = buffer.count
                    return skipped()
                }
                return emit(upTo: buffer.count, skip: 0)
            }
            if skipping || buffer.count - start > maxLineBytes {
                // No newline within the limit: drop what is held and skip to the line's end.
                skipping = true
                start = buffer.count
            }
            try fill()
        }
    }

    private mutating func skipped() -> Line {
        lineNumber += 1
        atStart = false
        return Line(number: lineNumber, bytes: [], isOverLong: true)
    }

    private mutating func emit(upTo end: Int, skip: Int) -> Line {
        var slice = buffer[start..<end]
        start = end + skip
        lineNumber += 1
        if atStart {
            atStart = false
            if slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice = slice.dropFirst(3) }
        }
        return Line(number: lineNumber, bytes: slice, isOverLong: false)
    }

    private mutating func fill() throws {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        guard let data = try handle.read(upToCount: 4 << 20), !data.isEmpty else {
            finished = true
            return
        }
        bytesRead += data.count
        buffer.append(contentsOf: data)
    }
}
