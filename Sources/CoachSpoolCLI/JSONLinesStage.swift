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

    private struct Input: Decodable { var text: String }

    /// Calls `transform` with the text of every line and writes what it appends to the output
    /// buffer, followed by a newline.
    static func run(_ transform: (String, inout JSONWriter) throws -> Void) throws {
        try runBatched(batchSize: 1, process: { $0 }, write: { text, out in try transform(text, &out) })
    }

    /// Like `run`, but hands `process` the texts of up to `batchSize` good lines at a time (fewer
    /// when no more input is ready yet), and writes each of its results with `write`, in order.
    static func runBatched<Result>(
        batchSize: Int, process: ([String]) throws -> [Result], write: (Result, inout JSONWriter) throws -> Void
    ) throws {
        var writer = JSONWriter()
        var badLines = 0
        var lines: [Line] = []
        var texts: [String] = []
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
                    texts.append(try decoder.decode(Input.self, from: Data(line.bytes)).text)
                    lines.append(.text)
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
        case DecodingError.keyNotFound: "no \"text\" field"
        case DecodingError.typeMismatch: "\"text\" is not a string, or the line is not an object"
        case DecodingError.valueNotFound: "\"text\" is null"
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
