import CoachSpoolCore
import Foundation
import Embeddings
import Tokenizers

/// Reference files (copied from the shared reference set into `Tests/Fixtures`) and the models
/// folder that `scripts/test.sh` fills.
enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func reference(_ name: String) throws -> Data {
        try Data(contentsOf: repository.appendingPathComponent("Tests/Fixtures/reference/\(name)"))
    }

    static var modelsDirectory: String {
        ProcessInfo.processInfo.environment["COACHSPOOL_MODELS"]
            ?? repository.appendingPathComponent(".coachspool/models").path
    }

    /// Loaded once for all tests (≈ 0.1 s in release, more in debug builds).
    static let cl100k: Result<CL100K, CoachSpoolError> = Result { () throws(CoachSpoolError) in
        try CL100K(modelsDirectory: modelsDirectory)
    }

    /// all-MiniLM-L6-v2, loaded once (the weights are memory-mapped, so this is cheap).
    static let miniLM: Result<MiniLMEmbedder, CoachSpoolError> = Result { () throws(CoachSpoolError) in
        do {
            return try MiniLMEmbedder(modelsDirectory: modelsDirectory)
        } catch let error as CoachSpoolError {
            throw error
        } catch {
            throw CoachSpoolError(.model, "\(error)")
        }
    }
}
