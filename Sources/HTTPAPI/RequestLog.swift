import CoachSpoolCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics

/// The outermost middleware: every request, refused ones included, gets a request id
/// (`X-Request-Id`), one access-log line (method, route, status, duration, request id: never a
/// body, a query string or a token), and its count and duration in the metrics, labelled by route
/// template so that path variants cannot grow the series without bound
/// (`coachspool_api_requests_total{route,status}`, `coachspool_api_request_duration_seconds{route}`).
///
/// It also turns what the router answers on its own into the API's error shape: 404 for an
/// unknown path, 405 with `Allow` for a known path and another method, and any error that escaped
/// a handler into a 500 that quotes nothing.
struct RequestLog<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = context.id
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = APIRoute.methods(of: request.uri.path)
            response = allowed.isEmpty
                ? APIError(status: .notFound, message: "no such endpoint; see coachspool serve --help", param: nil, code: "not_found")
                    .response(requestID: requestID)
                : APIError(
                    status: .methodNotAllowed, message: "this endpoint answers \(allowed.map(\.rawValue).joined(separator: ", "))",
                    param: nil, code: "method_not_allowed", allowed: allowed.map(\.rawValue)).response(requestID: requestID)
        } catch let error as HTTPError {
            response = APIError(status: error.status, message: error.status.reasonPhrase, param: nil, code: nil).response(requestID: requestID)
        } catch {
            logger.error("request failed", metadata: [LogKey.requestID: "\(requestID)", LogKey.error: "\(type(of: error))"])
            response = APIError.internal.response(requestID: requestID)
        }
        response.headers[.xRequestID] = requestID
        // A large body was read (not refused unread): give its memory back (rate-limited).
        if response.status != .unauthorized, response.status != .contentTooLarge,
           let length = request.headers[.contentLength].flatMap(Int.init), length > 1 << 20
        {
            Heap.trim()
        }
        let route = APIRoute.template(of: request.uri.path)
        let status = response.status.code
        let elapsed = ContinuousClock.now - started
        Counter(label: "coachspool_api_requests_total", dimensions: [("route", route), ("status", "\(status)")]).increment()
        Timer(label: "coachspool_api_request_duration_seconds", dimensions: [("route", route)]).record(duration: elapsed)
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.log(
            level: status >= 500 ? .error : .info, "request",
            metadata: [
                LogKey.httpMethod: "\(request.method.rawValue)", LogKey.httpRoute: "\(route)", LogKey.httpStatus: "\(status)",
                LogKey.durationMilliseconds: "\(String(format: "%.1f", milliseconds))", LogKey.requestID: "\(requestID)",
            ])
        return response
    }
}

extension HTTPField.Name {
    static let xRequestID = HTTPField.Name("X-Request-Id")!
}
