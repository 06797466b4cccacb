import Embeddings
import Metrics
import Queue
import Spool

/// The embedding stages' own metrics, beside the runtime's per-stage job metrics.
extension WorkerMetrics {
    /// Texts embedded (knowledge chunks) and the time the embedder took for them, per space:
    /// `rate(texts)` is texts/s, `texts / embed seconds` the embedder's own speed.
    struct Embedding: Sendable {
        let texts: Counter
        let duration: Metrics.Timer

        init(space: Int32) {
            let dimensions = [("stage", JobKind.embed(space: space).rawValue)]
            texts = Counter(label: "coachspool_embedded_texts_total", dimensions: dimensions)
            duration = Metrics.Timer(label: "coachspool_embed_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        }
    }

    /// `coachspool_blas_info{cpu_model, blas_core, blas_family, blas_choice}` = 1 when the worker
    /// embeds in process (MiniLM): which CPU and which OpenBLAS kernels, for dashboards that
    /// compare hosts (a generic family on an AVX2/AVX-512 CPU is several times slower).
    public static func recordKernels(of embedder: any Embedder) {
        guard embedder is MiniLMEmbedder, let status = try? OpenBLAS.shared().status else { return }
        Gauge(label: "coachspool_blas_info", dimensions: [
            ("cpu_model", status.cpu.description), ("blas_core", status.core),
            ("blas_family", status.family?.name ?? "native"), ("blas_choice", status.choice.name),
        ]).record(1)
    }
}
