import Embeddings
import Foundation
import Testing

/// MiniLM through `coachspool embed` under every OpenBLAS kernel family this CPU can execute
/// (forced with OPENBLAS_CORETYPE, one process each, since OpenBLAS chooses once per process):
/// the vectors equal sentence-transformers' in batches and one by one, whatever kernels run.
@Suite struct KernelFamilyTests {
    struct Reference: Decodable {
        struct Item: Decodable { var text: String; var embedding: [Float] }
        var items: [Item]
    }

    static let cores = OpenBLASCore.executable(on: CPU.current.features).map(\.name)

    @Test(arguments: cores)
    func embeddingsEqualTheReferenceUnder(core: String) async throws {
        let data = try Data(contentsOf: Repository.path("Tests/Fixtures/reference/minilm_dev.json"))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        let input = temporaryFile("minilm.jsonl")
        let lines = try reference.items.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0.text]), as: UTF8.self) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)

        for batchSize in [32, 1] {
            let result = try await CoachSpoolProcess.run(
                ["embed", "--jsonl", "--batch-size", "\(batchSize)", "--threads", "2"], database: nil, stdin: input,
                environment: ["OPENBLAS_CORETYPE": core, "COACHSPOOL_LOG_LEVEL": "debug"])
            #expect(result.status == 0, "\(result.err)")
            // The kernels that ran are the ones asked for (OpenBLAS would otherwise fall back silently).
            let logged = result.err.firstMatch(of: /blas\.core=(\w+)/).map { String($0.1).uppercased() }
            #expect(logged == core, "\(result.err)")
            let vectors = try result.out.split(separator: "\n").map {
                ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["embedding"] as! [NSNumber]).map(\.floatValue)
            }
            try #require(vectors.count == reference.items.count)
            for (index, (vector, item)) in zip(vectors, reference.items).enumerated() {
                var dot = 0.0, maxDifference: Float = 0
                for (a, b) in zip(vector, item.embedding) {
                    dot += Double(a) * Double(b)
                    maxDifference = max(maxDifference, abs(a - b))
                }
                #expect(dot >= 0.99999, "\(core), batch \(batchSize), item \(index): cosine \(dot)")
                #expect(maxDifference < 1e-5, "\(core), batch \(batchSize), item \(index): max |difference| \(maxDifference)")
            }
        }
    }

    /// `coachspool hardware` reports what the library itself says, and no warning when we choose.
    @Test func hardwareReportsTheChosenKernels() async throws {
        let result = try await CoachSpoolProcess.run(["hardware", "--json"], database: nil, environment: ["OPENBLAS_CORETYPE": ""])
        #expect(result.status == 0, "\(result.err)")
        let object = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as! [String: Any]
        let best = OpenBLASCore.best(for: CPU.current.features)
        #expect((object["blas_core"] as? String)?.uppercased() == best?.name)
        #expect(object["blas_choice"] as? String == "cpu-features")
        #expect(object["cpu_model"] as? String == CPU.current.model)
        #expect(object["warning"] is NSNull)
    }
}
