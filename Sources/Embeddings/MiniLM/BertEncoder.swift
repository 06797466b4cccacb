internal import CEncoderKernels

/// The BERT forward pass with sentence-transformers' mean pooling and L2 normalisation.
///
/// Sequences are **packed**, not padded: the token rows of a whole batch are one `[tokens × hidden]`
/// matrix for every per-token product (embeddings, Q/K/V, attention output, feed-forward), and
/// attention runs per sequence over its own length. That is exactly what a padding mask computes
/// (masked positions get zero weight and are left out of the mean), without the work on padding.
struct BertEncoder: Sendable {
    let weights: BertWeights
    let blas: OpenBLAS

    /// One unit-length vector per sequence (`[CLS] … [SEP]` ids, each at most `maxPositions`).
    /// `workspace` is scratch memory reused across calls; one per thread.
    func embed(_ sequences: [[Int32]], workspace: EncoderWorkspace) -> [[Float]] {
        let configuration = weights.configuration
        let hidden = configuration.hiddenSize
        let inner = configuration.intermediateSize
        let tokens = sequences.reduce(0) { $0 + $1.count }
        guard tokens > 0 else { return sequences.map { _ in [] } }
        let longest = sequences.map(\.count).max() ?? 0
        workspace.reserve(tokens: tokens, longest: longest, configuration: configuration)
        let states = workspace.states, qkv = workspace.qkv, context = workspace.context
        let wide = workspace.wide, scores = workspace.scores

        embedTokens(sequences, into: states)
        for layer in weights.layers {
            // Q, K and V of every token in one product.
            linear(states, rows: tokens, width: hidden, layer.qkv, layer.qkvBias, outputs: 3 * hidden, into: qkv)
            attend(sequences, qkv: qkv, scores: scores, into: context)
            linear(context, rows: tokens, width: hidden, layer.attentionOutput, layer.attentionOutputBias, outputs: hidden, into: wide)
            addAndNormalise(wide, into: states, rows: tokens, gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta)

            linear(states, rows: tokens, width: hidden, layer.intermediate, layer.intermediateBias, outputs: inner, into: wide)
            cs_gelu(wide, tokens * inner)
            linear(wide, rows: tokens, width: inner, layer.output, layer.outputBias, outputs: hidden, into: context)
            addAndNormalise(context, into: states, rows: tokens, gamma: layer.outputNormGamma, beta: layer.outputNormBeta)
        }
        return meanPooled(sequences, states: states)
    }

    /// Word + position + token-type-0 embeddings, then LayerNorm.
    private func embedTokens(_ sequences: [[Int32]], into states: UnsafeMutablePointer<Float>) {
        let hidden = weights.configuration.hiddenSize
        var row = states
        for ids in sequences {
            for (position, id) in ids.enumerated() {
                let word = weights.wordEmbeddings + Int(id) * hidden
                for index in 0..<hidden { row[index] = word[index] + weights.tokenTypeEmbedding[index] }
                cs_add_layer_norm(
                    row, weights.positionEmbeddings + position * hidden, 1, hidden,
                    weights.embeddingNormGamma, weights.embeddingNormBeta, weights.configuration.layerNormEpsilon)
                row += hidden
            }
        }
    }

    /// Scaled dot-product attention per sequence and head: softmax(Q·Kᵀ/√d)·V.
    private func attend(
        _ sequences: [[Int32]], qkv: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
        into context: UnsafeMutablePointer<Float>
    ) {
        let configuration = weights.configuration
        let hidden = configuration.hiddenSize
        let headSize = configuration.headSize
        let scale = 1 / Float(headSize).squareRoot()
        var offset = 0
        for ids in sequences {
            let length = ids.count
            let rows = qkv + offset * 3 * hidden
            for head in 0..<configuration.heads {
                let query = rows + head * headSize
                let key = query + hidden
                let value = query + 2 * hidden
                blas.multiply(
                    query, rows: length, inner: headSize, strideA: 3 * hidden,
                    key, columns: length, strideB: 3 * hidden, transposeB: true,
                    into: scores, strideC: length, alpha: scale)
                cs_softmax_rows(scores, length, length, length)
                blas.multiply(
                    scores, rows: length, inner: length, strideA: length,
                    value, columns: headSize, strideB: 3 * hidden, transposeB: false,
                    into: context + offset * hidden + head * headSize, strideC: hidden)
            }
            offset += length
        }
    }

    /// states = LayerNorm(states + update), row by row.
    private func addAndNormalise(
        _ update: UnsafeMutablePointer<Float>, into states: UnsafeMutablePointer<Float>, rows: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>
    ) {
        let hidden = weights.configuration.hiddenSize
        cs_add_layer_norm(states, update, rows, hidden, gamma, beta, weights.configuration.layerNormEpsilon)
    }

    /// Mean over each sequence's rows (all of them are real tokens), then L2 normalisation.
    private func meanPooled(_ sequences: [[Int32]], states: UnsafePointer<Float>) -> [[Float]] {
        let hidden = weights.configuration.hiddenSize
        var offset = 0
        return sequences.map { ids in
            var sum = [Float](repeating: 0, count: hidden)
            for row in offset..<(offset + ids.count) {
                let values = states + row * hidden
                for index in 0..<hidden { sum[index] += values[index] }
            }
            offset += ids.count
            let mean = sum.map { $0 / Float(ids.count) }
            let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return mean.map { $0 / norm }
        }
    }

    /// A PyTorch `Linear` over every row: output = input · weightᵀ + bias (`weight` is [outputs × width]).
    private func linear(
        _ input: UnsafePointer<Float>, rows: Int, width: Int, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        outputs: Int, into output: UnsafeMutablePointer<Float>
    ) {
        for row in 0..<rows { (output + row * outputs).update(from: bias, count: outputs) }
        blas.multiply(
            input, rows: rows, inner: width, strideA: width, weight, columns: outputs, strideB: width, transposeB: true,
            into: output, strideC: outputs, beta: 1)
    }
}

/// Scratch memory of one thread's forward passes, grown as needed and reused: fresh large
/// allocations would be fresh pages (page faults, zeroing) on every batch.
final class EncoderWorkspace {
    private(set) var states = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var qkv = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var context = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var wide = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var scores = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var tokens = 0
    private var longest = 0

    func reserve(tokens: Int, longest: Int, configuration: BertConfiguration) {
        if tokens > self.tokens {
            let hidden = configuration.hiddenSize
            for pointer in [states, qkv, context, wide] { pointer.deallocate() }
            states = .allocate(capacity: tokens * hidden)
            qkv = .allocate(capacity: tokens * 3 * hidden)
            context = .allocate(capacity: tokens * hidden)
            wide = .allocate(capacity: tokens * configuration.intermediateSize)
            self.tokens = tokens
        }
        if longest > self.longest {
            scores.deallocate()
            scores = .allocate(capacity: longest * longest)
            self.longest = longest
        }
    }

    deinit {
        for pointer in [states, qkv, context, wide, scores] { pointer.deallocate() }
    }
}
