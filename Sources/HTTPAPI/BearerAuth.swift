import CoachSpoolCore
import Foundation
import Hummingbird

/// Bearer tokens: every API request but `/ready` and `/metrics` must carry one
/// (`Authorization: Bearer …`), else 401; a reviewer token may use the review endpoints only,
/// else 403. The console (`/console/…`) signs in with the same tokens and has its own session
/// check (`ConsoleAuth`).
struct BearerAuth<Context: RequestContext>: RouterMiddleware {
    let credentials: Credentials

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = APIRoute(path: request.uri.path)
        if route?.isOpen == true || Console.owns(request.uri.path) { return try await next(request, context) }
        guard let token = request.headers[.authorization].flatMap(Self.bearerToken), let kind = credentials.kind(of: token) else {
            var response = APIError(
                status: .unauthorized, message: "a valid bearer token is required (Authorization: Bearer …)", param: nil,
                code: "invalid_api_key").response(requestID: context.id)
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        if kind == .reviewer, route?.allowsReviewers != true {
            return APIError(
                status: .forbidden, message: "a reviewer token may use the review endpoints only", param: nil, code: "forbidden")
                .response(requestID: context.id)
        }
        return try await next(request, context)
    }

    /// The token of `Authorization: Bearer TOKEN`; the scheme is case-insensitive (RFC 9110).
    static func bearerToken(_ header: String) -> Substring? {
        guard let space = header.firstIndex(of: " "), header[..<space].lowercased() == "bearer" else { return nil }
        let token = header[space...].drop { $0 == " " }
        return token.isEmpty ? nil : token
    }
}
