internal import CCPUInfo

/// What this processor can do, as far as the choice of matrix kernels is concerned.
public struct CPUFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let sse3 = CPUFeatures(rawValue: UInt32(CS_CPU_SSE3))
    public static let ssse3 = CPUFeatures(rawValue: UInt32(CS_CPU_SSSE3))
    public static let sse4_2 = CPUFeatures(rawValue: UInt32(CS_CPU_SSE4_2))
    public static let avx = CPUFeatures(rawValue: UInt32(CS_CPU_AVX))
    public static let avx2 = CPUFeatures(rawValue: UInt32(CS_CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: UInt32(CS_CPU_FMA))
    public static let avx512f = CPUFeatures(rawValue: UInt32(CS_CPU_AVX512F))
    public static let avx512bw = CPUFeatures(rawValue: UInt32(CS_CPU_AVX512BW))
    public static let avx512dq = CPUFeatures(rawValue: UInt32(CS_CPU_AVX512DQ))
    public static let avx512vl = CPUFeatures(rawValue: UInt32(CS_CPU_AVX512VL))
    public static let avx512cd = CPUFeatures(rawValue: UInt32(CS_CPU_AVX512CD))
    public static let avx512bf16 = CPUFeatures(rawValue: UInt32(CS_CPU_AVX512BF16))

    /// The AVX-512 subsets OpenBLAS's SkylakeX kernels use.
    public static let avx512Skylake: CPUFeatures = [.avx512f, .avx512bw, .avx512dq, .avx512vl, .avx512cd]

    /// Feature names as Linux's /proc/cpuinfo spells them, in a fixed order.
    public var names: [String] {
        let all: [(CPUFeatures, String)] = [
            (.sse3, "sse3"), (.ssse3, "ssse3"), (.sse4_2, "sse4_2"), (.avx, "avx"), (.avx2, "avx2"), (.fma, "fma"),
            (.avx512f, "avx512f"), (.avx512bw, "avx512bw"), (.avx512dq, "avx512dq"), (.avx512vl, "avx512vl"),
            (.avx512cd, "avx512cd"), (.avx512bf16, "avx512_bf16"),
        ]
        return all.filter { contains($0.0) }.map(\.1)
    }
}

/// The processor this process runs on.
public struct CPU: Sendable, CustomStringConvertible {
    /// The brand string, e.g. "Intel(R) Xeon(R) Processor" or "AMD EPYC 9R14 96-Core Processor".
    public let model: String
    /// CPUID's display family and model numbers (6 and 207 on an Emerald Rapids Xeon); 0 off x86-64.
    /// Brand strings of cloud CPUs are often generic ("Intel(R) Xeon(R) Processor"): these tell them apart.
    public let family: Int
    public let modelNumber: Int
    public let features: CPUFeatures

    /// Brand string with family and model, for logs and benchmark tables.
    public var description: String {
        family == 0 ? model : "\(model) (family \(family), model \(modelNumber))"
    }

    public static let current: CPU = {
        var brand = [CChar](repeating: 0, count: 64)
        cs_cpu_brand(&brand, brand.count)
        let model = String(decoding: brand.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var family: UInt32 = 0, number: UInt32 = 0
        cs_cpu_signature(&family, &number)
        return CPU(
            model: model.isEmpty ? "unknown" : model, family: Int(family), modelNumber: Int(number),
            features: CPUFeatures(rawValue: UInt32(cs_cpu_features())))
    }()

    public init(model: String, family: Int = 0, modelNumber: Int = 0, features: CPUFeatures) {
        self.model = model
        self.family = family
        self.modelNumber = modelNumber
        self.features = features
    }
}
