import Foundation
import Knowledge
import LibPQ
import Testing

extension DatabaseTests {
    /// `coachspool serve` against the probes of a hostile but fair client: each gets its 4xx in
    /// OpenAI's error shape naming the field, with a request id, never a 500, a cut value, an echo
    /// of the input, or an unbounded metric label; the server's memory stays bounded.
    @Suite struct HTTPHostileInputTests {
        static let marker = "MARKER-\(UInt32.random(in: 0...UInt32.max))"

        @Test func probesGetTheirStatusAndShapeAndNothingLeaks() async throws {
            try await TestDatabase.with { db in
                try await HybridSearchTests.prepare(db)
                let server = try CoachSpoolProcess(
                    ["serve", "--port", "0"], database: db,
                    environment: ["COACHSPOOL_API_TOKENS": HTTPAPITests.token, "COACHSPOOL_LOG_LEVEL": "info"])
                defer { server.signal(SIGKILL) }
                let port = try await HTTPAPITests.port(of: server)
                let python = try #require(ProcessInfo.processInfo.environment["COACHSPOOL_CLIENTS_PYTHON"], "run through scripts/test.sh")
                let script = #"""
                    import json, sys, threading, time, urllib.request, urllib.error
                    base, token, marker, pid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
                    def call(path, body=None, raw=None, method=None, auth="Bearer "):
                        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
                        r = urllib.request.Request(base + path, data=data, method=method or ("POST" if data is not None else "GET"))
                        if auth: r.add_header("Authorization", auth + token)
                        try:
                            with urllib.request.urlopen(r, timeout=300) as x: return [x.status, x.read().decode(), dict(x.headers)]
                        except urllib.error.HTTPError as e: return [e.code, e.read().decode(), dict(e.headers)]
                    def rss():
                        fields = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status").read().splitlines())
                        return {k: int(fields[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM")}
                    out = {}
                    exchange = {"user_input": "hello\u0000 " + marker, "ai_response": "ok", "user_id": "nul\u0000tail"}
                    out["nul"] = call("/v1/interactions", exchange)
                    out["nul_user"] = call("/v1/interactions", {"user_input": "q " + marker, "ai_response": "a", "user_id": "nul\u0000tail"})
                    for field in ["id", "session_id", "user_id"]:
                        out["long_" + field] = call("/v1/interactions", {"user_input": "q", "ai_response": "a", field: "x" * 20000})
                    out["bad_language"] = call("/v1/interactions", {"user_input": "q", "ai_response": "a", "language": "sv; drop"})
                    out["long_text"] = call("/v1/interactions", {"user_input": "å" * 200000, "ai_response": "a"})
                    out["query_30k"] = call("/v1/search", {"query": "ord " * 30000})
                    out["query_200k"] = call("/v1/search", {"query": (marker + " ") * 200000})
                    out["query_at_limit"] = call("/v1/search", {"query": "ord " * 1024, "mode": "text"})
                    out["recall_long_user"] = call("/v1/recall", {"user_id": "u" * 300, "query": "x"})
                    out["unknown"] = call("/v1/nope", {})
                    out["put"] = call("/v1/embeddings", {}, method="PUT")
                    out["get_search"] = call("/v1/search")
                    out["slashes"] = call("/v1/embeddings//", {"input": "x", "model": "all-MiniLM-L6-v2"})
                    out["lower_bearer"] = call("/v1/embeddings", {"input": "x", "model": "all-MiniLM-L6-v2"}, auth="bearer ")
                    out["dup"] = call("/v1/embeddings", raw=b'{"input": "x", "input": "y", "model": "all-MiniLM-L6-v2"}')
                    out["rag_bogus"] = call("/v1/rag", {"question": "x", "source": "bogus"})
                    out["rag_conversations"] = call("/v1/rag", {"question": "How do I plan my week?", "source": "conversations"})
                    out["rag_all"] = call("/v1/rag", {"question": "How do I plan my week?", "source": "all", "k": 2})
                    out["model_echo"] = call("/v1/embeddings", {"input": "x", "model": "m" * 200})
                    out["too_many_tokens"] = call("/v1/embeddings", {"input": ["word " * 300] * 200, "model": "all-MiniLM-L6-v2"})
                    out["too_many_texts"] = call("/v1/embeddings", {"input": ["x"] * 2049, "model": "all-MiniLM-L6-v2"})
                    out["no_token"] = call("/v1/search", {"query": "x"}, auth=None)
                    out["no_token_unknown"] = call("/x/" + marker, {"query": "x"}, auth=None)
                    grant = {"user_id": "u-" + marker, "purpose": "training", "granted": True}
                    out["consent_bad_purpose"] = call("/v1/consent", {**grant, "purpose": "marketing " + marker})
                    out["consent_granted_string"] = call("/v1/consent", {**grant, "granted": "true"})
                    out["consent_granted_number"] = call("/v1/consent", {**grant, "granted": 1})
                    out["consent_no_granted"] = call("/v1/consent", {"user_id": "u-" + marker, "purpose": "training"})
                    out["consent_no_user"] = call("/v1/consent", {"purpose": "training", "granted": True})
                    out["consent_blank_user"] = call("/v1/consent", {**grant, "user_id": "  "})
                    out["consent_long_user"] = call("/v1/consent", {**grant, "user_id": marker + "x" * 300})
                    out["consent_nul_user"] = call("/v1/consent", {**grant, "user_id": marker + "\u0000"})
                    out["consent_dup"] = call("/v1/consent", raw=('{"user_id": "%s", "purpose": "training", "purpose": "retrieval", "granted": true}' % marker).encode())
                    out["consent_no_token"] = call("/v1/consent", grant, auth=None)
                    out["consent_get"] = call("/v1/consent")
                    # Fairness: a one-text request sent while long ones run is answered before they all end.
                    done = []
                    longs = {"input": ["word " * 300] * 40, "model": "all-MiniLM-L6-v2"}
                    threads = [threading.Thread(target=lambda: done.append(("long", call("/v1/embeddings", longs)[0], time.time()))) for _ in range(9)]
                    for t in threads: t.start()
                    time.sleep(1.0)
                    small = call("/v1/embeddings", {"input": "hej", "model": "all-MiniLM-L6-v2"})
                    done.append(("small", small[0], time.time()))
                    for t in threads: t.join()
                    out["fairness"] = [d[0] for d in sorted(done, key=lambda d: d[2])]
                    out["fairness_status"] = sorted({d[1] for d in done})
                    # Memory: eight 8 MB bodies at once, then the largest embedding requests.
                    big = json.dumps({"input": ["x" * (8 << 20)], "model": "all-MiniLM-L6-v2"}).encode()[: (8 << 20) - 64]
                    threads = [threading.Thread(target=call, args=("/v1/embeddings", None, big)) for _ in range(8)]
                    for t in threads: t.start()
                    for t in threads: t.join()
                    largest = {"input": ["word " * 300] * 128, "model": "all-MiniLM-L6-v2"}
                    threads = [threading.Thread(target=call, args=("/v1/embeddings", largest)) for _ in range(4)]
                    for t in threads: t.start()
                    for t in threads: t.join()
                    out["memory"] = rss()
                    out["metrics"] = call("/metrics", auth=None)
                    print(json.dumps(out))
                    """#
                let result = try await runPython(python, script, arguments: ["http://127.0.0.1:\(port)", HTTPAPITests.token, Self.marker, "\(server.pid)"])
                #expect(result.status == 0, "\(result.err)")
                let out = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any], "\(result.out)")

                func status(_ key: String) -> Int { (out[key] as! [Any])[0] as! Int }
                func text(_ key: String) -> String { (out[key] as! [Any])[1] as! String }
                func headers(_ key: String) -> [String: String] { (out[key] as! [Any])[2] as! [String: String] }
                func error(_ key: String) -> [String: Any] {
                    ((try? JSONSerialization.jsonObject(with: Data(text(key).utf8))) as? [String: Any])?["error"] as? [String: Any] ?? [:]
                }
                func refused(_ key: String, _ code: Int, param: String?, _ message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
                    #expect(status(key) == code, "\(key): \(text(key).prefix(300))", sourceLocation: sourceLocation)
                    #expect(error(key)["param"] as? String == param, "\(key): \(text(key).prefix(300))", sourceLocation: sourceLocation)
                    if let message { #expect((error(key)["message"] as? String)?.contains(message) == true, "\(key): \(text(key).prefix(300))", sourceLocation: sourceLocation) }
                    #expect(error(key)["request_id"] is String && headers(key)["X-Request-Id"] != nil, "\(key)", sourceLocation: sourceLocation)
                    #expect(!text(key).contains(Self.marker) && text(key).utf8.count < 1_000, "\(key): no echo", sourceLocation: sourceLocation)
                }
                refused("nul", 400, param: "user_input", "contains a NUL character")
                refused("nul_user", 400, param: "user_id", "contains a NUL character")
                for field in ["id", "session_id", "user_id"] { refused("long_\(field)", 400, param: field, "longer than 256 bytes") }
                refused("bad_language", 400, param: "language")
                refused("long_text", 400, param: "user_input", "longer than 256 KiB")
                refused("query_30k", 400, param: "query", "longer than 4 KiB")
                refused("query_200k", 400, param: "query", "longer than 4 KiB")
                #expect(status("query_at_limit") == 200, "a query at the limit is answered: \(text("query_at_limit").prefix(300))")
                refused("recall_long_user", 400, param: "user_id")
                refused("unknown", 404, param: nil)
                refused("put", 405, param: nil)
                #expect(headers("put")["Allow"] == "POST")
                refused("get_search", 405, param: nil)
                #expect(status("lower_bearer") == 200, "the scheme is case-insensitive")
                refused("dup", 400, param: "input", "appears twice")
                refused("rag_bogus", 400, param: "source")
                #expect(status("rag_conversations") == 200 && text("rag_conversations").contains(#""conversations":"#))
                #expect(status("rag_all") == 200 && text("rag_all").contains(#""conversations":"#) && text("rag_all").contains(#""sources":[{"#))
                #expect(status("model_echo") == 404 && (error("model_echo")["message"] as? String ?? "").count < 150, "\(text("model_echo"))")
                refused("too_many_tokens", 400, param: "input", "tokens in one request")
                refused("too_many_texts", 400, param: "input", "at most 2048 texts")
                refused("no_token", 401, param: nil)
                refused("no_token_unknown", 401, param: nil)
                refused("consent_bad_purpose", 400, param: "purpose", #"expected "training", "retrieval""#)
                refused("consent_granted_string", 400, param: "granted", "expected true or false")
                refused("consent_granted_number", 400, param: "granted", "expected true or false")
                refused("consent_no_granted", 400, param: "granted")
                refused("consent_no_user", 400, param: "user_id", "expected a non-empty string")
                refused("consent_blank_user", 400, param: "user_id")
                refused("consent_long_user", 400, param: "user_id", "longer than 256 bytes")
                refused("consent_nul_user", 400, param: "user_id", "contains a NUL character")
                refused("consent_dup", 400, param: "purpose", "appears twice")
                refused("consent_no_token", 401, param: nil)
                refused("consent_get", 405, param: nil)
                #expect(headers("consent_get")["Allow"] == "POST")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.consents", as: Int.self) == 0, "no refused consent was recorded")
                #expect(out["fairness_status"] as? [Int] == [200])
                #expect((out["fairness"] as? [String])?.first == "small", "the one-text request ends before the long ones: \(out["fairness"] ?? "")")
                #expect(status("slashes") == 200 || status("slashes") == 404, "\(text("slashes").prefix(200))")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions WHERE user_input LIKE 'hello%' OR user_id LIKE 'nul%'", as: Int.self) == 0)

                // Memory: the high-water mark of everything above (8 × 8 MB bodies at once, 4 × 32k
                // tokens at once) is bounded; docs/operations.md states the figure.
                let memory = try #require(out["memory"] as? [String: Int])
                #expect(memory["VmHWM"]! < 512, "peak RSS \(memory) MB")

                // Metrics: route templates only (path variants and unknown paths share `unmatched`), 401s counted.
                let metrics = text("metrics")
                let routes = Set(metrics.matches(of: /route="([^"]*)"/).map { String($0.1) })
                #expect(routes.isSubset(of: ["/v1/embeddings", "/v1/search", "/v1/rag", "/v1/recall", "/v1/interactions", "/v1/feedback", "/v1/consent", "/ready", "/metrics", "unmatched"]), "\(routes)")
                #expect(metrics.contains(#"coachspool_api_requests_total{route="/v1/search",status="401"} 1"#), "\(metrics.prefix(2000))")
                #expect(metrics.contains(#"coachspool_api_requests_total{route="/v1/consent",status="401"} 1"#), "\(metrics.prefix(2000))")

                // The log: one line per request with its id, no text, no token, no identifier.
                server.signal(SIGTERM)
                _ = await server.wait(timeout: 30)
                let log = server.stderr
                #expect(!log.contains(Self.marker) && !log.contains(HTTPAPITests.token) && !log.contains("nul\u{0}tail"))
                let requestLines = log.split(separator: "\n").filter { $0.contains(" request") && $0.contains("request.id=") }
                #expect(requestLines.count >= 30, "\(requestLines.count) access-log lines")
                #expect(requestLines.contains { $0.contains("http.route=/v1/search") && $0.contains("http.status=401") })
            }
        }

        /// A full embedding queue refuses at once (503, Retry-After) instead of queueing for minutes.
        @Test func aFullEmbeddingQueueAnswers503WithRetryAfter() async throws {
            try await TestDatabase.with { db in
                let server = try CoachSpoolProcess(
                    ["serve", "--port", "0", "--max-queued-tokens", "6000"], database: db, environment: ["COACHSPOOL_API_TOKENS": HTTPAPITests.token])
                defer { server.signal(SIGKILL) }
                let port = try await HTTPAPITests.port(of: server)
                let python = try #require(ProcessInfo.processInfo.environment["COACHSPOOL_CLIENTS_PYTHON"], "run through scripts/test.sh")
                let script = #"""
                    import json, sys, threading, urllib.request, urllib.error
                    base, token = sys.argv[1], sys.argv[2]
                    body = json.dumps({"input": ["word " * 300] * 20, "model": "all-MiniLM-L6-v2"}).encode()
                    results = []
                    def call():
                        r = urllib.request.Request(base + "/v1/embeddings", data=body, method="POST")
                        r.add_header("Authorization", "Bearer " + token)
                        try:
                            with urllib.request.urlopen(r, timeout=300) as x: results.append([x.status, None, None])
                        except urllib.error.HTTPError as e:
                            results.append([e.code, e.headers.get("Retry-After"), json.loads(e.read())["error"]["code"]])
                    threads = [threading.Thread(target=call) for _ in range(6)]
                    for t in threads: t.start()
                    for t in threads: t.join()
                    print(json.dumps(sorted(results, key=lambda r: r[0])))
                    """#
                let result = try await runPython(python, script, arguments: ["http://127.0.0.1:\(port)", HTTPAPITests.token])
                let answers = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[Any]], "\(result.out) \(result.err)")
                let statuses = answers.map { $0[0] as! Int }
                #expect(statuses.first == 200, "the first request is always taken: \(statuses)")
                #expect(statuses.contains(503), "\(statuses)")
                #expect(Set(statuses).isSubset(of: [200, 503]), "\(statuses)")
                for answer in answers where answer[0] as? Int == 503 {
                    #expect(answer[1] as? String == "1" && answer[2] as? String == "overloaded")
                }
            }
        }

        @Test func aTokenShorterThan32CharactersIsRefusedAtStart() async throws {
            try await TestDatabase.with { db in
                let result = try await CoachSpoolProcess.run(["serve", "--port", "0"], database: db, environment: ["COACHSPOOL_API_TOKENS": "short-token"])
                #expect(result.status == 1)
                #expect(result.err.contains("shorter than 32 characters") && result.err.contains("openssl rand -hex 32"), "\(result.err)")
                #expect(!result.err.contains("short-token"))
            }
        }

        /// The producer role is what the docs give the coach app: logging, recall and consent work with it.
        @Test func serveRunsAsAProducerLogin() async throws {
            try await TestDatabase.with { db in
                try await HybridSearchTests.prepare(db)
                try await PrivilegesTests.withLoginURL(in: .producer, db: db) { url, _ in
                    let server = try CoachSpoolProcess(
                        ["serve", "--port", "0"], database: db, environment: ["COACHSPOOL_API_TOKENS": HTTPAPITests.token, "DATABASE_URL": url])
                    defer { server.signal(SIGKILL) }
                    let port = try await HTTPAPITests.port(of: server)
                    let python = try #require(ProcessInfo.processInfo.environment["COACHSPOOL_CLIENTS_PYTHON"], "run through scripts/test.sh")
                    let script = #"""
                        import json, sys, urllib.request, urllib.error
                        base, token = sys.argv[1], sys.argv[2]
                        def call(path, body):
                            r = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
                            r.add_header("Authorization", "Bearer " + token)
                            try:
                                with urllib.request.urlopen(r, timeout=60) as x: return x.status
                            except urllib.error.HTTPError as e: return e.code
                        print(json.dumps({
                            "log": call("/v1/interactions", {"user_input": "Hur planerar jag?", "ai_response": "Börja smått.", "user_id": "p1"}),
                            "recall": call("/v1/recall", {"user_id": "p1", "query": "planera"}),
                            "consent": call("/v1/consent", {"user_id": "p1", "purpose": "retrieval", "granted": True}),
                        }))
                        """#
                    let result = try await runPython(python, script, arguments: ["http://127.0.0.1:\(port)", HTTPAPITests.token])
                    #expect(result.out.trimmingCharacters(in: .whitespacesAndNewlines) == #"{"log": 201, "recall": 200, "consent": 201}"#, "\(result.out) \(server.stderr)")
                }
            }
        }
    }
}
