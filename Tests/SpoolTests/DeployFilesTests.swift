import Foundation
import LibPQ
import Testing
import Yams

/// `deploy/`: every command line in the compose file, the Kubernetes manifests, the Dockerfile and
/// the systemd units is run for real (against a test database, with `--drain` so that workers
/// exit), every environment variable they set is one the code reads, the readiness probe points
/// at the metrics port, and KEDA's query runs on the real schema.
extension DatabaseTests {
    @Suite struct DeployFilesTests {
        static let deploy = Repository.path("deploy")

        /// A `coachspool` invocation found in a deploy file: where, its arguments, its environment.
        struct Invocation: CustomStringConvertible {
            var file: String
            var arguments: [String]
            var environment: [String: String]
            var description: String { "\(file): coachspool \(arguments.joined(separator: " "))" }
        }

        static func text(_ path: String) throws -> String {
            try String(contentsOf: deploy.appendingPathComponent(path), encoding: .utf8)
        }

        static func yamlDocuments(_ path: String) throws -> [[String: Any]] {
            try Yams.load_all(yaml: text(path)).compactMap { $0 as? [String: Any] }
        }

        static func kubernetesContainers() throws -> [(file: String, kind: String, container: [String: Any], pod: [String: Any])] {
            var found: [(String, String, [String: Any], [String: Any])] = []
            for file in ["kubernetes/worker-deployment.yaml", "kubernetes/migrate-job.yaml"] {
                for document in try yamlDocuments(file) {
                    let template = (document["spec"] as? [String: Any])?["template"] as? [String: Any]
                    let pod = template?["spec"] as? [String: Any] ?? [:]
                    for container in pod["containers"] as? [[String: Any]] ?? [] {
                        found.append((file, document["kind"] as? String ?? "", container, template ?? [:]))
                    }
                }
            }
            return found
        }

        static func invocations() throws -> [Invocation] {
            var result: [Invocation] = []
            for (file, _, container, _) in try kubernetesContainers() {
                let command = container["command"] as? [String] ?? []
                #expect(command == ["coachspool"], "\(file): the container runs coachspool")
                let environment = Dictionary(uniqueKeysWithValues: (container["env"] as? [[String: Any]] ?? []).map {
                    ($0["name"] as? String ?? "", $0["value"] as? String ?? "")
                })
                result.append(Invocation(file: file, arguments: container["args"] as? [String] ?? [], environment: environment))
            }
            let compose = try #require(try yamlDocuments("compose/compose.yaml").first)
            for (name, service) in compose["services"] as? [String: [String: Any]] ?? [:] where service["image"] as? String == "coachspool:latest" {
                result.append(Invocation(
                    file: "compose/compose.yaml (\(name))", arguments: service["command"] as? [String] ?? [],
                    environment: service["environment"] as? [String: String] ?? [:]))
            }
            // The image's default command (ENTRYPOINT is the binary).
            let cmd = try #require(try text("docker/Dockerfile").split(separator: "\n").last { $0.hasPrefix("CMD ") })
            let arguments = try JSONDecoder().decode([String].self, from: Data(cmd.dropFirst(4).utf8))
            result.append(Invocation(file: "docker/Dockerfile", arguments: arguments, environment: [:]))
            // systemd: ExecStart with the environment file's values and an instance name.
            let environment = try envFile("systemd/worker.env.example")
            for unit in ["systemd/coachspool-worker@.service", "systemd/coachspool-migrate.service"] {
                for line in try text(unit).split(separator: "\n") where line.hasPrefix("ExecStart=") {
                    var words = line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
                    #expect(words.first == "/usr/local/bin/coachspool", "\(unit)")
                    words.removeFirst()
                    let expanded = try words.map { word -> String in
                        if word == "%i" { return "9464" }
                        guard word.hasPrefix("${"), word.hasSuffix("}") else { return word }
                        let name = String(word.dropFirst(2).dropLast())
                        return try #require(environment[name], "\(unit): \(name) is not set in worker.env.example")
                    }
                    result.append(Invocation(file: unit, arguments: expanded, environment: environment))
                }
            }
            return result
        }

        static func envFile(_ path: String) throws -> [String: String] {
            var values: [String: String] = [:]
            for line in try text(path).split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { values[parts[0]] = parts[1] }
            }
            return values
        }

        @Test func everyCommandLineRunsWithTheRealBinary() async throws {
            let found = try Self.invocations()
            #expect(found.count == 7, "\(found)")
            try await TestDatabase.with { db in
                for invocation in found {
                    var arguments = invocation.arguments
                    let subcommand = try #require(arguments.first, "\(invocation)")
                    #expect(["work", "migrate"].contains(subcommand), "\(invocation)")
                    if subcommand == "work" {
                        // Exit once the (empty) queue is drained, on a free port.
                        if let port = arguments.firstIndex(of: "--metrics-port") { arguments[port + 1] = "0" }
                        arguments += ["--drain", "--no-embeddings"]
                    }
                    let result = try await CoachSpoolProcess.run(arguments, database: db, timeout: 60)
                    #expect(result.status == 0, "\(invocation): \(result.err)")
                }
            }
        }

        @Test func everyEnvironmentVariableIsOneTheCodeReads() throws {
            var names = Set(try Self.invocations().flatMap { $0.environment.keys })
            names.formUnion(try Self.envFile("systemd/worker.env.example").keys)
            let sources = try FileManager.default.subpathsOfDirectory(atPath: Repository.path("Sources").path)
                .filter { $0.hasSuffix(".swift") }
                .map { try String(contentsOf: Repository.path("Sources/\($0)"), encoding: .utf8) }
                .joined()
            // Read by the CLI itself, or only substituted into ExecStart by systemd.
            let execStartOnly: Set = ["COACHSPOOL_CONCURRENCY", "COACHSPOOL_BATCH_SIZE", "COACHSPOOL_LEASE"]
            for name in names.subtracting(execStartOnly) {
                #expect(sources.contains("\"\(name)\""), "\(name) is set in deploy/ but nothing in Sources/ reads it")
            }
            #expect(names.contains("DATABASE_URL_FILE"))
            #expect(!names.contains("DATABASE_URL"), "the URL (with its password) comes from a file, not the environment")
        }

        @Test func readinessProbeAndScrapeAnnotationsPointAtTheMetricsPort() throws {
            let worker = try #require(try Self.kubernetesContainers().first { $0.kind == "Deployment" })
            let args = worker.container["args"] as? [String] ?? []
            let portIndex = try #require(args.firstIndex(of: "--metrics-port"))
            let port = try #require(Int(args[portIndex + 1]))
            let ports = worker.container["ports"] as? [[String: Any]] ?? []
            let named = try #require(ports.first { $0["name"] as? String == "metrics" })
            #expect(named["containerPort"] as? Int == port)
            let probe = (worker.container["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
            #expect(probe?["path"] as? String == "/ready")
            #expect(probe?["port"] as? String == "metrics")
            let annotations = (worker.pod["metadata"] as? [String: Any])?["annotations"] as? [String: String]
            #expect(annotations?["prometheus.io/port"] == String(port))
            #expect(annotations?["prometheus.io/path"] == "/metrics")
        }

        @Test func kedaQueryCountsReadyAndRunningJobs() async throws {
            let documents = try Self.yamlDocuments("kubernetes/keda-scaledobject.yaml")
            let scaled = try #require(documents.first { $0["kind"] as? String == "ScaledObject" })
            let spec = try #require(scaled["spec"] as? [String: Any])
            #expect((spec["scaleTargetRef"] as? [String: Any])?["name"] as? String == "coachspool-worker")
            let trigger = try #require((spec["triggers"] as? [[String: Any]])?.first)
            #expect(trigger["type"] as? String == "postgresql")
            let query = try #require((trigger["metadata"] as? [String: Any])?["query"] as? String)
            try await TestDatabase.with { db in
                #expect(try db.connect().query(PGQuery(unsafeSQL: query)).scalar(Int.self) == 0)
                try db.execute("""
                    INSERT INTO coachspool.jobs (kind, source_id, state, run_at) VALUES
                      ('interaction', 1, 'ready', now()), ('interaction', 2, 'ready', now() + interval '1 hour'),
                      ('interaction', 3, 'dead', now())
                    """)
                try db.execute("""
                    INSERT INTO coachspool.jobs (kind, source_id, state, lease_owner, lease_expires_at)
                    VALUES ('interaction', 4, 'running', 'w', now() + interval '1 minute')
                    """)
                #expect(try db.connect().query(PGQuery(unsafeSQL: query)).scalar(Int.self) == 2, "ready now + running; not retrying later, not dead")
            }
        }

        /// `systemd-analyze verify` on the units, where systemd is installed: the binary path is
        /// pointed at the real binary and the environment file at a temporary copy.
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "needs systemd-analyze"))
        func systemdUnitsVerify() async throws {
            let directory = temporaryFile("units")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let environment = directory.appendingPathComponent("worker.env")
            try Self.text("systemd/worker.env.example").write(to: environment, atomically: true, encoding: .utf8)
            let binary = try CoachSpoolProcess.binary.path
            for (unit, name) in [("coachspool-worker@.service", "coachspool-worker@9464.service"), ("coachspool-migrate.service", "coachspool-migrate.service")] {
                let text = try Self.text("systemd/\(unit)")
                    .replacingOccurrences(of: "/usr/local/bin/coachspool", with: binary)
                    .replacingOccurrences(of: "/etc/coachspool/worker.env", with: environment.path)
                try text.write(to: directory.appendingPathComponent(unit), atomically: true, encoding: .utf8)
                let status = try await runShell("cd '\(directory.path)' && systemd-analyze verify --man=no './\(name)' >verify.log 2>&1")
                let log = (try? String(contentsOf: directory.appendingPathComponent("verify.log"), encoding: .utf8)) ?? ""
                #expect(status == 0 && log.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "systemd-analyze verify \(name): \(log)")
            }
        }
    }
}
