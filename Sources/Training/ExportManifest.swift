import CoachSpoolCore
import Crypto
import Datasets
import Foundation
import Spool
import Stages

/// The export's manifest, as a training run records it: read through `DatasetManifest`, the
/// type `export` wrote it with, plus the file's own digest.
public struct ExportManifest: Sendable {
    public let format: String
    public let pipelineVersion: String?
    public let sha256: String
    public let filesSHA256JSON: String
    public let validationExamples: Int

    public init(directory: URL) throws {
        let file = directory.appendingPathComponent(DatasetManifest.fileName)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw CoachSpoolError(.unusable, "\(file.path) is missing or not an export manifest")
        }
        let manifest = try DatasetManifest(data: data, file: file.path)
        format = manifest.format
        pipelineVersion = manifest.pipelineVersion
        sha256 = Array(SHA256.hash(data: data)).hexString
        validationExamples = manifest.files["validation.jsonl"]?.examples ?? 0
        filesSHA256JSON = String(
            decoding: try JSONSerialization.data(withJSONObject: manifest.files.mapValues(\.sha256), options: [.sortedKeys]), as: UTF8.self)
    }
}
