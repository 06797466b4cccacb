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
    }
}
