import Foundation

/// `Tests/Fixtures/openai/openai_double.py`: a local server speaking OpenAI's embeddings and
/// chat wire format (the only double the tests use: it stands for a paid remote API).
final class OpenAIDouble: @unchecked Sendable {  // immutable after init
    let process = Process()
    let port: Int
    let log: URL

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    init(_ arguments: [String] = []) throws {
        let script = Repository.path("Tests/Fixtures/openai/openai_double.py")
        log = temporaryFile("openai-log.jsonl")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--log", log.path] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var firstLine = Data()
        while !firstLine.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            firstLine.append(chunk)
        }
        guard let port = Int(String(decoding: firstLine, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "the OpenAI double did not start"])
        }
        self.port = port
    }

    /// The requests it received: {n, path, auth, body}.
    var requests: [[String: Any]] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func stop() {
        process.terminate()
    }

    deinit { if process.isRunning { process.terminate() } }
}
