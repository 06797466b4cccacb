import CoachSpoolCore
import Crypto
import Foundation
import Stages

/// The figures of `training_report.json` that a run keeps in the database: no sample texts
/// (they quote conversations, which erasure must be able to remove).
public struct TrainingReport: Sendable {
    public let baselineEvalLoss: Double
    public let evalLoss: Double
    public let adapterPath: String
    public let metricsJSON: String

    static let recordedKeys = [
        "baseline_eval_loss", "eval_loss", "train_loss_by_epoch", "trained_tokens", "loss_tokens_per_epoch", "steps",
        "epochs_completed", "device", "seconds", "method", "hyperparameters", "train_seconds", "tokens_per_second", "threads",
        "chat_template", "system_prompt_folded", "loss_curve", "merged",
    ]

    public init(file: URL) throws {
        guard let data = FileManager.default.contents(atPath: file.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let baseline = object["baseline_eval_loss"] as? Double, let eval = object["eval_loss"] as? Double,
              let adapter = object["adapter"] as? String
        else { throw CoachSpoolError(.unusable, "\(file.path) is missing or incomplete: the trainer did not finish its report") }
        baselineEvalLoss = baseline
        evalLoss = eval
        adapterPath = adapter
        let kept = object.filter { Self.recordedKeys.contains($0.key) }
        metricsJSON = String(decoding: try JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys]), as: UTF8.self)
    }

    public static func sha256(ofFile url: URL) throws -> String {
        Array(SHA256.hash(data: try Data(contentsOf: url, options: .mappedIfSafe))).hexString
    }

    /// `train --eval`: the answers table joins training_report.md.
    public static func appendEvaluation(_ table: String, to markdown: URL) throws {
        do {
            let handle = try FileHandle(forWritingTo: markdown)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("\n## Answers on the held-out conversations (eval answers)\n\n```\n\(table)\n```\n".utf8))
        } catch {
            throw CoachSpoolError(.io, "cannot add the evaluation to the report", file: markdown.path, underlying: error)
        }
    }
}
