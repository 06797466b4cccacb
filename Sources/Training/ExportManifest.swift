import CoachSpoolCore
import Crypto
import Foundation
import Stages

/// The export's manifest, as a training run records it.
public struct ExportManifest: Sendable {
    public let format: String
    public let pipelineVersion: String?
    public let sha256: String
    public let filesSHA256JSON: String
    public let validationExamples: Int

    public init(directory: URL) throws {
        let file = directory.appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: file.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let format = object["format"] as? String
        else { throw CoachSpoolError(.unusable, "\(file.path) is missing or not an export manifest") }
        self.format = format
        pipelineVersion = object["pipeline_version"] as? String
        sha256 = Array(SHA256.hash(data: data)).hexString
        let entries = object["files"] as? [String: [String: Any]] ?? [:]
        validationExamples = entries["validation.jsonl"]?["examples"] as? Int ?? 0
        let files = entries.compactMapValues { $0["sha256"] as? String }
        filesSHA256JSON = String(decoding: try JSONSerialization.data(withJSONObject: files, options: [.sortedKeys]), as: UTF8.self)
    }
}
