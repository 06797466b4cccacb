import Embeddings
import Foundation

/// `coachspool-bench embed`: all-MiniLM-L6-v2 throughput on the peers' inputs with their rule
/// (texts sorted by length, batches of 32 and 64, one warm-up on the first 256 texts, median of
/// `runs`; tokens are real WordPiece ids incl. [CLS]/[SEP], truncated at 256, no padding).
/// First checks accuracy against `minilm_dev.json`. Prints one JSON object on stdout.
///
///     coachspool-bench embed --inputs bench_short.json,bench_long.json --reference minilm_dev.json
///         [--batch-sizes 32,64] [--threads 2] [--runs 3]
struct EmbedBenchmark {
    let inputs: [String]
    let reference: String
    let batchSizes: [Int]
    let threads: Int
    let runs: Int
    let modelsDirectory: String

    struct Row: Encodable {
        var input: String
        var n_texts: Int
        var n_tokens: Int
        var batch_size: Int
        var median_s: Double
        var runs_s: [Double]
        var cpu_s: [Double]
        var sentences_per_s: Double
        var tokens_per_s: Double
        /// The encoder's floating-point work per second (linear layers and attention, from the
        /// real token counts), and per thread: compare with `sgemm_ceiling_gflops`.
        var gflops_per_s: Double
        var gflops_per_s_per_thread: Double
    }

    struct Output: Encodable {
        var implementation = "CoachSpool MiniLMEmbedder (Swift, OpenBLAS)"
        var threads: Int
        var runs: Int
        var instruction_set = MiniLMEmbedder.instructionSet
        var cpu_model: String
        var blas_library: String
        var blas_core: String
        var blas_choice: String
        /// One thread's sgemm of the encoder's largest product (8000×384 · 384×1536), same library,
        /// same run: what one core's fp32 matrix product does at best.
        var sgemm_ceiling_gflops: Double
        var loadavg_at_start: [Double]
        var loadavg_at_end: [Double] = []
        var accuracy: [String: Double]
        var rows: [Row]
    }

    private struct ReferenceFile: Decodable {
        struct Item: Decodable { var text: String; var embedding: [Float] }
        var items: [Item]
    }

    func run() throws {
        var rows: [Row] = []
        let loadAtStart = Timing.loadAverage()
        let accuracy = try checkAccuracy()
        FileHandle.standardError.write(Data("accuracy vs DEV reference: \(accuracy)\n".utf8))
        for path in inputs {
            let texts = try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            for batchSize in batchSizes {
                let model = try MiniLMEmbedder(modelsDirectory: modelsDirectory, batchSize: batchSize, threads: threads)
                let lengths = texts.map { model.tokenizer.encode($0).ids.count }
                let tokens = lengths.reduce(0, +)
                let flops = lengths.reduce(0.0) { $0 + Self.encoderFLOPs(tokens: $1) }
                let timing = Timing.measure(runs: runs, warmUp: { _ = model.embed(Array(texts.prefix(256))) }) {
                    _ = model.embed(texts)
                }
                let row = Row(
                    input: URL(fileURLWithPath: path).lastPathComponent, n_texts: texts.count, n_tokens: tokens,
                    batch_size: batchSize, median_s: Timing.round(timing.median), runs_s: timing.wall.map(Timing.round),
                    cpu_s: timing.cpu.map(Timing.round),
                    sentences_per_s: (Double(texts.count) / timing.median * 10).rounded() / 10,
                    tokens_per_s: (Double(tokens) / timing.median).rounded(),
                    gflops_per_s: (flops / timing.median / 1e8).rounded() / 10,
                    gflops_per_s_per_thread: (flops / timing.median / Double(threads) / 1e8).rounded() / 10)
                FileHandle.standardError.write(Data("\(row.input) batch \(batchSize): \(row.sentences_per_s) texts/s, \(row.tokens_per_s) tokens/s\n".utf8))
                rows.append(row)
            }
        }
        let ceiling = try Self.sgemmCeiling()
        FileHandle.standardError.write(Data("single-thread sgemm 8000x384x1536: \(ceiling) GFLOP/s\n".utf8))
        let blas = try OpenBLAS.shared().status
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        FileHandle.standardOutput.write(try encoder.encode(Output(
            threads: threads, runs: runs, cpu_model: blas.cpu.description, blas_library: blas.configuration, blas_core: blas.core,
            blas_choice: blas.choice.name, sgemm_ceiling_gflops: ceiling,
            loadavg_at_start: loadAtStart, loadavg_at_end: Timing.loadAverage(), accuracy: accuracy, rows: rows)))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// all-MiniLM-L6-v2's floating-point operations for one text of `tokens` tokens: per layer
    /// the Q/K/V, attention-output and two feed-forward products (2 · 384 · 4608 per token) and
    /// attention's Q·Kᵀ and weights·V (4 · tokens² · 384), times 6 layers.
    static func encoderFLOPs(tokens: Int) -> Double {
        let n = Double(tokens)
        return 6 * (2 * 384 * 4608 * n + 4 * n * n * 384)
    }

    /// The best of 5 single-threaded products of the encoder's largest shape (the feed-forward's
    /// 384 → 1536 over 8000 token rows), in GFLOP/s; OpenBLAS is left at one thread, as MiniLM uses it.
    static func sgemmCeiling() throws -> Double {
        let blas = try OpenBLAS.shared()
        blas.setThreads(1)
        let (m, k, n) = (8000, 384, 1536)
        let a = [Float](repeating: 0.01, count: m * k), b = [Float](repeating: 0.02, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for _ in 0..<5 {
            let timing = Timing.measure(runs: 1, warmUp: {}) {
                c.withUnsafeMutableBufferPointer { out in
                    blas.multiply(a, rows: m, inner: k, strideA: k, b, columns: n, strideB: k, transposeB: true, into: out.baseAddress!, strideC: n)
                }
            }
            best = min(best, timing.median)
        }
        return (2 * Double(m * k * n) / best / 1e8).rounded() / 10
    }

    /// Max absolute difference and min cosine against sentence-transformers, batches of 32.
    private func checkAccuracy() throws -> [String: Double] {
        let file = try JSONDecoder().decode(ReferenceFile.self, from: Data(contentsOf: URL(fileURLWithPath: reference)))
        let model = try MiniLMEmbedder(modelsDirectory: modelsDirectory, batchSize: 32, threads: threads)
        let vectors = model.embed(file.items.map(\.text))
        var maxAbs = 0.0
        var minCosine = 1.0
        for (item, embedding) in zip(file.items, vectors) {
            var dot = 0.0
            for (a, b) in zip(item.embedding, embedding.vector) {
                maxAbs = max(maxAbs, Double(abs(a - b)))
                dot += Double(a) * Double(b)
            }
            minCosine = min(minCosine, dot)
        }
        return ["max_abs_vs_reference": maxAbs, "min_cosine_vs_reference": minCosine]
    }
}
