import Foundation

/// Reads a file (or stdin) line by line in large blocks, without loading it whole.
/// Lines are split on `\n`; a trailing `\r` is left to the JSON parser (it is whitespace there).
/// A UTF-8 byte order mark at the start of the input is dropped.
public struct LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false
    private var atStart = true
    public private(set) var lineNumber = 0
    /// Bytes consumed so far, for progress reports.
    public private(set) var bytesRead = 0

    public init(handle: FileHandle) {
        self.handle = handle
    }

    /// The next line's bytes (without the newline) and its 1-based number, or nil at the end.
    public mutating func next() throws -> (line: Int, bytes: ArraySlice<UInt8>)? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                return emit(upTo: newline, skip: 1)
            }
            if finished {
                guard start < buffer.count else { return nil }
                return emit(upTo: buffer.count, skip: 0)
            }
            try fill()
        }
    }

    private mutating func emit(upTo end: Int, skip: Int) -> (line: Int, bytes: ArraySlice<UInt8>) {
        var slice = buffer[start..<end]
        start = end + skip
        lineNumber += 1
        if atStart {
            atStart = false
            if slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice = slice.dropFirst(3) }
        }
        return (lineNumber, slice)
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
