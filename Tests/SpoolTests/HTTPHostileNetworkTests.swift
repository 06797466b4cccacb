import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// `coachspool serve` against clients that misbehave at the socket: bodies too large or
    /// refused before they are read, clients that go quiet or send a byte at a time, and a
    /// SIGTERM while one of them holds a request open. Raw sockets (Python's, from the clients'
    /// environment), because an HTTP library would not misbehave on purpose.
    @Suite struct HTTPHostileNetworkTests {
        static let token = "test-token-" + String(repeating: "x", count: 32)

        /// Starts `serve` on a free port with `arguments` and returns it with the port it logged.
        static func start(_ db: TestDatabase, _ arguments: [String] = []) async throws -> (CoachSpoolProcess, Int) {
            let server = try CoachSpoolProcess(["serve", "--port", "0"] + arguments, database: db, environment: ["COACHSPOOL_API_TOKENS": token])
            var port: Int?
            _ = await eventually(timeout: 60) {
                port = server.stderr.firstMatch(of: /serving on http:\/\/127\.0\.0\.1:(\d+)/).flatMap { Int($0.1) }
                return port != nil || !server.process.isRunning
            }
            return (server, try #require(port, "the server did not say where it listens: \(server.stderr)"))
        }

        static var python: String {
            get throws { try #require(ProcessInfo.processInfo.environment["COACHSPOOL_CLIENTS_PYTHON"], "run through scripts/test.sh") }
        }

        /// A Python client left running (the caller terminates it).
        static func startClient(_ script: String, arguments: [String]) throws -> Process {
            let client = Process()
            client.executableURL = URL(fileURLWithPath: try python)
            client.arguments = ["-c", script] + arguments
            client.standardOutput = FileHandle.nullDevice
            client.standardError = FileHandle.nullDevice
            try client.run()
            return client
        }

        /// The server's open descriptors (sockets, files, the database connections).
        static func descriptors(_ server: CoachSpoolProcess) throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/fd").count
        }

        /// A 413 after the 8 MB cap and a 401 before the body is read are answered while the body
        /// still streams in; clients that read the answer and close must not leave a socket
        /// behind (they did: FIN-WAIT-2 with the descriptor held, 17 → 34 descriptors here).
        @Test func answersBeforeTheBodyCloseTheConnectionAndFreeTheSocket() async throws {
            try await TestDatabase.with { db in
                let (server, port) = try await Self.start(db)
                defer { server.signal(SIGKILL) }
                // One request first, so that the database connection it opens is in the baseline.
                let warmUp = try await runPython(try Self.python, #"""
                    import sys, urllib.request
                    print(urllib.request.urlopen("http://127.0.0.1:%s/ready" % sys.argv[1], timeout=30).status)
                    """#, arguments: ["\(port)"])
                #expect(warmUp.out.hasPrefix("200"), "\(warmUp.err)")
                try await Task.sleep(for: .milliseconds(500))
                let baseline = try Self.descriptors(server)

                let script = #"""
                    import json, select, socket, sys, time
                    port, token = int(sys.argv[1]), sys.argv[2]
                    def attempt(auth, close, send):
                        s = socket.create_connection(("127.0.0.1", port))
                        head = "POST /v1/search HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (9 << 20)
                        if auth: head += "Authorization: Bearer %s\r\n" % token
                        if close: head += "Connection: close\r\n"
                        s.sendall((head + "\r\n").encode())
                        s.setblocking(False)
                        sent, chunk, answer, deadline = 0, b"x" * 65536, b"", time.time() + 30
                        # Send until the answer comes (or `send` bytes are out), read it, close.
                        while time.time() < deadline and b"\r\n\r\n" not in answer:
                            readable, writable, _ = select.select([s], [s] if sent < send else [], [], 0.5)
                            try:
                                if readable:
                                    data = s.recv(65536)
                                    if not data: break
                                    answer += data
                                elif writable:
                                    sent += s.send(chunk[:send - sent])
                            except BlockingIOError: pass
                            except OSError: break
                        s.close()
                        head = answer.split(b"\r\n\r\n")[0].decode(errors="replace").lower()
                        status = int(head.split()[1]) if head.startswith("http/1.1 ") else 0
                        return {"status": status, "close": "\r\nconnection: close" in head}
                    out = []
                    for auth, send in ((True, 9 << 20), (False, 1 << 20)):
                        for i in range(10):
                            # Half say Connection: close (as urllib does), half keep-alive.
                            out.append(attempt(auth, i % 2 == 0, send))
                    print(json.dumps(out))
                    """#
                let result = try await runPython(try Self.python, script, arguments: ["\(port)", Self.token])
                #expect(result.status == 0, "\(result.err)")
                let answers = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]])
                #expect(answers.map { $0["status"] as? Int } == Array(repeating: 413, count: 10) + Array(repeating: 401, count: 10))
                #expect(answers.allSatisfy { $0["close"] as? Bool == true }, "an answer sent before the body was read says Connection: close")

                var now = try Self.descriptors(server)
                let freed = try await eventually(timeout: 10, interval: 0.2) {
                    now = try Self.descriptors(server)
                    return now <= baseline + 2
                }
                #expect(freed, "the server holds \(now) descriptors, \(baseline) before the 20 clients")
                server.signal(SIGTERM)
                #expect(await server.wait(timeout: 30) == 0)
            }
        }

        /// An idle keep-alive connection, headers sent a byte at a time, and a body sent a byte at
        /// a time are each closed (408 where a request was begun) — none was, even after 150 s.
        @Test func idleSlowHeadersAndATricklingBodyAreClosed() async throws {
            try await TestDatabase.with { db in
                // The bytes come every 0.5 s, well inside the idle timeout: only the header and
                // body timeouts can end those two.
                let (server, port) = try await Self.start(db, ["--idle-timeout", "4", "--header-timeout", "1.5", "--body-timeout", "1.5"])
                defer { server.signal(SIGKILL) }
                let script = #"""
                    import json, socket, sys, threading, time
                    port, token = int(sys.argv[1]), sys.argv[2]
                    out = {}
                    def until_closed(s, trickle=None, limit=20):
                        """The answer, and seconds until the server closed (None: still open after `limit`)."""
                        t0, answer = time.time(), b""
                        s.settimeout(0.5)
                        while time.time() - t0 < limit:
                            try:
                                data = s.recv(65536)
                                if not data: return answer, round(time.time() - t0, 2)
                                answer += data
                            except socket.timeout:
                                if trickle:
                                    try:
                                        s.sendall(trickle)
                                    except OSError:
                                        return answer, round(time.time() - t0, 2)
                            except OSError:
                                return answer, round(time.time() - t0, 2)
                        return answer, None
                    def status(answer):
                        return int(answer.split()[1]) if answer.startswith(b"HTTP/1.1 ") else 0
                    def idle():
                        s = socket.create_connection(("127.0.0.1", port))
                        statuses = []
                        for _ in range(2):  # keep-alive still works, the second 1 s after the first
                            s.sendall(b"GET /ready HTTP/1.1\r\nHost: test\r\n\r\n")
                            s.settimeout(10)
                            statuses.append(status(s.recv(65536)))
                            time.sleep(1)
                        answer, seconds = until_closed(s)
                        out["idle"] = {"statuses": statuses, "closed_after": seconds + 1 if seconds is not None else None}
                    def slow_headers():
                        s = socket.create_connection(("127.0.0.1", port))
                        s.sendall(b"GET /ready HTTP/1.1\r\nHost: test\r\nX-Slow: ")
                        answer, seconds = until_closed(s, trickle=b"a")
                        out["headers"] = {"status": status(answer), "closed_after": seconds}
                    def trickling_body():
                        s = socket.create_connection(("127.0.0.1", port))
                        s.sendall(("POST /v1/search HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\n"
                                   "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n" % token).encode())
                        answer, seconds = until_closed(s, trickle=b" ")
                        out["body"] = {"status": status(answer), "closed_after": seconds}
                    threads = [threading.Thread(target=f) for f in (idle, slow_headers, trickling_body)]
                    for t in threads: t.start()
                    for t in threads: t.join()
                    print(json.dumps(out))
                    """#
                let result = try await runPython(try Self.python, script, arguments: ["\(port)", Self.token])
                #expect(result.status == 0, "\(result.err)")
                let out = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: [String: Any]])
                let idle = try #require(out["idle"]), headers = try #require(out["headers"]), body = try #require(out["body"])
                #expect(idle["statuses"] as? [Int] == [200, 200])
                let idleClosed = idle["closed_after"] as? Double
                #expect(idleClosed.map { (3...8).contains($0) } == true, "idle connection closed after \(String(describing: idleClosed)) s; the timeout is 4 s")
                #expect(headers["status"] as? Int == 408)
                let headersClosed = headers["closed_after"] as? Double
                #expect(headersClosed.map { (1...3.5).contains($0) } == true, "slow headers closed after \(String(describing: headersClosed)) s; the timeout is 1.5 s")
                #expect(body["status"] as? Int == 408)
                let bodyClosed = body["closed_after"] as? Double
                #expect(bodyClosed.map { (1...3.5).contains($0) } == true, "trickling body closed after \(String(describing: bodyClosed)) s; the timeout is 1.5 s")
                server.signal(SIGTERM)
                #expect(await server.wait(timeout: 30) == 0)
            }
        }

        /// SIGTERM while a client trickles a body (its 30 s body timeout far off): the request
        /// gets the shutdown deadline, then its connection is closed and the server exits 0.
        /// It used to wait as long as the client kept sending.
        @Test func sigtermWithATricklingClientExitsWithinTheDeadline() async throws {
            try await TestDatabase.with { db in
                let (server, port) = try await Self.start(db, ["--shutdown-timeout", "3"])
                defer { server.signal(SIGKILL) }
                let client = try Self.startClient(#"""
                    import socket, sys, time
                    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                    s.sendall(("POST /v1/search HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\n"
                               "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n" % sys.argv[2]).encode())
                    t0 = time.time()
                    while time.time() - t0 < 60:
                        try:
                            s.sendall(b" ")
                        except OSError:
                            break
                        time.sleep(0.5)
                    """#, arguments: ["\(port)", Self.token])
                defer { if client.isRunning { client.terminate() } }
                try await Task.sleep(for: .seconds(1.5))  // the request is in the handler, its body arriving

                let sent = Date()
                server.signal(SIGTERM)
                let status = await server.wait(timeout: 30)
                let took = Date().timeIntervalSince(sent)
                #expect(status == 0, "\(server.stderr)")
                #expect(took >= 2.5, "the request in flight gets the deadline (3 s); the server exited after \(took) s")
                #expect(took < 5.5, "exited \(took) s after SIGTERM; the deadline is 3 s")
                #expect(server.stderr.contains("shutdown deadline passed"), "\(server.stderr)")
            }
        }

        /// A request stuck in the database (a lock it waits for) is no client's to end: closing its
        /// connection at the deadline does not stop it, so two seconds later the process exits 1
        /// without it (its transaction rolls back with the connection).
        @Test func aRequestStuckInTheDatabaseDoesNotHoldUpTheExit() async throws {
            try await TestDatabase.with { db in
                let (server, port) = try await Self.start(db, ["--shutdown-timeout", "3"])
                defer { server.signal(SIGKILL) }
                let blocker = try db.connect()
                try blocker.execute(unsafeSQL: "BEGIN; LOCK TABLE coachspool.interactions IN ACCESS EXCLUSIVE MODE")
                let client = try Self.startClient(#"""
                    import json, sys, urllib.request
                    body = json.dumps({"user_input": "Hur planerar jag veckan?", "ai_response": "Börja med det som redan är bestämt."}).encode()
                    request = urllib.request.Request("http://127.0.0.1:%s/v1/interactions" % sys.argv[1], data=body, method="POST")
                    request.add_header("Authorization", "Bearer " + sys.argv[2])
                    request.add_header("Content-Type", "application/json")
                    urllib.request.urlopen(request, timeout=60)
                    """#, arguments: ["\(port)", Self.token])
                defer { if client.isRunning { client.terminate() } }
                let watcher = try db.connect()
                #expect(try await eventually(timeout: 30) {
                    try watcher.query("""
                        SELECT count(*) FROM pg_stat_activity
                         WHERE application_name = 'coachspool-api' AND wait_event_type = 'Lock'
                        """).scalar(Int.self) == 1
                }, "the request waits for the lock")

                let sent = Date()
                server.signal(SIGTERM)
                let status = await server.wait(timeout: 30)
                let took = Date().timeIntervalSince(sent)
                try blocker.execute(unsafeSQL: "ROLLBACK")
                #expect(status == 1, "\(server.stderr)")
                #expect(took >= 4.5 && took < 6.5, "exited \(took) s after SIGTERM; the deadline is 3 s, then 2 s more")
                #expect(server.stderr.contains("exiting without them"), "\(server.stderr)")
            }
        }
    }
}
