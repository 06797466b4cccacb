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
        var pending: [UInt8] = []
        var lineNumber = 0
        var badLines = 0
        var lines: [Line] = []
        var texts: [String] = []
        let decoder = JSONDecoder()
        var block = [UInt8](repeating: 0, count: 1 << 20)
        var finished = false

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

        while !finished {
            let count = block.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CoachSpoolError(.io, "cannot read stdin: \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                finished = true
                if pending.isEmpty { break }
                pending.append(UInt8(ascii: "\n"))  // a last line without a newline
            } else {
                pending.append(contentsOf: block[0..<count])
            }
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                lineNumber += 1
                var line = pending[start..<newline]
                if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
                start = newline + 1
                do {
                    let text = try decoder.decode(Input.self, from: Data(line)).text
                    lines.append(.text)
                    texts.append(text)
                } catch {
                    let message = "line \(lineNumber): expected a JSON object with a \"text\" string (\(describe(error)))"
                    badLines += 1
                    printError(message)
                    lines.append(.bad(message))
                }
                if texts.count >= batchSize { try flush() }
            }
            pending.removeSubrange(0..<start)
            try flush()
        }
        if badLines > 0 {
            printError("\(badLines) of \(lineNumber) lines were bad; see the \"error\" objects in the output")
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
