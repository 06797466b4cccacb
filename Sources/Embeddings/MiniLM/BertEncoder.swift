/// The BERT forward pass with sentence-transformers' mean pooling and L2 normalisation.
///
/// Sequences are **packed**, not padded: the token rows of a whole batch are one `[tokens × hidden]`
/// matrix for every per-token product (embeddings, Q/K/V, attention output, feed-forward), and
/// attention runs per sequence over its own length. That is exactly what a padding mask computes
/// (masked positions get zero weight and are left out of the mean), without the work on padding.
struct BertEncoder: Sendable {
    let weights: BertWeights

    /// One unit-length vector per sequence (`[CLS] … [SEP]` ids, each at most `maxPositions`).
    func embed(_ sequences: [[Int32]]) -> [[Float]] {
        let configuration = weights.configuration
        let hidden = configuration.hiddenSize
        let inner = configuration.intermediateSize
        let tokens = sequences.reduce(0) { $0 + $1.count }
        guard tokens > 0 else { return sequences.map { _ in [] } }
        let longest = sequences.map(\.count).max() ?? 0

        let states = Buffer(tokens * hidden)
        let qkv = Buffer(tokens * 3 * hidden)
        let context = Buffer(tokens * hidden)
        let wide = Buffer(tokens * inner)
        let scores = Buffer(longest * longest)
        defer { [states, qkv, context, wide, scores].forEach { $0.free() } }

        embedTokens(sequences, into: states.pointer)
        for layer in weights.layers {
            // Q, K and V of every token in one product.
            fill(qkv.pointer, rows: tokens, with: layer.qkvBias, width: 3 * hidden)
            BLAS.multiply(
                states.pointer, rows: tokens, inner: hidden, strideA: hidden,
                layer.qkv, columns: 3 * hidden, strideB: hidden, transposeB: true,
                into: qkv.pointer, strideC: 3 * hidden, beta: 1)
            attend(sequences, qkv: qkv.pointer, scores: scores.pointer, into: context.pointer)

            fill(wide.pointer, rows: tokens, with: layer.attentionOutputBias, width: hidden)
            BLAS.multiply(
                context.pointer, rows: tokens, inner: hidden, strideA: hidden,
                layer.attentionOutput, columns: hidden, strideB: hidden, transposeB: true,
                into: wide.pointer, strideC: hidden, beta: 1)
            addAndNormalise(wide.pointer, into: states.pointer, rows: tokens, gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta)

            fill(wide.pointer, rows: tokens, with: layer.intermediateBias, width: inner)
            BLAS.multiply(
                states.pointer, rows: tokens, inner: hidden, strideA: hidden,
                layer.intermediate, columns: inner, strideB: hidden, transposeB: true,
                into: wide.pointer, strideC: inner, beta: 1)
            VectorMath.gelu(wide.pointer, count: tokens * inner)

            fill(context.pointer, rows: tokens, with: layer.outputBias, width: hidden)
            BLAS.multiply(
                wide.pointer, rows: tokens, inner: inner, strideA: inner,
                layer.output, columns: hidden, strideB: inner, transposeB: true,
                into: context.pointer, strideC: hidden, beta: 1)
            addAndNormalise(context.pointer, into: states.pointer, rows: tokens, gamma: layer.outputNormGamma, beta: layer.outputNormBeta)
        }
        return meanPooled(sequences, states: states.pointer)
    }

    /// Word + position + token-type-0 embeddings, then LayerNorm.
    private func embedTokens(_ sequences: [[Int32]], into states: UnsafeMutablePointer<Float>) {
        let hidden = weights.configuration.hiddenSize
        var row = states
        for ids in sequences {
            for (position, id) in ids.enumerated() {
                row.update(from: weights.wordEmbeddings + Int(id) * hidden, count: hidden)
                VectorMath.add(weights.positionEmbeddings + position * hidden, to: row, count: hidden)
                VectorMath.add(weights.tokenTypeEmbedding, to: row, count: hidden)
                VectorMath.layerNorm(
                    row, count: hidden, gamma: weights.embeddingNormGamma, beta: weights.embeddingNormBeta,
                    epsilon: weights.configuration.layerNormEpsilon)
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
                BLAS.multiply(
                    query, rows: length, inner: headSize, strideA: 3 * hidden,
                    key, columns: length, strideB: 3 * hidden, transposeB: true,
                    into: scores, strideC: length, alpha: scale)
                for row in 0..<length { VectorMath.softmax(scores + row * length, count: length) }
                BLAS.multiply(
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
        for row in 0..<rows {
            let target = states + row * hidden
            VectorMath.add(update + row * hidden, to: target, count: hidden)
            VectorMath.layerNorm(target, count: hidden, gamma: gamma, beta: beta, epsilon: weights.configuration.layerNormEpsilon)
        }
    }

    /// Mean over each sequence's rows (all of them are real tokens), then L2 normalisation.
    private func meanPooled(_ sequences: [[Int32]], states: UnsafePointer<Float>) -> [[Float]] {
        let hidden = weights.configuration.hiddenSize
        var offset = 0
        return sequences.map { ids in
            var sum = [Float](repeating: 0, count: hidden)
            sum.withUnsafeMutableBufferPointer { sum in
                for row in offset..<(offset + ids.count) {
                    VectorMath.add(states + row * hidden, to: sum.baseAddress!, count: hidden)
                }
            }
            offset += ids.count
            let mean = sum.map { $0 / Float(ids.count) }
            let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return mean.map { $0 / norm }
        }
    }

    private func fill(_ target: UnsafeMutablePointer<Float>, rows: Int, with bias: UnsafePointer<Float>, width: Int) {
        for row in 0..<rows { (target + row * width).update(from: bias, count: width) }
    }
}

/// Scratch memory for one forward pass.
private struct Buffer {
    let pointer: UnsafeMutablePointer<Float>
    init(_ count: Int) { pointer = .allocate(capacity: max(count, 1)) }
    func free() { pointer.deallocate() }
}
