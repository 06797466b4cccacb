import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one line reader: ingest's files and stdin, the stage commands' JSON Lines, the labelled
/// questions of a retrieval evaluation, an export's key lists. One set of rules:
/// - lines end at `\n`; a `\r` before it is dropped (files written on Windows);
/// - a UTF-8 byte order mark at the start of the input is dropped;
/// - a last line without a newline is a line; an empty input has no lines;
/// - blank lines are returned (`isBlank`): skipping them or not is the format's rule;
/// - a line longer than `maxLineBytes` is skipped to its end and returned as over-long (no
///   bytes), so that an input without newlines cannot make a reader hold gigabytes.
///
/// Input is read in blocks with read(2), which returns what a pipe has ready: a co-process that
/// writes one line and waits gets that line (`hasBufferedLine` tells a caller when the next
/// `next()` would wait for input, so that it can flush its output first).
public struct LineReader {
    public struct Line {
        /// 1-based.
        public var number: Int
        public var bytes: ArraySlice<UInt8>
        /// Longer than `maxLineBytes`: `bytes` is empty, the line was skipped.
        public var isOverLong: Bool

        /// Empty or only spaces and tabs.
        public var isBlank: Bool {
            !isOverLong && bytes.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        }

        /// The line as text (invalid UTF-8 replaced).
        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Held so that its descriptor stays open while the reader reads it.
    private let handle: FileHandle?
    public let maxLineBytes: Int
    private let blockSize: Int
    private var buffer: [UInt8] = []
    /// What one read(2) fills, allocated once.
    private var block: [UInt8] = []
    private var start = 0
    /// The index of the first newline at or after `start`, once searched for (nil: not known).
    private var knownNewline: Int?
    private var finished = false
    private var atStart = true
    /// Skipping the rest of an over-long line.
    private var skipping = false
    public private(set) var lineNumber = 0
    /// Bytes consumed so far, for progress reports.
    public private(set) var bytesRead = 0

    /// Reads `handle` (not closed here) in blocks of `blockSize` bytes.
    public init(handle: FileHandle, maxLineBytes: Int, blockSize: Int = 4 << 20) {
        self.handle = handle
        self.maxLineBytes = maxLineBytes
        self.blockSize = blockSize
    }

    /// Reads lines held in memory.
    public init(data: Data, maxLineBytes: Int = .max) {
        self.handle = nil
        self.maxLineBytes = maxLineBytes
        self.blockSize = 0
        buffer = [UInt8](data)
        bytesRead = buffer.count
        finished = true
    }

    /// Every line of `data`.
    public static func lines(of data: Data) -> [Line] {
        var reader = LineReader(data: data)
        var lines: [Line] = []
        while let line = try? reader.next() { lines.append(line) }
        return lines
    }

    /// Whether a line can be returned without reading: the next `next()` will not wait for input.
    /// (The newline it finds is the one `next()` then uses: the bytes are searched once.)
    public mutating func hasBufferedLine() -> Bool {
        finished || skipping || nextNewline() != nil
    }

    private mutating func nextNewline() -> Int? {
        if let known = knownNewline, known >= start { return known }
        knownNewline = buffer[start...].firstIndex(of: UInt8(ascii: "\n"))
        return knownNewline
    }

    /// The next line (without its end) and its number, or nil at the end.
    public mutating func next() throws -> Line? {
        while true {
            if let newline = nextNewline() {
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
        if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
        return Line(number: lineNumber, bytes: slice, isOverLong: false)
    }

    private mutating func fill() throws {
        guard let descriptor = handle?.fileDescriptor else {
            finished = true
            return
        }
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        knownNewline = nil
        if block.isEmpty { block = [UInt8](repeating: 0, count: blockSize) }
        var count: Int
        repeat {
            count = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, blockSize) }
        } while count < 0 && errno == EINTR
        guard count >= 0 else {
            throw CoachSpoolError(.io, "cannot read the input: \(String(cString: strerror(errno)))")
        }
        buffer.append(contentsOf: block[0..<count])
        if count == 0 { finished = true }
        bytesRead += count
    }
}
