import CoachSpoolCore

/// The embedders' errors, in the common shape: messages name the file, setting or endpoint and
/// say what to do; they never quote input text.
extension CoachSpoolError {
    /// A model file is not there: the message says which script fetches it.
    static func missingModelFile(path: String) -> CoachSpoolError {
        CoachSpoolError(.model, "missing: run scripts/fetch-model.sh (or set COACHSPOOL_MODELS to the folder that has it)", file: path)
    }

    static func badModelFile(path: String, reason: String) -> CoachSpoolError {
        CoachSpoolError(.model, reason, file: path)
    }

    static func invalidConfiguration(_ message: String) -> CoachSpoolError {
        CoachSpoolError(.configuration, message)
    }

    /// An OpenAI-compatible endpoint (embeddings or chat) refused or failed; retryable for 429 and 5xx.
    static func endpoint(status: Int, message: String, retryable: Bool) -> CoachSpoolError {
        CoachSpoolError(.endpoint, "the endpoint answered HTTP \(status): \(message)", retryable: retryable)
    }

    /// The endpoint could not be reached: worth another attempt.
    static func transport(_ message: String) -> CoachSpoolError {
        CoachSpoolError(.endpoint, "cannot reach the endpoint: \(message)", retryable: true)
    }

    static func badResponse(_ message: String) -> CoachSpoolError {
        CoachSpoolError(.endpoint, "the endpoint sent an unexpected response: \(message)")
    }
}
