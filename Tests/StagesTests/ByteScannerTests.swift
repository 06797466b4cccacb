import Testing

@testable import Stages

/// The identifier scan skips runs of ASCII letters eight bytes at a time; the skip must end
/// exactly where a byte-by-byte loop would, for every byte value at every position of a word.
@Suite struct ByteScannerTests {
    static func byteByByte(_ bytes: [UInt8], from i: Int) -> Int {
        var j = i
        while j < bytes.count, ByteScanner.isAlpha(bytes[j]) { j += 1 }
        return j
    }

    @Test func aLetterRunEndsWhereTheByteByByteLoopEnds() {
        for length in 0..<20 {
            for value in 0...255 {
                for position in [0, length / 2, length] where position <= length {
                    var bytes = [UInt8](repeating: UInt8(ascii: "k"), count: length + 3)
                    bytes[position] = UInt8(value)
                    bytes.withUnsafeBufferPointer { buffer in
                        let scanner = ByteScanner(bytes: buffer)
                        for start in 0..<bytes.count {
                            #expect(scanner.letterRunEnd(from: start) == Self.byteByByte(bytes, from: start),
                                    "byte \(value) at \(position) of \(bytes.count), from \(start)")
                        }
                    }
                }
            }
        }
    }
}
