import CoachSpoolCore
import Foundation
import Testing

/// `ParallelMap.map` is `map`: same values, same order, for every count and width; too little
/// work stays on the caller's thread; of several errors, the first in item order is thrown.
@Suite struct ParallelMapTests {
    private struct Failure: Error, Equatable { var item: Int }

    @Test(arguments: [0, 1, 63, 64, 128, 129, 1000, 2001])
    func resultsAreInTheItemsOrder(count: Int) throws {
        let items = Array(0..<count)
        for width in [1, 2, 3, 8] {
            let mapped = try ParallelMap.map(items, width: width) { "\($0 * 7)" }
            #expect(mapped == items.map { "\($0 * 7)" }, "count \(count), width \(width)")
        }
    }

    /// Whether the runs really overlap depends on the machine's free threads (libdispatch runs
    /// them on the caller's thread when none is free), so that is left to the benchmark; what is
    /// certain is that too little work never leaves the caller's thread.
    @Test func tooLittleWorkStaysOnTheCallersThread() throws {
        let caller = ObjectIdentifier(Thread.current)
        let onCaller = try ParallelMap.map(Array(0..<10), width: 2) { _ in ObjectIdentifier(Thread.current) == caller }
        #expect(onCaller.allSatisfy { $0 }, "ten items are below the minimum per thread")
    }

    @Test func theFirstFailureInItemOrderIsThrown() {
        // Items 300 (first run of four) and 1700 (fourth run) fail: the first run's is thrown.
        #expect(throws: Failure(item: 300)) {
            _ = try ParallelMap.map(Array(0..<2000), width: 4) { item in
                if item == 300 || item == 1700 { throw Failure(item: item) }
                return item
            }
        }
    }
}
