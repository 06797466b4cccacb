import CoachSpoolCore
@testable import Embeddings
import Foundation
import Testing

/// The OpenAI-compatible embedder against a local double that speaks the real wire format.
@Suite struct OpenAIEmbedderTests {
    static let key = "sk-test-do-not-log-0123456789"

    func embedder(_ double: OpenAIDouble, key: String? = OpenAIEmbedderTests.key, batchSize: Int = 2) throws -> OpenAIEmbedder {
        var configuration = OpenAIEmbedder.Configuration(
            baseURL: URL(string: double.baseURL)!, model: "text-embedding-3-small", dimensions: 8, apiKey: key)
        configuration.batchSize = batchSize
        configuration.backoffBaseSeconds = 0.01
        configuration.maxAttempts = 4
        return try OpenAIEmbedder(configuration: configuration)
    }

    @Test func batchesInOrderWithTheWireFormat() throws {
        let double = try OpenAIDouble(["--key", Self.key])
        defer { double.stop() }
        let texts = ["a", "b", "c", "d", "e"]
        let vectors = try embedder(double).embed(texts)
        #expect(vectors.count == 5)
        // The double answers in reverse order; the client must place vectors by "index".
        let again = try embedder(double, batchSize: 5).embed(texts)
        #expect(vectors == again)
        for vector in vectors {
            #expect(vector.vector.count == 8)
            #expect(abs(vector.vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        }
        let requests = double.requests
        #expect(requests.count == 4)  // 2 + 2 + 1, then all 5 at once
        let first = try #require(requests.first?["body"] as? [String: Any])
        #expect(first["model"] as? String == "text-embedding-3-small")
        #expect(first["input"] as? [String] == ["a", "b"])
        #expect(first["encoding_format"] as? String == "float")
        #expect(first["dimensions"] as? Int == 8)
        #expect(requests.first?["auth"] as? String == "Bearer \(Self.key)")
    }

    @Test func retries429HonouringRetryAfterAnd5xx() throws {
        let limited = try OpenAIDouble(["--fail", "2", "--fail-status", "429", "--retry-after", "0.2"])
        defer { limited.stop() }
        let start = Date()
        #expect(try embedder(limited).embed(["x"]).count == 1)
        #expect(Date().timeIntervalSince(start) >= 0.4)  // two waits of Retry-After, not the 10 ms backoff
        #expect(limited.requests.count == 3)

        let failing = try OpenAIDouble(["--fail", "2", "--fail-status", "503"])
        defer { failing.stop() }
        #expect(try embedder(failing).embed(["x"]).count == 1)
        #expect(failing.requests.count == 3)
    }

    @Test func givesUpAfterMaxAttemptsWithTheStatus() throws {
        let double = try OpenAIDouble(["--fail", "100", "--fail-status", "500"])
        defer { double.stop() }
        #expect {
            _ = try embedder(double).embed(["x"])
        } throws: { error in
            "\(error)".contains("HTTP 500")
        }
        #expect(double.requests.count == 4)
    }

    @Test func unauthorisedAndBadRequestsFailAtOnceWithoutTheKey() throws {
        let double = try OpenAIDouble(["--key", "the-right-key"])
        defer { double.stop() }
        #expect {
            _ = try embedder(double).embed(["x"])
        } throws: { error in
            let text = "\(error)"
            return text.contains("HTTP 401") && text.contains("Incorrect API key") && !text.contains(Self.key)
        }
        #expect(double.requests.count == 1)  // no retry

        let strict = try OpenAIDouble(["--fail", "1", "--fail-status", "400"])
        defer { strict.stop() }
        #expect {
            _ = try embedder(strict).embed(["x"])
        } throws: { error in
            "\(error)".contains("HTTP 400")
        }
        #expect(strict.requests.count == 1)
    }

    @Test func keyComesFromTheEnvironmentOrAFile() throws {
        let file = temporaryFile("key")
        try "  sk-from-file\n".write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try OpenAIEmbedder.Configuration.fromEnvironment(["OPENAI_API_KEY_FILE": file.path])
        #expect(fromFile.apiKey == "sk-from-file")
        let fromEnvironment = try OpenAIEmbedder.Configuration.fromEnvironment([
            "OPENAI_API_KEY": "sk-env", "COACHSPOOL_OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
            "COACHSPOOL_EMBEDDING_MODEL": "nomic-embed-text", "COACHSPOOL_EMBEDDING_DIMENSIONS": "768",
        ])
        #expect(fromEnvironment.apiKey == "sk-env")
        #expect(fromEnvironment.model == "nomic-embed-text")
        #expect(fromEnvironment.dimensions == 768)
        #expect(throws: CoachSpoolError.self) {
            _ = try OpenAIEmbedder.Configuration.fromEnvironment(["COACHSPOOL_OPENAI_BASE_URL": "ftp://x"])
        }
    }

    @Test func hashingEmbedderIsDeterministicAndUnitLength() throws {
        let embedder = try HashingEmbedder(dimensions: 64)
        let a = embedder.embed(["Jag har svårt att hålla mig motiverad", "", "Jag har svårt att hålla mig motiverad"])
        #expect(a[0] == a[2])
        #expect(a[1].vector.contains { $0 != 0 })
        for vector in a { #expect(abs(vector.vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5) }
        #expect(HashingEmbedder.fnv1a(Array("a".utf8)) == 0xaf63_dc4c_8601_ec8c)  // FNV-1a 64 test vector
    }
}
