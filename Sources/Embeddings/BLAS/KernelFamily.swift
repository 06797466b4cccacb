/// OpenBLAS's x86-64 kernel families, ordered by the instructions they use, and the choice of a
/// core for a CPU by its features. Pure: `OpenBLAS` applies the choice when it loads the library.
public enum KernelFamily: Int, Comparable, Sendable, CustomStringConvertible {
    /// SSE2/SSE3 kernels (Prescott, Core2, Nehalem, Atom, Opteron…): what OpenBLAS 0.3.21 falls back
    /// to on a CPU model it does not know.
    case generic
    case avx
    case avx2
    case avx512

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// For logs, metrics and JSON: "generic", "avx", "avx2", "avx512".
    public var name: String {
        switch self {
        case .generic: "generic"
        case .avx: "avx"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }

    public var description: String {
        switch self {
        case .generic: "generic (SSE)"
        case .avx: "AVX"
        case .avx2: "AVX2+FMA"
        case .avx512: "AVX-512"
        }
    }

    /// The family of an OpenBLAS core name as `openblas_get_corename` spells it; `nil` for cores of
    /// other architectures (ARM, POWER…), where we leave the choice to OpenBLAS.
    public init?(openBLASCore name: String) {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": self = .avx512
        case "haswell", "zen": self = .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": self = .avx
        case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "opteron", "opteron_sse3",
             "barcelona", "bobcat", "nano", "katmai", "coppermine", "northwood", "banias", "athlon", "unknown":
            self = .generic
        default: return nil
        }
    }
}

/// One rung of the ladder of OpenBLAS cores we choose from: the best one a CPU's features allow wins.
public struct OpenBLASCore: Sendable, Hashable {
    /// The name `OPENBLAS_CORETYPE` takes.
    public let name: String
    public let family: KernelFamily
    public let requires: CPUFeatures

    /// From the oldest to the newest; every core in Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) build.
    /// Cooperlake computes single-precision products with SkylakeX's kernels and adds bfloat16 ones.
    public static let ladder: [OpenBLASCore] = [
        OpenBLASCore(name: "PRESCOTT", family: .generic, requires: [.sse3]),
        OpenBLASCore(name: "CORE2", family: .generic, requires: [.sse3, .ssse3]),
        OpenBLASCore(name: "NEHALEM", family: .generic, requires: [.sse3, .ssse3, .sse4_2]),
        OpenBLASCore(name: "SANDYBRIDGE", family: .avx, requires: [.sse3, .ssse3, .sse4_2, .avx]),
        OpenBLASCore(name: "HASWELL", family: .avx2, requires: [.sse3, .ssse3, .sse4_2, .avx, .avx2, .fma]),
        OpenBLASCore(name: "SKYLAKEX", family: .avx512, requires: CPUFeatures([.sse3, .ssse3, .sse4_2, .avx, .avx2, .fma]).union(.avx512Skylake)),
        OpenBLASCore(name: "COOPERLAKE", family: .avx512, requires: CPUFeatures([.sse3, .ssse3, .sse4_2, .avx, .avx2, .fma, .avx512bf16]).union(.avx512Skylake)),
    ]

    /// The cores this CPU can execute, oldest first.
    public static func executable(on features: CPUFeatures) -> [OpenBLASCore] {
        ladder.filter { features.isSuperset(of: $0.requires) }
    }

    /// The newest core this CPU can execute; `nil` when it has not even SSE3 (not x86-64 hardware
    /// we know), where OpenBLAS keeps its own choice.
    public static func best(for features: CPUFeatures) -> OpenBLASCore? {
        executable(on: features).last
    }
}
