import CoachSpoolCore
import Foundation

/// The shape of a BERT encoder, from the model's `config.json`.
struct BertConfiguration: Sendable, Equatable {
    var hiddenSize: Int
    var layers: Int
    var heads: Int
    var intermediateSize: Int
    var maxPositions: Int
    var vocabularySize: Int
    var layerNormEpsilon: Float

    var headSize: Int { hiddenSize / heads }

    init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoachSpoolError.missingModelFile(path: path)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CoachSpoolError.badModelFile(path: path, reason: "not a JSON object")
        }
        func integer(_ key: String) throws -> Int {
            guard let value = object[key] as? Int, value > 0 else {
                throw CoachSpoolError.badModelFile(path: path, reason: "\"\(key)\" is missing or not a positive integer")
            }
            return value
        }
        hiddenSize = try integer("hidden_size")
        layers = try integer("num_hidden_layers")
        heads = try integer("num_attention_heads")
        intermediateSize = try integer("intermediate_size")
        maxPositions = try integer("max_position_embeddings")
        vocabularySize = try integer("vocab_size")
        layerNormEpsilon = Float(object["layer_norm_eps"] as? Double ?? 1e-12)
        let activation = object["hidden_act"] as? String ?? "gelu"
        guard activation == "gelu" else {
            throw CoachSpoolError.badModelFile(path: path, reason: "hidden_act \(activation) is not supported (only gelu)")
        }
        guard hiddenSize % heads == 0, hiddenSize % 16 == 0 else {  // the kernels work on rows of 16-float vectors
            throw CoachSpoolError.badModelFile(path: path, reason: "hidden_size \(hiddenSize) must split into \(heads) heads and SIMD rows")
        }
    }
}

/// The weights of a `BertModel`, read in place from the memory-mapped safetensors file.
/// PyTorch `Linear` weights are `[out, in]`: the encoder multiplies by their transpose. Query,
/// key and value are fused into one `[3·hidden, hidden]` matrix (the only copy) so that one
/// matrix product serves all three.
final class BertWeights: @unchecked Sendable {  // immutable after init
    struct Layer {
        var qkv: UnsafePointer<Float>, qkvBias: UnsafePointer<Float>
        var attentionOutput: UnsafePointer<Float>, attentionOutputBias: UnsafePointer<Float>
        var attentionNormGamma: UnsafePointer<Float>, attentionNormBeta: UnsafePointer<Float>
        var intermediate: UnsafePointer<Float>, intermediateBias: UnsafePointer<Float>
        var output: UnsafePointer<Float>, outputBias: UnsafePointer<Float>
        var outputNormGamma: UnsafePointer<Float>, outputNormBeta: UnsafePointer<Float>
    }

    let configuration: BertConfiguration
    let wordEmbeddings: UnsafePointer<Float>
    let positionEmbeddings: UnsafePointer<Float>
    /// Token type 0 (single-sentence input).
    let tokenTypeEmbedding: UnsafePointer<Float>
    let embeddingNormGamma: UnsafePointer<Float>
    let embeddingNormBeta: UnsafePointer<Float>
    let layers: [Layer]

    private let file: SafeTensorsFile
    private let fused: UnsafeMutablePointer<Float>

    init(file: SafeTensorsFile, configuration: BertConfiguration) throws {
        self.file = file
        self.configuration = configuration
        let hidden = configuration.hiddenSize
        let inner = configuration.intermediateSize
        wordEmbeddings = try file.floats("embeddings.word_embeddings.weight", shape: [configuration.vocabularySize, hidden])
        positionEmbeddings = try file.floats("embeddings.position_embeddings.weight", shape: [configuration.maxPositions, hidden])
        tokenTypeEmbedding = try file.floats("embeddings.token_type_embeddings.weight", shape: [2, hidden])
        embeddingNormGamma = try file.floats("embeddings.LayerNorm.weight", shape: [hidden])
        embeddingNormBeta = try file.floats("embeddings.LayerNorm.bias", shape: [hidden])

        let perLayer = 3 * hidden * hidden + 3 * hidden
        let fused = UnsafeMutablePointer<Float>.allocate(capacity: perLayer * configuration.layers)
        self.fused = fused
        var layers: [Layer] = []
        do {
            for index in 0..<configuration.layers {
                let prefix = "encoder.layer.\(index)."
                func tensor(_ name: String, _ shape: [Int]) throws -> UnsafePointer<Float> {
                    try file.floats(prefix + name, shape: shape)
                }
                let qkv = fused + index * perLayer
                let qkvBias = qkv + 3 * hidden * hidden
                for (part, name) in ["query", "key", "value"].enumerated() {
                    (qkv + part * hidden * hidden).update(
                        from: try tensor("attention.self.\(name).weight", [hidden, hidden]), count: hidden * hidden)
                    (qkvBias + part * hidden).update(from: try tensor("attention.self.\(name).bias", [hidden]), count: hidden)
                }
                layers.append(Layer(
                    qkv: UnsafePointer(qkv), qkvBias: UnsafePointer(qkvBias),
                    attentionOutput: try tensor("attention.output.dense.weight", [hidden, hidden]),
                    attentionOutputBias: try tensor("attention.output.dense.bias", [hidden]),
                    attentionNormGamma: try tensor("attention.output.LayerNorm.weight", [hidden]),
                    attentionNormBeta: try tensor("attention.output.LayerNorm.bias", [hidden]),
                    intermediate: try tensor("intermediate.dense.weight", [inner, hidden]),
                    intermediateBias: try tensor("intermediate.dense.bias", [inner]),
                    output: try tensor("output.dense.weight", [hidden, inner]),
                    outputBias: try tensor("output.dense.bias", [hidden]),
                    outputNormGamma: try tensor("output.LayerNorm.weight", [hidden]),
                    outputNormBeta: try tensor("output.LayerNorm.bias", [hidden])))
            }
        } catch {
            fused.deallocate()
            throw error
        }
        self.layers = layers
    }

    deinit { fused.deallocate() }
}
