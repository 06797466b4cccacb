import Foundation

/// Wakes idle claim loops (a NOTIFY arrived, leases were reaped) and tells every thread to stop.
/// Threads wait on it with a timeout, which is the polling fallback.
public final class WakeSignal: @unchecked Sendable {
    // Safe to share: the mutable fields are read and written under `condition`'s lock; the
    // pipe's descriptors are fixed for the object's life.
    private let condition = NSCondition()
    private var generation = 0
    private var stopped = false
    private let stopPipe: (read: Int32, write: Int32)

    /// Readable once `stop()` was called: lets a thread blocked in poll() (the side channel,
    /// waiting for NOTIFY) return at once instead of at its next timeout.
    var stopFD: Int32 { stopPipe.read }

    public init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { fds = [-1, -1] }
        stopPipe = (fds[0], fds[1])
    }

    deinit {
        close(stopPipe.read)
        close(stopPipe.write)
    }

    public var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    public func wake() {
        condition.lock()
        generation &+= 1
        condition.broadcast()
        condition.unlock()
    }

    public func stop() {
        condition.lock()
        let first = !stopped
        stopped = true
        condition.broadcast()
        condition.unlock()
        if first { _ = write(stopPipe.write, "x", 1) }
    }

    /// Returns after `seconds`, or earlier on `wake()` or `stop()`.
    public func wait(seconds: Double) {
        condition.lock()
        defer { condition.unlock() }
        let seen = generation
        let deadline = Date(timeIntervalSinceNow: seconds)
        while generation == seen, !stopped {
            if !condition.wait(until: deadline) { return }
        }
    }
}
