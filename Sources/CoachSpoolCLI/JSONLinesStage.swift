import ArgumentParser
import CoachSpoolCore
import Foundation
import Glibc
import Stages

#if canImport(Glibc)
#endif

/// The I/O of the stage commands (`tokens`, `chunk`, `redact`): JSON Lines `{"text": …}` on
/// stdin, exactly one JSON object per input line on stdout, in order.
///
/// A bad line gets `{"error": "line N: …"}` in its place (so the output never shifts), the same
/// message on stderr, and the command exits with status 3 after the last line. Output is flushed
/// whenever the input has no more bytes ready, so the commands also work as co-processes.
enum JSONLinesStage {
    static let badInputExitCode: Int32 = 3

    /// A line of input: at least `{"text": "..."}`; a command may read more fields.
    protocol Record: Decodable {
        var text: String { get }
        /// Checks the fields' limits after decoding: a message naming the field, or nil.
        func problem() -> String?
    }

    private struct TextRecord: Record {
        var text: String
        func problem() -> String? { nil }
    }

    /// Calls `transform` with the text of every line and writes what it appends to the output
    /// buffer, followed by a newline.
    static func run(_ transform: (String, inout JSONWriter) throws -> Void) throws {
        try runBatched(batchSize: 1, process: { $0 }, write: { text, out in try transform(text, &out) })
    }

    /// Like `run`, with the whole decoded line.
    static func run<Line: Record>(reading: Line.Type, _ transform: (Line, inout JSONWriter) throws -> Void) throws {
        try runBatched(reading: Line.self, batchSize: 1, process: { $0 }, write: { line, out in try transform(line, &out) })
    }

    /// Like `run`, but hands `process` the texts of up to `batchSize` good lines at a time (fewer
    /// when no more input is ready yet), and writes each of its results with `write`, in order.
    static func runBatched<Result>(
        batchSize: Int, process: ([String]) throws -> [Result], write: (Result, inout JSONWriter) throws -> Void
    ) throws {
        try runBatched(reading: TextRecord.self, batchSize: batchSize, process: { try process($0.map(\.text)) }, write: write)
    }

    static func runBatched<Input: Record, Result>(
        reading: Input.Type, batchSize: Int, process: ([Input]) throws -> [Result], write: (Result, inout JSONWriter) throws -> Void
    ) throws {
        var writer = JSONWriter()
        var badLines = 0
        var lines: [Line] = []
        var texts: [Input] = []
        let decoder = JSONDecoder()
        var reader = LineReader(handle: .standardInput, maxLineBytes: InputLimits.lineBytes, blockSize: 1 << 20)

        func flush() throws {
            let results = try process(texts)
            var next = results.makeIterator()
            for line in lines {
                switch line {
                case .text:
                    try write(next.next()!, &writer)
                case .bad(let message):
                    writer.object { $0.field("error") { $0.string(message) } }
                }
                writer.newline()
            }
            lines.removeAll(keepingCapacity: true)
            texts.removeAll(keepingCapacity: true)
            try writer.flush(to: STDOUT_FILENO)
        }

        func bad(_ message: String) {
            badLines += 1
            printError(message)
            lines.append(.bad(message))
        }

        while let line = try reader.next() {
            if line.isOverLong {
                bad("line \(line.number): longer than \(InputLimits.lineBytes) bytes")
            } else {
                do {
                    let input = try decoder.decode(Input.self, from: Data(line.bytes))
                    if let problem = input.problem() {
                        bad("line \(line.number): \(problem)")
                    } else {
                        texts.append(input)
                        lines.append(.text)
                    }
                } catch {
                    bad("line \(line.number): expected a JSON object with a \"text\" string (\(describe(error)))")
                }
            }
            // A full batch, or no more input ready: answer what is in hand before waiting.
            if texts.count >= batchSize || !reader.hasBufferedLine() { try flush() }
        }
        try flush()
        if badLines > 0 {
            printError("\(badLines) of \(reader.lineNumber) lines were bad; see the \"error\" objects in the output")
            throw ExitCode(badInputExitCode)
        }
    }

    private enum Line {
        case text
        case bad(String)
    }

    /// What was wrong with a line, without quoting its content (it may be personal data).
    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "no \"\(key.stringValue)\" field"
        case DecodingError.typeMismatch(_, let context):
            context.codingPath.last.map { "\"\($0.stringValue)\" is not a string" } ?? "the line is not an object"
        case DecodingError.valueNotFound(_, let context): "\"\(context.codingPath.last?.stringValue ?? "text")\" is null"
        default: "not valid JSON"
        }
    }
}

extension JSONWriter {
    mutating func flush(to descriptor: Int32) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CoachSpoolError(.io, "cannot write stdout: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        clear()
    }
}
