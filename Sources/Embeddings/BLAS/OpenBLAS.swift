import CoachSpoolCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// OpenBLAS, opened at first use so that its kernels are chosen by what the CPU can do.
///
/// OpenBLAS picks its kernels once, when the library initialises, from the CPU's *model number*
/// (or `OPENBLAS_CORETYPE`); Debian's 0.3.21 does not know recent Xeons and falls back to its SSE3
/// kernels there, 4–5× slower. Linked at build time it would initialise before `main`, so we open
/// it with `dlopen` instead, after setting `OPENBLAS_CORETYPE` to the best core of
/// `OpenBLASCore.ladder` that the CPU's features allow, unless the user set it.
public final class OpenBLAS: @unchecked Sendable {  // immutable: C function pointers and values
    /// How the core in use was chosen.
    public enum Choice: Sendable, Equatable {
        /// We set `OPENBLAS_CORETYPE` to this core from the CPU's features.
        case cpuFeatures(String)
        /// The user's `OPENBLAS_CORETYPE`.
        case environment(String)
        /// OpenBLAS chose by itself (a CPU whose features we do not map).
        case library

        /// For logs, metrics and JSON: "cpu-features", "OPENBLAS_CORETYPE" or "openblas".
        public var name: String {
            switch self {
            case .cpuFeatures: "cpu-features"
            case .environment: "OPENBLAS_CORETYPE"
            case .library: "openblas"
            }
        }
    }

    /// What runs: for logs, metrics, benchmark tables and `coachspool hardware`.
    public struct Status: Sendable {
        public let cpu: CPU
        /// `openblas_get_corename()`, e.g. "Cooperlake".
        public let core: String
        /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64".
        public let configuration: String
        public let choice: Choice
        /// The family of `core`; `nil` off x86-64.
        public var family: KernelFamily? { KernelFamily(openBLASCore: core) }
        /// The best family the CPU's features allow; `nil` off x86-64.
        public var bestFamily: KernelFamily? { OpenBLASCore.best(for: cpu.features)?.family }

        public init(cpu: CPU, core: String, configuration: String, choice: Choice) {
            self.cpu = cpu
            self.core = core
            self.configuration = configuration
            self.choice = choice
        }

        /// Set when the kernels in use are older than the CPU allows (e.g. SSE ones on an AVX-512 CPU).
        public var warning: String? {
            guard let family, let bestFamily, family < bestFamily else { return nil }
            let cause = if case .environment(let core) = choice { "OPENBLAS_CORETYPE=\(core) asks for it" } else { "OpenBLAS chose it" }
            return "OpenBLAS runs its \(family) kernels (\(core)) on a CPU with \(bestFamily) (\(cpu)); \(cause). "
                + "Embeddings run slower\(family == .generic ? " (4–5× with SSE kernels)" : ""); unset OPENBLAS_CORETYPE or set it to \(OpenBLASCore.best(for: cpu.features)?.name ?? "a newer core")."
        }

        /// One line for people: CPU, core and how it was chosen.
        public var summary: String {
            let how = switch choice {
            case .cpuFeatures: "chosen from the CPU's features"
            case .environment: "set by OPENBLAS_CORETYPE"
            case .library: "chosen by OpenBLAS"
            }
            return "\(cpu); OpenBLAS \(version) \(core) kernels (\(family?.description ?? "native"), \(how))"
        }

        /// The version word of `configuration` ("0.3.21"), or the whole string if it has another shape.
        public var version: String {
            let words = configuration.split(separator: " ")
            return words.count > 1 && words[0] == "OpenBLAS" ? String(words[1]) : configuration
        }
    }

    public let status: Status

    private typealias SgemmFunction = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    private typealias SetThreadsFunction = @convention(c) (Int32) -> Void
    private typealias StringFunction = @convention(c) () -> UnsafeMutablePointer<CChar>?

    private let sgemm: SgemmFunction
    private let setThreadsFunction: SetThreadsFunction

    /// The library of this process, opened on first use; later calls return the same one (OpenBLAS
    /// cannot change its kernels once initialised).
    public static func shared() throws -> OpenBLAS { try opened.get() }

    private static let opened = Result<OpenBLAS, any Error> { try OpenBLAS(cpu: .current) }

    /// Sonames tried in order: Debian's runtime package (libopenblas0-pthread, through the
    /// alternatives link), then the development link.
    static let libraryNames = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"]

    private init(cpu: CPU) throws {
        let requested = Self.environment("OPENBLAS_CORETYPE")
        let choice: Choice
        if let requested {
            choice = .environment(requested)
        } else if let core = OpenBLASCore.best(for: cpu.features) {
            choice = .cpuFeatures(core.name)
        } else {
            choice = .library
        }
        let handle = try Self.open(coreType: { if case .cpuFeatures(let core) = choice { core } else { nil } }())

        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let address = dlsym(handle, name) else {
                throw CoachSpoolError.invalidConfiguration("the OpenBLAS library has no \(name): install Debian's libopenblas0-pthread")
            }
            return unsafeBitCast(address, to: type)
        }
        sgemm = try symbol("cblas_sgemm", as: SgemmFunction.self)
        setThreadsFunction = try symbol("openblas_set_num_threads", as: SetThreadsFunction.self)
        let text = { (name: String) throws -> String in
            try symbol(name, as: StringFunction.self)().map { String(cString: $0) } ?? ""
        }
        let core = try text("openblas_get_corename")
        status = Status(cpu: cpu, core: core, configuration: try text("openblas_get_config"), choice: choice)
    }

    /// `dlopen`s the library with `OPENBLAS_CORETYPE` set to `coreType` for its initialiser, then
    /// puts the environment back as it was (child processes make their own choice).
    private static func open(coreType: String?) throws -> UnsafeMutableRawPointer {
        let previous = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        if let coreType { setenv("OPENBLAS_CORETYPE", coreType, 1) }
        defer {
            if coreType != nil {
                if let previous { setenv("OPENBLAS_CORETYPE", previous, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
            }
        }
        var errors: [String] = []
        for name in libraryNames {
            if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) { return handle }
            errors.append(dlerror().map { String(cString: $0) } ?? name)
        }
        throw CoachSpoolError.invalidConfiguration(
            "cannot load OpenBLAS (\(errors.joined(separator: "; "))): install Debian's libopenblas0-pthread")
    }

    /// A non-empty environment variable (an empty `OPENBLAS_CORETYPE` counts as unset).
    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else { return nil }
        return value
    }

    /// OpenBLAS's thread pool is global to the process: the last setting wins.
    public func setThreads(_ count: Int) {
        setThreadsFunction(Int32(count))
    }

    /// `C[m×n] = alpha · A[m×k] · op(B) + beta · C`, where `op(B)` is `B[k×n]`, or the transpose
    /// of `B[n×k]` when `transposeB` (PyTorch's `Linear` weights are `[out, in]`). Row-major.
    @inline(__always)
    public func multiply(
        _ a: UnsafePointer<Float>, rows m: Int, inner k: Int, strideA: Int,
        _ b: UnsafePointer<Float>, columns n: Int, strideB: Int, transposeB: Bool,
        into c: UnsafeMutablePointer<Float>, strideC: Int, alpha: Float = 1, beta: Float = 0
    ) {
        // CBLAS's enum values: CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112.
        sgemm(101, 111, transposeB ? 112 : 111, Int32(m), Int32(n), Int32(k), alpha, a, Int32(strideA), b, Int32(strideB), beta, c, Int32(strideC))
    }
}
