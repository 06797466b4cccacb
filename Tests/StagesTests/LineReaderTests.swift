import CoachSpoolCore
import Foundation
import Testing

/// The one line reader's rules, for every input it reads (ingest, the stage commands, evaluation
/// files, export key lists).
@Suite struct LineReaderTests {
    private func read(_ bytes: [UInt8], maxLineBytes: Int = .max) throws -> [(Int, String, Bool)] {
        var reader = LineReader(data: Data(bytes), maxLineBytes: maxLineBytes)
        var lines: [(Int, String, Bool)] = []
        while let line = try reader.next() { lines.append((line.number, line.text, line.isOverLong)) }
        return lines
    }

    @Test func crlfBomBlankAndALastLineWithoutNewline() throws {
        let lines = try read(Array("\u{FEFF}one\r\n\r\n  \ntwo\r\nthree".utf8))
        #expect(lines.map(\.0) == [1, 2, 3, 4, 5])
        #expect(lines.map(\.1) == ["one", "", "  ", "two", "three"])
        #expect(LineReader.lines(of: Data("a\n\n b \n".utf8)).map(\.isBlank) == [false, true, false])
        #expect(try read([]).isEmpty, "an empty input has no lines")
        #expect(try read(Array("\n".utf8)).map(\.1) == [""], "one empty line")
        #expect(try read(Array("x\u{FEFF}\n\u{FEFF}y".utf8)).map(\.1) == ["x\u{FEFF}", "\u{FEFF}y"], "a BOM is dropped at the start only")
    }

    @Test func overLongLinesAreSkippedAndNumbered() throws {
        let lines = try read(Array("ok\n0123456789\nfine\n0123456789".utf8), maxLineBytes: 5)
        #expect(lines.map(\.1) == ["ok", "", "fine", ""])
        #expect(lines.map(\.2) == [false, true, false, true])
    }

    /// A co-process writes a line and waits for the answer: the reader returns that line and
    /// says that the next one would wait.
    @Test func aPipeGivesWhatIsReadyAndSaysWhenTheNextLineWouldWait() throws {
        let pipe = Pipe()
        var reader = LineReader(handle: pipe.fileHandleForReading, maxLineBytes: 1 << 10, blockSize: 64)
        pipe.fileHandleForWriting.write(Data("first\nsecond\n".utf8))
        #expect(try reader.next()?.text == "first")
        let secondIsReady = reader.hasBufferedLine()
        #expect(secondIsReady)
        #expect(try reader.next()?.text == "second")
        let moreIsReady = reader.hasBufferedLine()
        #expect(!moreIsReady, "nothing more is ready: a caller flushes before waiting")
        pipe.fileHandleForWriting.write(Data("third".utf8))
        try pipe.fileHandleForWriting.close()
        #expect(try reader.next()?.text == "third")
        #expect(try reader.next() == nil)
    }
}
