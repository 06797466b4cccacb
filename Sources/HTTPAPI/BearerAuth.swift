import CoachSpoolCore
import Crypto
import Foundation
import Hummingbird

/// Bearer tokens: every request but `/ready` and `/metrics` must carry one of them
/// (`Authorization: Bearer …`), else 401. Tokens come from `COACHSPOOL_API_TOKENS` (comma- or
/// newline-separated) or the file `COACHSPOOL_API_TOKENS_FILE` (one per line), never from the
/// command line; they are compared by SHA-256 digest, so timing says nothing about their bytes.
struct BearerAuth<Context: RequestContext>: RouterMiddleware {
    private let digests: Set<Data>
    /// Shorter tokens are refused at start: a token is the API's only secret.
    static var minimumLength: Int { 32 }

    init(tokens: [String]) {
        digests = Set(tokens.map { Data(SHA256.hash(data: Data($0.utf8))) })
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if APIRoute(path: request.uri.path)?.isOpen == true { return try await next(request, context) }
        guard let token = request.headers[.authorization].flatMap(Self.bearerToken),
              digests.contains(Data(SHA256.hash(data: Data(token.utf8))))
        else {
            var response = APIError(
                status: .unauthorized, message: "a valid bearer token is required (Authorization: Bearer …)", param: nil,
                code: "invalid_api_key").response(requestID: context.id)
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }

    /// The token of `Authorization: Bearer TOKEN`; the scheme is case-insensitive (RFC 9110).
    static func bearerToken(_ header: String) -> Substring? {
        guard let space = header.firstIndex(of: " "), header[..<space].lowercased() == "bearer" else { return nil }
        let token = header[space...].drop { $0 == " " }
        return token.isEmpty ? nil : token
    }

    /// The configured tokens; none is an error: the API never runs open.
    static func tokens(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String] {
        var text = environment["COACHSPOOL_API_TOKENS"] ?? ""
        if let path = environment["COACHSPOOL_API_TOKENS_FILE"], !path.isEmpty {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw CoachSpoolError(.configuration, "COACHSPOOL_API_TOKENS_FILE cannot be read", file: path)
            }
            text += "\n" + String(decoding: contents, as: UTF8.self)
        }
        let tokens = text.split(whereSeparator: { $0 == "," || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !tokens.isEmpty else {
            throw CoachSpoolError(.configuration, "no API token: set COACHSPOOL_API_TOKENS or COACHSPOOL_API_TOKENS_FILE (the API never runs without authentication)")
        }
        if let short = tokens.firstIndex(where: { $0.count < minimumLength }) {
            throw CoachSpoolError(
                .configuration,
                "API token \(short + 1) is shorter than \(minimumLength) characters; make one with: openssl rand -hex 32")
        }
        return tokens
    }
}
