import Hummingbird
import Metrics

/// Requests and their durations per route and status: `coachspool_api_requests_total` and
/// `coachspool_api_request_duration_seconds`.
struct RequestMetrics<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let route = request.uri.path.hasPrefix("/v1/") ? request.uri.path : "other"
        Counter(label: "coachspool_api_requests_total", dimensions: [("route", route), ("status", "\(response.status.code)")])
            .increment()
        Timer(label: "coachspool_api_request_duration_seconds", dimensions: [("route", route)])
            .record(duration: ContinuousClock.now - started)
        return response
    }
}
