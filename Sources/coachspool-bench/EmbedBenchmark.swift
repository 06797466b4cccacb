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
    }

    struct Output: Encodable {
        var implementation = "CoachSpool MiniLMEmbedder (Swift, OpenBLAS)"
        var threads: Int
        var runs: Int
        var instruction_set = MiniLMEmbedder.instructionSet
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
                let tokens = texts.reduce(0) { $0 + model.tokenizer.encode($1).ids.count }
                let timing = Timing.measure(runs: runs, warmUp: { _ = model.embed(Array(texts.prefix(256))) }) {
                    _ = model.embed(texts)
                }
                let row = Row(
                    input: URL(fileURLWithPath: path).lastPathComponent, n_texts: texts.count, n_tokens: tokens,
                    batch_size: batchSize, median_s: Timing.round(timing.median), runs_s: timing.wall.map(Timing.round),
                    cpu_s: timing.cpu.map(Timing.round),
                    sentences_per_s: (Double(texts.count) / timing.median * 10).rounded() / 10,
                    tokens_per_s: (Double(tokens) / timing.median).rounded())
                FileHandle.standardError.write(Data("\(row.input) batch \(batchSize): \(row.sentences_per_s) texts/s, \(row.tokens_per_s) tokens/s\n".utf8))
                rows.append(row)
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        FileHandle.standardOutput.write(try encoder.encode(Output(
            threads: threads, runs: runs, loadavg_at_start: loadAtStart, loadavg_at_end: Timing.loadAverage(),
            accuracy: accuracy, rows: rows)))
        FileHandle.standardOutput.write(Data("\n".utf8))
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
