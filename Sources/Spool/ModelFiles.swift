import CoachSpoolCore
import Foundation
import Tokenizers

/// Where the model files live: `COACHSPOOL_MODELS`, default `./.coachspool/models`
/// (`scripts/fetch-tokenizer.sh`, `scripts/fetch-model.sh` put them there).
public enum ModelFiles {
    public static var directory: String {
        ProcessInfo.processInfo.environment["COACHSPOOL_MODELS"] ?? FileManager.default.currentDirectoryPath + "/.coachspool/models"
    }

    /// cl100k_base; a missing file is reported with the script that fetches it.
    public static func cl100k() throws(CoachSpoolError) -> CL100K {
        try CL100K(modelsDirectory: directory)
    }
}
