/// Why embedding failed. Messages name the file, setting or HTTP status; never the texts.
public enum EmbeddingError: Error, CustomStringConvertible, Equatable {
    /// A model file is not there: the message says which script fetches it.
    case missingModelFile(path: String)
    case badModelFile(path: String, reason: String)
    case invalidConfiguration(String)
    /// An OpenAI-compatible endpoint (embeddings or chat) refused or failed; `retryable` for 429 and 5xx.
    case endpoint(status: Int, message: String, retryable: Bool)
    case transport(String)
    case badResponse(String)

    public var description: String {
        switch self {
        case .missingModelFile(let path):
            "model file \(path) is missing: run scripts/fetch-model.sh (or set COACHSPOOL_MODELS to the folder that has it)"
        case .badModelFile(let path, let reason): "model file \(path): \(reason)"
        case .invalidConfiguration(let message): message
        case .endpoint(let status, let message, _): "the endpoint answered HTTP \(status): \(message)"
        case .transport(let message): "cannot reach the endpoint: \(message)"
        case .badResponse(let message): "the endpoint sent an unexpected response: \(message)"
        }
    }
}
