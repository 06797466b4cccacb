import Foundation

/// The peers' timing rule: one warm-up call, then `runs` timed calls; the median is reported,
/// with every run's wall and process CPU time.
struct Timing {
    var wall: [Double]
    var cpu: [Double]
    var median: Double { wall.sorted()[wall.count / 2] }

    static func measure(runs: Int, warmUp: () -> Void, _ body: () -> Void) -> Timing {
        warmUp()
        var timing = Timing(wall: [], cpu: [])
        for _ in 0..<runs {
            let c0 = clock(CLOCK_PROCESS_CPUTIME_ID)
            let t0 = clock(CLOCK_MONOTONIC)
            body()
            timing.wall.append(clock(CLOCK_MONOTONIC) - t0)
            timing.cpu.append(clock(CLOCK_PROCESS_CPUTIME_ID) - c0)
        }
        return timing
    }

    /// The 1, 5 and 15 minute load averages (the peers record them too: trust quiet runs only).
    static func loadAverage() -> [Double] {
        var loads = [Double](repeating: 0, count: 3)
        _ = getloadavg(&loads, 3)
        return loads.map { ($0 * 100).rounded() / 100 }
    }

    static func round(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }

    private static func clock(_ id: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(id, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
