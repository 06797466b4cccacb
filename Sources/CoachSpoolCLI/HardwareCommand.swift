import CoachSpoolCore
import ArgumentParser
import Embeddings
import Foundation
import Logging
import Stages

/// `coachspool hardware`: what the embedder runs on. Benchmarks print it beside their figures.
struct HardwareCommand: ParsableCommand {
    @OptionGroup var common: CommonOptions
    static let configuration = CommandConfiguration(
        commandName: "hardware",
        abstract: "The CPU, its features and the matrix kernels the in-process embedder runs (OpenBLAS core and how it was chosen).",
        discussion: """
            OpenBLAS's kernels are chosen from the CPU's features (AVX-512 → COOPERLAKE or SKYLAKEX, \
            AVX2+FMA → HASWELL, …) unless OPENBLAS_CORETYPE is set. Exit 0; a warning on stderr when \
            the kernels in use are older than the CPU allows.
            """)

    @Flag(help: "One JSON object instead of lines of text.")
    var json = false

    func run() throws {
        let status = try OpenBLAS.shared().status
        if json {
            var out = JSONWriter()
            out.object {
                $0.field("cpu_model") { $0.string(status.cpu.model) }
                $0.field("cpu_family") { $0.integer(status.cpu.family) }
                $0.field("cpu_model_number") { $0.integer(status.cpu.modelNumber) }
                $0.field("cpu_features") { $0.array(status.cpu.features.names) { $0.string($1) } }
                $0.field("blas_library") { $0.string(status.configuration) }
                $0.field("blas_version") { $0.string(status.version) }
                $0.field("blas_core") { $0.string(status.core) }
                $0.field("blas_family") { out in if let family = status.family { out.string(family.name) } else { out.null() } }
                $0.field("blas_choice") { $0.string(status.choice.name) }
                $0.field("cpu_best_family") { out in if let family = status.bestFamily { out.string(family.name) } else { out.null() } }
                $0.field("encoder_kernels") { $0.string(MiniLMEmbedder.instructionSet) }
                $0.field("warning") { out in if let warning = status.warning { out.string(warning) } else { out.null() } }
            }
            out.newline()
            try out.flush(to: STDOUT_FILENO)
        } else {
            print("cpu: \(status.cpu)")
            print("cpu features: \(status.cpu.features.names.joined(separator: " "))")
            print("blas: \(status.configuration)")
            print("blas core: \(status.core) (\(status.family?.description ?? "native"); \(status.choice.name))")
            print("encoder kernels: \(MiniLMEmbedder.instructionSet)")
        }
        if let warning = status.warning { printError("warning: \(warning)") }
    }
}

/// The kernels in use, said once when a command loads the in-process embedder.
enum KernelLog {
    /// Logs CPU model and OpenBLAS core (`cpu.model`, `blas.core`… metadata) at `level` when
    /// `embedder` is MiniLM, and a warning, whatever the level, when the kernels are older than
    /// the CPU allows. The services (`work`, `serve`) say it at info when they start; a one-shot
    /// command (`search`, `embed`) at debug, since a line on every run is noise once all is well.
    static func announce(_ embedder: any Embedder, logger: Logger, level: Logger.Level = .debug) {
        guard embedder is MiniLMEmbedder, let status = try? OpenBLAS.shared().status else { return }
        let metadata: Logger.Metadata = [
            LogKey.cpuModel: "\(status.cpu)",
            LogKey.blasCore: "\(status.core)",
            LogKey.blasFamily: "\(status.family?.name ?? "native")",
            LogKey.blasChoice: "\(status.choice.name)",
            LogKey.blasVersion: "\(status.version)",
        ]
        logger.log(level: level, "matrix kernels: \(status.summary)", metadata: metadata)
        if let warning = status.warning { logger.warning("\(warning)", metadata: metadata) }
    }
}
