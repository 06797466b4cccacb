import Embeddings
import Foundation
import Testing

/// OpenBLAS's kernels are chosen from the CPU's features, and the ones in use are never older
/// than this CPU allows.
@Suite struct KernelChoiceTests {
    static let sse: CPUFeatures = [.sse3, .ssse3, .sse4_2]
    static let avx2: CPUFeatures = sse.union([.avx, .avx2, .fma])

    @Test func bestCoreFollowsTheFeatures() {
        let cases: [(CPUFeatures, String?)] = [
            ([], nil),
            ([.sse3], "PRESCOTT"),
            ([.sse3, .ssse3], "CORE2"),
            (Self.sse, "NEHALEM"),
            (Self.sse.union(.avx), "SANDYBRIDGE"),
            (Self.sse.union([.avx, .avx2]), "SANDYBRIDGE"),  // AVX2 without FMA: no Haswell kernels
            (Self.avx2, "HASWELL"),
            (Self.avx2.union([.avx512f, .avx512bw]), "HASWELL"),  // AVX-512 subsets missing
            (Self.avx2.union(.avx512Skylake), "SKYLAKEX"),
            (Self.avx2.union(.avx512Skylake).union(.avx512bf16), "COOPERLAKE"),
        ]
        for (features, expected) in cases {
            #expect(OpenBLASCore.best(for: features)?.name == expected, "\(features.names)")
        }
        #expect(OpenBLASCore.executable(on: Self.avx2).map(\.name) == ["PRESCOTT", "CORE2", "NEHALEM", "SANDYBRIDGE", "HASWELL"])
    }

    @Test func coreNamesMapToFamilies() {
        #expect(KernelFamily(openBLASCore: "Prescott") == .generic)
        #expect(KernelFamily(openBLASCore: "Nehalem") == .generic)
        #expect(KernelFamily(openBLASCore: "Sandybridge") == .avx)
        #expect(KernelFamily(openBLASCore: "Haswell") == .avx2)
        #expect(KernelFamily(openBLASCore: "Zen") == .avx2)
        #expect(KernelFamily(openBLASCore: "SkylakeX") == .avx512)
        #expect(KernelFamily(openBLASCore: "COOPERLAKE") == .avx512)
        #expect(KernelFamily(openBLASCore: "NEOVERSEN1") == nil)
        for core in OpenBLASCore.ladder { #expect(KernelFamily(openBLASCore: core.name) == core.family) }
    }

    @Test func aGenericCoreOnAnAVX512CPUIsAWarning() {
        let cpu = CPU(model: "test CPU", features: Self.avx2.union(.avx512Skylake))
        let slow = OpenBLAS.Status(cpu: cpu, core: "Prescott", configuration: "OpenBLAS 0.3.21 Prescott", choice: .library)
        #expect(slow.family == .generic && slow.bestFamily == .avx512)
        #expect(slow.warning?.contains("SKYLAKEX") == true)
        let fast = OpenBLAS.Status(cpu: cpu, core: "SkylakeX", configuration: "OpenBLAS 0.3.21 SkylakeX", choice: .cpuFeatures("SKYLAKEX"))
        #expect(fast.warning == nil)
        #expect(fast.version == "0.3.21")
    }

    /// The process's own OpenBLAS, read through `openblas_get_corename`: on a CPU with AVX2+FMA
    /// or AVX-512 its kernels must be of that family (Debian's 0.3.21 alone picks SSE3 kernels on
    /// recent Xeons). `scripts/test.sh` unsets OPENBLAS_CORETYPE, so this is our choice.
    @Test func theKernelsInUseAreTheBestThisCPUAllows() throws {
        let status = try OpenBLAS.shared().status
        let features = CPU.current.features
        if features.isSuperset(of: Self.avx2) {
            #expect(status.family.map { $0 >= .avx2 } == true, "\(status.summary)")
        }
        if features.isSuperset(of: Self.avx2.union(.avx512Skylake)) {
            #expect(status.family == .avx512, "\(status.summary)")
        }
        #expect(status.warning == nil, "\(status.warning ?? "")")
        // The variable was set for OpenBLAS's initialiser only: child processes choose for themselves.
        #expect(getenv("OPENBLAS_CORETYPE") == nil)
        #expect(status.choice == .cpuFeatures(OpenBLASCore.best(for: features)?.name ?? "") || OpenBLASCore.best(for: features) == nil)
    }
}
