import CLibPQ
import Foundation

/// A `NOTIFY` received on a connection that `LISTEN`s.
public struct PGNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var senderPID: Int32
}

extension PGConnection {
    /// Subscribes this connection to `channel`.
    public func listen(_ channel: String) throws(PGError) {
        try execute(unsafeSQL: "LISTEN \(try quoteIdentifier(channel))")
    }

    /// Waits up to `timeout` for notifications, then returns those that arrived (possibly none).
    /// When `interruptFD` becomes readable (a pipe another thread writes to), it returns at once.
    /// Throws when the connection broke meanwhile.
    public func waitForNotifications(timeout: Duration, interruptFD: Int32? = nil) throws(PGError) -> [PGNotification] {
        var notes = takeNotifications()
        if !notes.isEmpty { return notes }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw lastError(code: .connectionLost, sql: nil) }
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        if let interruptFD { fds.append(pollfd(fd: interruptFD, events: Int16(POLLIN), revents: 0)) }
        let millis = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&fds, nfds_t(fds.count), millis)
        if ready > 0, fds[0].revents != 0 {
            guard PQconsumeInput(handle) == 1 else { throw lastError(code: .connectionLost, sql: nil) }
            notes = takeNotifications()
        }
        return notes
    }

    private func takeNotifications() -> [PGNotification] {
        var notes: [PGNotification] = []
        while let note = PQnotifies(handle) {
            notes.append(PGNotification(
                channel: String(cString: note.pointee.relname),
                payload: String(cString: note.pointee.extra),
                senderPID: note.pointee.be_pid))
            PQfreemem(note)
        }
        return notes
    }
}
