import CoachSpoolCore
import Crypto
import Foundation
import Stages

/// A local Hugging Face model folder, checked before anything is recorded.
public struct BaseModel: Sendable {
    public let name: String
    public let configSHA256: String

    /// `requireChatTemplate`: false when the caller gives the model a template (`--chat-template`).
    public init(directory: String, requireChatTemplate: Bool = true) throws {
        let folder = URL(fileURLWithPath: directory)
        guard let config = FileManager.default.contents(atPath: folder.appendingPathComponent("config.json").path) else {
            throw CoachSpoolError(.unusable, "\(directory): no config.json (expected a local Hugging Face model folder)")
        }
        let templateFile = FileManager.default.fileExists(atPath: folder.appendingPathComponent("chat_template.jinja").path)
        let tokenizerConfig = FileManager.default.contents(atPath: folder.appendingPathComponent("tokenizer_config.json").path)
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        guard !requireChatTemplate || templateFile || (tokenizerConfig?["chat_template"] as? String).map({ !$0.isEmpty }) == true else {
            throw CoachSpoolError(.unusable, "\(directory): the tokenizer has no chat template (chat_template.jinja or tokenizer_config.json's chat_template): give it one with --chat-template chatml|FILE")
        }
        name = folder.standardizedFileURL.lastPathComponent
        configSHA256 = Array(SHA256.hash(data: config)).hexString
    }
}
