import CLibPQ

/// Cancels the statement in progress on a connection, from any thread (`PQcancel` is the one
/// libpq call documented as safe for that).
public final class PGCanceller: @unchecked Sendable {
    // Safe to share: PQcancel only reads the PGcancel object, and it is freed in deinit only.
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQfreeCancel(handle) }

    /// Asks the server to cancel; the running call then fails with `PGError.Code.cancelled`.
    /// Returns false when the request could not be sent.
    @discardableResult
    public func cancel() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(handle, &buffer, Int32(buffer.count)) == 1
    }
}
