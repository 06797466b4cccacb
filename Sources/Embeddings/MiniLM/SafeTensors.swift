import CoachSpoolCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `.safetensors` file, memory-mapped read-only: an 8-byte little-endian header length, a JSON
/// header `{name: {dtype, shape, data_offsets: [begin, end]}}`, then the tensor bytes. Tensors are
/// read in place (no copy); the mapping lives as long as this object.
final class SafeTensorsFile: @unchecked Sendable {  // immutable after init; the mapping is read-only
    struct Entry {
        var dtype: String
        var shape: [Int]
        var range: Range<Int>
    }

    let path: String
    private let base: UnsafeRawPointer
    private let length: Int
    private let dataStart: Int
    private let entries: [String: Entry]

    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CoachSpoolError.missingModelFile(path: path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size >= 8 else {
            throw CoachSpoolError.badModelFile(path: path, reason: "shorter than a safetensors header")
        }
        length = Int(status.st_size)
        guard let mapping = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED else {
            throw CoachSpoolError.badModelFile(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapping)
        do {
            let headerLength = Int(UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)))
            guard headerLength > 0, 8 + headerLength <= length else {
                throw CoachSpoolError.badModelFile(path: path, reason: "header length \(headerLength) exceeds the file")
            }
            dataStart = 8 + headerLength
            entries = try Self.parseHeader(Data(bytes: base + 8, count: headerLength), path: path, dataLength: length - dataStart)
        } catch {
            munmap(mapping, length)
            throw error
        }
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), length)
    }

    private static func parseHeader(_ header: Data, path: String, dataLength: Int) throws -> [String: Entry] {
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw CoachSpoolError.badModelFile(path: path, reason: "the header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        for (name, value) in object where name != "__metadata__" {
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                  let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int],
                  offsets.count == 2, 0 <= offsets[0], offsets[0] <= offsets[1], offsets[1] <= dataLength
            else {
                throw CoachSpoolError.badModelFile(path: path, reason: "tensor \(name): bad dtype, shape or data_offsets")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        return entries
    }

    /// A float32 tensor of exactly `shape`, in place. The data section of a safetensors file is
    /// 8-byte aligned and the mapping page-aligned, so the floats are aligned.
    func floats(_ name: String, shape: [Int]) throws -> UnsafePointer<Float> {
        guard let entry = entries[name] else {
            throw CoachSpoolError.badModelFile(path: path, reason: "no tensor \(name)")
        }
        guard entry.dtype == "F32", entry.shape == shape, entry.range.count == shape.reduce(4, *) else {
            throw CoachSpoolError.badModelFile(
                path: path, reason: "tensor \(name) is \(entry.dtype) \(entry.shape), expected F32 \(shape)")
        }
        let start = dataStart + entry.range.lowerBound
        guard start % MemoryLayout<Float>.alignment == 0 else {
            throw CoachSpoolError.badModelFile(path: path, reason: "tensor \(name) is not aligned")
        }
        return (base + start).assumingMemoryBound(to: Float.self)
    }
}
