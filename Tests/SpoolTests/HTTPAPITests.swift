import Foundation
import HTTPAPI
import LibPQ
import Testing

extension DatabaseTests {
    /// `coachspool serve` through OpenAI's official Python client and plain HTTP.
    @Suite struct HTTPAPITests {
        static let token = "test-token-" + (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }.joined()

        /// Starts the server on a free port and returns it with the port it logged.
        static func start(_ db: TestDatabase) async throws -> (CoachSpoolProcess, Int) {
            let server = try CoachSpoolProcess(["serve", "--port", "0"], database: db, environment: ["COACHSPOOL_API_TOKENS": token])
            return (server, try await port(of: server))
        }

        /// The port a starting server logs.
        static func port(of server: CoachSpoolProcess) async throws -> Int {
            var port: Int?
            _ = await eventually(timeout: 60) {
                port = server.stderr.split(separator: "\n").lazy.compactMap { line -> Int? in
                    guard let range = line.range(of: "serving on http://127.0.0.1:") else { return nil }
                    return Int(line[range.upperBound...].prefix { $0.isNumber })
                }.first
                return port != nil || !server.process.isRunning
            }
            return try #require(port, "the server did not say where it listens: \(server.stderr)")
        }

        @Test func everyEndpointOverHTTPAndTheOpenAIClient() async throws {
            try await TestDatabase.with { db in
                try await HybridSearchTests.prepare(db)
                let (server, port) = try await Self.start(db)
                defer { server.signal(SIGKILL) }
                let python = try #require(ProcessInfo.processInfo.environment["COACHSPOOL_CLIENTS_PYTHON"], "run through scripts/test.sh")
                let script = #"""
                    import base64, json, struct, sys, urllib.request, urllib.error
                    from openai import OpenAI
                    base, token = sys.argv[1], sys.argv[2]
                    def call(path, body=None, auth=True, raw=None):
                        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
                        request = urllib.request.Request(base + path, data=data, method="POST" if data is not None else "GET")
                        if auth: request.add_header("Authorization", "Bearer " + token)
                        try:
                            with urllib.request.urlopen(request, timeout=60) as r: return r.status, r.read().decode()
                        except urllib.error.HTTPError as e: return e.code, e.read().decode()
                    out = {}
                    client = OpenAI(base_url=base + "/v1", api_key=token)
                    texts = ["Hej, hur mår du?", "How can I stop procrastinating on my thesis?", ""]
                    r = client.embeddings.create(model="all-MiniLM-L6-v2", input=texts)
                    out["openai_default"] = [d.embedding for d in r.data]
                    out["openai_usage"] = r.usage.prompt_tokens
                    r = client.embeddings.create(model="sentence-transformers/all-MiniLM-L6-v2", input=texts[0], encoding_format="float")
                    out["openai_float"] = r.data[0].embedding
                    status, text = call("/v1/embeddings", {"input": texts[1], "model": "all-MiniLM-L6-v2", "encoding_format": "base64"})
                    raw = base64.b64decode(json.loads(text)["data"][0]["embedding"])
                    out["base64"] = list(struct.unpack("<%df" % (len(raw) // 4), raw))
                    try:
                        client.embeddings.create(model="text-embedding-3-small", input="x")
                        out["wrong_model"] = "accepted"
                    except Exception as e:
                        out["wrong_model"] = type(e).__name__
                    out["no_token"] = call("/v1/search", {"query": "x"}, auth=False)
                    out["bad_json"] = call("/v1/search", raw=b"{not json")
                    out["bad_field"] = call("/v1/search", {"query": "x", "k": "three"})
                    out["bad_input"] = call("/v1/embeddings", {"input": [{"text": "x"}], "model": "all-MiniLM-L6-v2"})
                    # Token ids (cl100k_base), as LangChain's OpenAIEmbeddings sends them by default.
                    status, text = call("/v1/embeddings", {"input": [json.loads(sys.argv[3])], "model": "all-MiniLM-L6-v2"})
                    out["tokens"] = json.loads(text)["data"][0]["embedding"] if status == 200 else status
                    out["search"] = call("/v1/search", {"query": "How can I stop procrastinating on my thesis?", "k": 2, "mode": "hybrid"})
                    out["search_text"] = call("/v1/search", {"query": "stressen", "mode": "text", "language": "sv"})
                    out["search_all"] = call("/v1/search", {"query": "stressen", "source": "all"})
                    out["search_bad_source"] = call("/v1/search", {"query": "stressen", "source": "web"})
                    out["rag"] = call("/v1/rag", {"question": "What is spaced repetition?", "k": 2})
                    exchange = {"user_input": "Hur planerar jag veckan?", "ai_response": "Börja med det som redan är bestämt.", "session_id": "http-1", "occurred_at": "2025-10-01T08:00:00Z", "user_id": "u-http", "rating": 4}
                    out["log"] = call("/v1/interactions", exchange)
                    out["log_again"] = call("/v1/interactions", exchange)
                    out["log_bad"] = call("/v1/interactions", {"user_input": "Hej", "ai_response": ""})
                    out["log_bad_mode"] = call("/v1/interactions", {"user_input": "Hej", "ai_response": "Hej!", "mode": "work"})
                    interaction = json.loads(out["log"][1])["id"]
                    out["feedback"] = call("/v1/feedback", {"interaction_id": interaction, "helpful": True})
                    out["feedback_unknown"] = call("/v1/feedback", {"interaction_id": 987654321, "rating": 2})
                    out["recall"] = call("/v1/recall", {"user_id": "u-http", "query": "planera veckan"})
                    out["recall_bad"] = call("/v1/recall", {"query": "planera veckan"})
                    grant = {"user_id": "u-http", "purpose": "training", "granted": True}
                    out["consent"] = call("/v1/consent", grant)
                    out["consent_again"] = call("/v1/consent", grant)
                    out["consent_revoke"] = call("/v1/consent", {"user_id": "u-http", "purpose": "training", "granted": False})
                    out["consent_retrieval"] = call("/v1/consent", {"user_id": "u-http", "purpose": "retrieval", "granted": True, "note": "ignored"})
                    out["ready"] = call("/ready", auth=False)
                    out["metrics"] = call("/metrics", auth=False)
                    print(json.dumps(out))
                    """#
                let question = temporaryFile("http-tokens.jsonl")
                try #"{"text": "How can I stop procrastinating on my thesis?"}"#.appending("\n").write(to: question, atomically: true, encoding: .utf8)
                let tokens = try await CoachSpoolProcess.run(["tokens", "--jsonl"], database: nil, stdin: question)
                let ids = try #require(try JSONSerialization.jsonObject(with: Data(tokens.out.utf8)) as? [String: Any])["tokens"] as! [Int]
                let idsJSON = String(decoding: try JSONSerialization.data(withJSONObject: ids), as: UTF8.self)
                let result = try await runPython(python, script, arguments: ["http://127.0.0.1:\(port)", Self.token, idsJSON])
                #expect(result.status == 0, "\(result.err)")
                let out = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])

                // The same vectors as `coachspool embed`, in every encoding.
                let input = temporaryFile("http-embed.jsonl")
                try ["Hej, hur mår du?", "How can I stop procrastinating on my thesis?", ""].map { #"{"text": "\#($0)"}"# }
                    .joined(separator: "\n").appending("\n").write(to: input, atomically: true, encoding: .utf8)
                let embed = try await CoachSpoolProcess.run(["embed", "--jsonl"], database: nil, stdin: input)
                let reference = try embed.out.split(separator: "\n").map {
                    try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["embedding"] as! [Double]
                }.map { $0.map(Float.init) }
                // Equal up to float rounding: a text embedded alone and in a batch of three may go
                // through different BLAS kernels (on AMD's Zen kernels the last bits differ).
                func same(_ a: [Float]?, _ b: [Float]) -> Bool {
                    guard let a, a.count == b.count else { return false }
                    return zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 }
                }
                let viaClient = (out["openai_default"] as! [[Double]]).map { $0.map(Float.init) }
                #expect(viaClient.count == reference.count && zip(viaClient, reference).allSatisfy { same($0, $1) },
                        "the openai client's vectors (base64 by default) equal coachspool embed's")
                #expect(same((out["openai_float"] as! [Double]).map(Float.init), reference[0]))
                #expect(same((out["base64"] as! [Double]).map(Float.init), reference[1]))
                #expect(same((out["tokens"] as? [Double])?.map(Float.init), reference[1]), "token ids are decoded back to the same text")
                #expect((out["openai_usage"] as! Int) > 10)
                #expect(out["wrong_model"] as? String == "NotFoundError")

                func status(_ key: String) -> Int { (out[key] as! [Any])[0] as! Int }
                func body(_ key: String) -> [String: Any] {
                    (try? JSONSerialization.jsonObject(with: Data(((out[key] as! [Any])[1] as! String).utf8))) as? [String: Any] ?? [:]
                }
                func errorParam(_ key: String) -> String? { (body(key)["error"] as? [String: Any])?["param"] as? String }
                #expect(status("no_token") == 401)
                #expect(status("bad_json") == 400)
                #expect(status("bad_field") == 400 && errorParam("bad_field") == "k")
                #expect(status("bad_input") == 400 && errorParam("bad_input") == "input")
                #expect(status("search") == 200)
                let hits = body("search")["data"] as! [[String: Any]]
                #expect(hits.count == 2 && hits[0]["source"] as? String == "procrastination.en.md")
                #expect(((body("search_text")["data"] as? [[String: Any]])?.first?["source"] as? String) == "stress-aterhamtning.sv.md")
                #expect(status("search_all") == 200 && body("search_all")["conversations"] is [Any] && body("search_all")["data"] is [Any])
                #expect(status("search_bad_source") == 400 && errorParam("search_bad_source") == "source")
                #expect(status("rag") == 200 && (body("rag")["prompt"] as? String)?.contains("User question: What is spaced repetition?") == true)
                #expect(body("rag")["language"] as? String == "en")
                #expect(((body("rag")["passages"] as? [[String: Any]])?.first?["number"] as? Int) == 1)
                #expect((body("rag")["sources"] as? [Any])?.count == 2)
                #expect(status("log") == 201 && status("log_again") == 201)
                #expect(body("log")["id"] as? Int == body("log_again")["id"] as? Int, "the same exchange is stored once")
                #expect(status("log_bad") == 400 && errorParam("log_bad") == "ai_response")
                #expect(status("log_bad_mode") == 400 && errorParam("log_bad_mode") == "mode")
                #expect(status("feedback") == 201 && status("feedback_unknown") == 404)
                #expect(status("recall") == 200 && (body("recall")["data"] as? [Any])?.isEmpty == true, "no retrieval consent: nothing recalled")
                #expect(status("recall_bad") == 400 && errorParam("recall_bad") == "user_id")
                // Consent: set_consent's semantics (changed only when the state changes), recorded as
                // coming from the API; the answer repeats purpose and state, not the user id.
                for key in ["consent", "consent_again", "consent_revoke", "consent_retrieval"] { #expect(status(key) == 201, "\(key)") }
                #expect(body("consent")["changed"] as? Bool == true && body("consent")["granted"] as? Bool == true)
                #expect(body("consent")["purpose"] as? String == "training" && body("consent")["user_id"] == nil)
                #expect(body("consent_again")["changed"] as? Bool == false, "the same grant again changes nothing")
                #expect(body("consent_revoke")["changed"] as? Bool == true && body("consent_revoke")["granted"] as? Bool == false)
                let consents = try db.connect().query("""
                    SELECT purpose, granted, source FROM coachspool.consents WHERE user_id = 'u-http' ORDER BY purpose
                    """).map { "\(try $0.decode(String.self, at: 0)) \(try $0.decode(Bool.self, at: 1)) \(try $0.decode(String.self, at: 2))" }
                #expect(consents == ["retrieval true http", "training false http"])
                #expect(status("ready") == 200)
                #expect(((out["metrics"] as! [Any])[1] as! String).contains(#"coachspool_api_requests_total{route="/v1/interactions",status="201"} 2"#))
                #expect(((out["metrics"] as! [Any])[1] as! String).contains(#"coachspool_api_requests_total{route="/v1/consent",status="201"} 4"#))
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions WHERE session_id = 'http-1'", as: Int.self) == 1)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.all_feedback", as: Int.self) == 2, "the rating with the exchange, then helpful")

                // Graceful shutdown.
                server.signal(SIGTERM)
                #expect(await server.wait(timeout: 30) == 0)
            }
        }

        /// `serve --help` lists every route of the table the router is built from.
        @Test func serveHelpListsEveryEndpoint() async throws {
            let result = try await CoachSpoolProcess.run(["serve", "--help"], database: nil)
            #expect(result.status == 0, "\(result.err)")
            let lines = result.out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            for route in APIRoute.allCases {
                #expect(lines.contains { $0.hasPrefix("\(route.method.rawValue) \(route.rawValue) ") && $0.hasSuffix(route.summary) }, "\(route): \(result.out)")
            }
        }

        @Test func refusesToStartWithoutATokenAndAnswers401() async throws {
            try await TestDatabase.with { db in
                let result = try await CoachSpoolProcess.run(["serve", "--port", "0"], database: db, environment: ["COACHSPOOL_API_TOKENS": ""])
                #expect(result.status == 1)
                #expect(result.err.contains("no API token"), "\(result.err)")
            }
        }
    }
}

/// Runs a Python script (the clients' environment), with `environment` added to ours, and
/// returns (status, stdout, stderr).
func runPython(
    _ python: String, _ script: String, arguments: [String], environment: [String: String] = [:]
) async throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let (out, err) = (temporaryFile("py-out"), temporaryFile("py-err"))
    FileManager.default.createFile(atPath: out.path, contents: nil)
    FileManager.default.createFile(atPath: err.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    try process.run()
    await waitForExit(process)
    return (process.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "", (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}
