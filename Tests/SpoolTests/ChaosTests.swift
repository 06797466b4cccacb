import Foundation
import Testing

extension DatabaseTests {
    /// The shorter variant of `scripts/chaos.sh` (issue 7): three thousand interactions, two
    /// worker hosts in network namespaces, SIGKILLs every two seconds, a cut link, a PostgreSQL
    /// restart and a SIGSTOP past the lease; the script exits 0 only with nothing lost, nothing
    /// duplicated, no job left or dead, and an export identical to a calm run's. Needs root.
    @Suite struct ChaosTests {

        @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip"), "needs root and iproute2"))
        func theShortChaosRunLosesNothingAndDoublesNothing() async throws {
            let script = Repository.path("scripts/chaos.sh").path
            let dir = Repository.path(".coachspool/chaos-test").path
            let status = try await runShell("""
                CHAOS_DIR='\(dir)' CHAOS_PREFIX=cst INTERACTIONS=3000 HOSTS=2 WORKERS_PER_HOST=2 LEASE=3 KILL_EVERY=2 \
                COACHSPOOL_BIN='\(CoachSpoolProcess.binary.path)' '\(script)' > '\(dir).log' 2>&1
                """)
            let log = (try? String(contentsOfFile: dir + ".log", encoding: .utf8)) ?? ""
            #expect(status == 0, "\(log.split(separator: "\n").suffix(25).joined(separator: "\n"))")
            #expect(log.contains("| **lost** | **0** |"))
            #expect(log.contains("| **export byte-identical** | **yes** |"))
        }

        /// The shorter variant of `scripts/chaos.sh failover` (issue 19): primary and standby on
        /// hosts of their own, the primary's link cut mid-run, the standby promoted, synchronous
        /// then asynchronous; the script exits 0 only with nothing lost (after the re-ingest that
        /// asynchronous replication needs), nothing duplicated and an export identical to a calm run's.
        @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip"), "needs root and iproute2"))
        func theShortFailoverRunsLoseNothingAndDoubleNothing() async throws {
            let script = Repository.path("scripts/chaos.sh").path
            let dir = Repository.path(".coachspool/failover-test").path
            let status = try await runShell("""
                CHAOS_DIR='\(dir)' CHAOS_PREFIX=fot INTERACTIONS=3000 WORKER_HOSTS=1 LEASE=3 \
                COACHSPOOL_BIN='\(CoachSpoolProcess.binary.path)' '\(script)' failover > '\(dir).log' 2>&1
                """)
            let log = (try? String(contentsOfFile: dir + ".log", encoding: .utf8)) ?? ""
            #expect(status == 0, "\(log.split(separator: "\n").suffix(30).joined(separator: "\n"))")
            #expect(log.contains("### sync replication") && log.contains("### async replication"))
            #expect(log.components(separatedBy: "| **lost** | **0** |").count == 3)
            #expect(log.components(separatedBy: "| **export byte-identical** | **yes** |").count == 3)
        }

        /// `deploy/patroni/patroni.yml` run for real (`scripts/patroni-failover.sh`): etcd and two
        /// Patroni nodes, workers on the multi-host URL, the leader's host lost, Patroni promotes
        /// the synchronous standby; every interaction ends with exactly one verdict.
        @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/patroni"), "needs root and patroni"))
        func theDeployedPatroniExampleFailsOverWithoutLoss() async throws {
            let script = Repository.path("scripts/patroni-failover.sh").path
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cs-patroni-\(UInt32.random(in: 0...UInt32.max))").path
            let status = try await runShell("""
                PATRONI_DIR='\(dir)' INTERACTIONS=3000 COACHSPOOL_BIN='\(CoachSpoolProcess.binary.path)' '\(script)' > '\(dir).log' 2>&1
                """)
            let log = (try? String(contentsOfFile: dir + ".log", encoding: .utf8)) ?? ""
            #expect(status == 0, "\(log.split(separator: "\n").suffix(30).joined(separator: "\n"))")
            #expect(log.contains("| interactions / verdicts / interactions with a verdict | 3000 / 3000 / 3000 |"), "\(log)")
        }
    }
}
