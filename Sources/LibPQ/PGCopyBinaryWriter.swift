/// Builds the payload of `COPY … FROM STDIN (FORMAT binary)`.
///
/// Layout: signature, flags, header extension, then per row a field count and
/// length-prefixed big-endian fields, and a -1 trailer. Text fields are raw UTF-8.
public struct PGCopyBinaryWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var rowCount = 0
    private let fieldsPerRow: Int16

    public init(fieldsPerRow: Int, reservingCapacity capacity: Int = 1 << 16) {
        self.fieldsPerRow = Int16(fieldsPerRow)
        bytes.reserveCapacity(capacity)
        bytes.append(contentsOf: Array("PGCOPY\n".utf8))
        bytes.append(contentsOf: [0xFF, 0x0D, 0x0A, 0x00])
        append(Int32(0))  // flags
        append(Int32(0))  // header extension length
    }

    public mutating func startRow() {
        rowCount += 1
        append(fieldsPerRow)
    }

    public mutating func writeNull() { append(Int32(-1)) }

    public mutating func write(_ text: String?) {
        guard var text else { return writeNull() }
        text.withUTF8 { utf8 in
            append(Int32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func write(_ value: Int64?) {
        guard let value else { return writeNull() }
        append(Int32(8))
        append(value)
    }

    public mutating func write(_ value: Int32?) {
        guard let value else { return writeNull() }
        append(Int32(4))
        append(value)
    }

    public mutating func write(_ value: Int16?) {
        guard let value else { return writeNull() }
        append(Int32(2))
        append(value)
    }

    public mutating func write(_ value: Bool?) {
        guard let value else { return writeNull() }
        append(Int32(1))
        bytes.append(value ? 1 : 0)
    }

    /// A `timestamptz` given as microseconds since the Unix epoch.
    public mutating func writeTimestamp(microsSinceUnixEpoch micros: Int64?) {
        write(micros.map { $0 - PGTimestamp.postgresEpochOffsetMicros })
    }

    /// A `bytea`.
    public mutating func write(bytes value: [UInt8]) {
        append(Int32(value.count))
        bytes.append(contentsOf: value)
    }

    /// A pgvector `vector`: int16 dimensions, int16 0 (unused), then big-endian float4s.
    public mutating func writeVector(_ values: [Float]) {
        append(Int32(4 + 4 * values.count))
        append(Int16(values.count))
        append(Int16(0))
        for value in values { append(value.bitPattern) }
    }

    /// The finished payload, with the trailer. The writer is spent afterwards.
    public mutating func finish() -> [UInt8] {
        append(Int16(-1))
        return bytes
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
