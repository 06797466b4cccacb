import Stages
import Testing

@Suite struct HexTests {
    @Test func decodingInvertsEncoding() {
        let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xab, 0xff]
        #expect(bytes.hexString == "00017f80abff")
        #expect([UInt8](hexadecimal: bytes.hexString) == bytes)
        #expect([UInt8](hexadecimal: "00017F80ABFF") == bytes, "upper case too")
        #expect([UInt8](hexadecimal: "") == [])
    }

    @Test func rejectsWhatIsNotHexadecimal() {
        #expect([UInt8](hexadecimal: "abc") == nil, "odd length")
        #expect([UInt8](hexadecimal: "zz") == nil)
        #expect([UInt8](hexadecimal: "\\x00") == nil, "bytea's escape prefix is not part of it")
    }
}
