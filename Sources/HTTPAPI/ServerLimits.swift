import CoachSpoolCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import ServiceLifecycle

/// How long `coachspool serve` waits for its clients, and for the requests in flight at shutdown.
/// A client that sends slowly, or stops, holds a socket and a request task; without these bounds
/// a few hundred of them exhaust the process's descriptors, and one holds up a SIGTERM forever.
public struct ServerLimits: Sendable {
    /// A keep-alive connection with no request begun is closed after this long. Hummingbird's own
    /// idle timeout: it counts from the last complete part read or answer sent, so it would also
    /// end a head or body that stalls this long, but never a handler at work.
    public var idleTimeout: Duration = .seconds(60)
    /// A request's head must be complete this long after its first byte; else 408 and close.
    public var headerTimeout: Duration = .seconds(10)
    /// A request's whole body must arrive this long after its head (the 8 MB cap in 30 s asks
    /// for about 280 kB/s); else 408 and close. The handler's own work after that is not bounded.
    public var bodyTimeout: Duration = .seconds(30)
    /// After SIGTERM/SIGINT, requests in flight get this long; then their connections are closed,
    /// and if the server has still not stopped two seconds later the process exits 1.
    public var shutdownTimeout: Duration = .seconds(20)

    /// A connection answered before its request was read is given this long to take the answer
    /// and go (see `ConnectionHandler.linger`).
    static let lingerTimeout: Duration = .seconds(5)

    public init() {}

    /// HTTP/1 with these limits on every connection.
    func server(logger: Logger) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let configuration = HTTP1Channel.Configuration(
                additionalChannelHandlers: [ConnectionHandler(limits: self, logger: logger)],
                idleTimeout: TimeAmount(idleTimeout))
            return ChildChannel(http1: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }

    /// `server` (the Application) with the process-level half of the shutdown deadline.
    func bounding(_ server: some Service, logger: Logger) -> some Service {
        DeadlineService(server: server, deadline: shutdownTimeout, logger: logger)
    }
}

extension ServerLimits {
    /// Hummingbird's HTTP/1 channel with `RequestBytes` in front of its decoder: the header
    /// timeout starts at a request's first byte, which no handler after the decoder can see.
    struct ChildChannel: ServerChildChannel {
        let http1: HTTP1Channel

        func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(RequestBytes())
            }.flatMap { http1.setup(channel: channel, logger: logger) }
        }

        func handle(value: HTTP1Channel.Value, logger: Logger) async {
            await http1.handle(value: value, logger: logger)
        }
    }

    /// Announces each read to `ConnectionHandler` (as this event, before the bytes are decoded).
    final class RequestBytes: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        struct Arrived {}

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.fireUserInboundEventTriggered(Arrived())
            context.fireChannelRead(data)
        }
    }

    /// One connection's deadlines, between Hummingbird's decoder and its request handling:
    /// the header and body timeouts (408 where no answer has begun), the shutdown deadline, and
    /// the close of a connection answered before its request was read.
    ///
    /// That last one is the descriptor leak it fixes: Hummingbird 2.28.1 (HTTPChannelHandler.swift,
    /// `handleHTTP`) stops reading after answering a request that says `Connection: close`, even
    /// when the answer came before the body was read (a 413 after the 8 MB cap, a 401), then
    /// half-closes and waits for the client's EOF. The unread body fills the socket's receive
    /// window, the client's FIN queues behind the rest of its body, and the socket sits in
    /// FIN-WAIT-2 with its descriptor held for good.
    final class ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        private enum Reading { case betweenRequests, head, body, discarding }

        private let limits: ServerLimits
        private let logger: Logger
        private var reading = Reading.betweenRequests
        /// Heads read, answers begun and ended: a 408 can go out only when every earlier request
        /// has its whole answer and this one has none begun.
        private var requests = 0, answersBegun = 0, answersEnded = 0
        private var closeAfterAnswer = false
        private var timer: Scheduled<Void>?
        private var shutdownTimer: Scheduled<Void>?

        init(limits: ServerLimits, logger: Logger) {
            self.limits = limits
            self.logger = logger
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            switch event {
            case is RequestBytes.Arrived:
                if reading == .betweenRequests {
                    reading = .head
                    schedule(context, after: limits.headerTimeout) { $0.timedOut(context, reading: .head) }
                }
            case is ChannelShouldQuiesceEvent:
                // Hummingbird closes idle connections now and the others after their answer;
                // this bounds the wait for the answer.
                shutdownTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.shutdownTimeout)) {
                    self.logger.debug("shutdown deadline: closing a connection with a request in flight")
                    context.close(promise: nil)
                }
                context.fireUserInboundEventTriggered(event)
            case let event as ChannelEvent where event == .inputClosed && reading == .discarding:
                // Our half is closed already (`linger`): nothing more to say or hear.
                context.close(promise: nil)
            default:
                context.fireUserInboundEventTriggered(event)
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let part = unwrapInboundIn(data)
            if reading == .discarding {
                if case .end = part { context.close(promise: nil) }
                return
            }
            switch part {
            case .head:
                requests += 1
                reading = .body
                schedule(context, after: limits.bodyTimeout) { $0.timedOut(context, reading: .body) }
            case .body:
                break
            case .end:
                reading = .betweenRequests
                cancelTimer()
            }
            context.fireChannelRead(data)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            // Hummingbird no longer asks for the parts we drop; keep reading until the EOF.
            if reading == .discarding { context.read() }
            context.fireChannelReadComplete()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // A body cut short by the client's close is a parse error nobody is waiting for.
            if reading != .discarding { context.fireErrorCaught(error) }
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            switch unwrapOutboundIn(data) {
            case .head(var head):
                answersBegun += 1
                guard answersBegun == requests, reading == .body else { break }
                // Answered before the body was read (401, 413): the client is told this
                // connection ends with the answer, and the rest of the body is not read.
                head.headerFields[.connection] = "close"
                closeAfterAnswer = true
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            case .body:
                break
            case .end:
                answersEnded += 1
                guard closeAfterAnswer, answersEnded == requests else { break }
                let written = context.eventLoop.makePromise(of: Void.self)
                if let promise { written.futureResult.cascade(to: promise) }
                context.write(data, promise: written)
                written.futureResult.assumeIsolated().whenComplete { _ in self.linger(context) }
                return
            }
            context.write(data, promise: promise)
        }

        func channelInactive(context: ChannelHandlerContext) {
            cancelTimer()
            shutdownTimer?.cancel()
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            cancelTimer()
            shutdownTimer?.cancel()
        }

        /// A header or body timeout: 408 when no answer has begun, else just the close.
        private func timedOut(_ context: ChannelHandlerContext, reading phase: Reading) {
            guard reading == phase else { return }
            let pending = phase == .body ? 1 : 0
            logger.debug(phase == .head ? "request head too slow: closing the connection" : "request body too slow: closing the connection")
            guard answersBegun == answersEnded, answersEnded == requests - pending else {
                context.close(promise: nil)
                return
            }
            let seconds = (phase == .head ? limits.headerTimeout : limits.bodyTimeout).inSeconds
            let what = phase == .head ? "headers" : "body"
            let body = ByteBuffer(string: #"{"error":{"code":"request_timeout","message":"the request's \#(what) did not arrive within \#(seconds) s","param":null,"type":"invalid_request_error"}}"#)
            let head = HTTPResponse(status: .requestTimeout, headerFields: [
                .contentType: "application/json", .contentLength: "\(body.readableBytes)", .connection: "close",
            ])
            answersBegun += 1
            answersEnded += 1
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in self.linger(context) }
        }

        /// The answer is out but the client may still be sending: closing now, with its bytes
        /// unread, would reset the connection and could destroy the answer before the client reads
        /// it. So (as Apache and nginx do) our half is closed, what still comes is read and
        /// dropped, and the connection is closed at the client's EOF, at the request's end, or
        /// after `lingerTimeout`, whichever is first.
        private func linger(_ context: ChannelHandlerContext) {
            guard reading != .discarding, context.channel.isActive else { return }
            reading = .discarding
            cancelTimer()
            context.close(mode: .output, promise: nil)  // fails harmlessly when Hummingbird did it
            context.read()
            schedule(context, after: ServerLimits.lingerTimeout) { _ in context.close(promise: nil) }
        }

        private func schedule(_ context: ChannelHandlerContext, after delay: Duration, _ fire: @escaping (ConnectionHandler) -> Void) {
            cancelTimer()
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
                self.timer = nil
                fire(self)
            }
        }

        private func cancelTimer() {
            timer?.cancel()
            timer = nil
        }
    }

    /// The server run to a deadline once shutdown begins: the connections close themselves at
    /// `deadline` (`ConnectionHandler`), which ends the requests that wait on a client; one stuck
    /// elsewhere (a statement the database does not answer) would still hold the process, so two
    /// seconds later it exits 1, as `coachspool work` does.
    struct DeadlineService<Server: Service>: Service, CustomStringConvertible {
        let server: Server
        let deadline: Duration
        let logger: Logger
        var description: String { "HTTPServer" }

        func run() async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                group.addTask { [deadline, logger] in
                    try await gracefulShutdown()
                    logger.info("graceful shutdown: finishing the requests in flight", metadata: [LogKey.seconds: "\(deadline.inSeconds)"])
                    try await Task.sleep(for: deadline)
                    logger.warning("shutdown deadline passed: closing the connections with requests in flight")
                    try await Task.sleep(for: .seconds(2))
                    logger.error("requests still running two seconds after the shutdown deadline: exiting without them")
                    exit(1)
                }
                // The server stopped (or failed): the deadline no longer applies.
                try await group.next()
                group.cancelAll()
            }
        }
    }
}

extension Duration {
    /// For messages and log metadata: "2.5", "10" (not "2.5 seconds").
    fileprivate var inSeconds: String {
        String(format: "%g", Double(components.seconds) + Double(components.attoseconds) / 1e18)
    }
}

@available(*, unavailable)
extension ServerLimits.ConnectionHandler: Sendable {}

@available(*, unavailable)
extension ServerLimits.RequestBytes: Sendable {}
