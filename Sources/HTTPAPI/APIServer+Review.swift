import CoachSpoolCore
import Foundation
import Hummingbird
import LibPQ
import Review
import Stages

extension APIServer {
    /// `GET /v1/review/next?mode=&language=`: the next exchange for this token's reviewer, held
    /// for its lease (200 with the item), or 204 when nothing waits.
    func reviewNext(_ request: Request) async throws -> Response {
        let filter = try Self.reviewFilter(request)
        let reviewer = try reviewer(of: request)
        let reviews = self.reviews
        guard let item = try await pool.withConnection({ try reviews.next($0, reviewer: reviewer, filter: filter) }) else {
            return Response(status: .noContent)
        }
        return jsonResponse { json in
            json.field("object") { $0.string("review.item") }
            json.field("item") { item.write(into: &$0) }
        }
    }

    /// `GET /v1/review/queue?limit=N&mode=&language=`: the exchanges waiting, newest first,
    /// without holding any (`limit` 1–500, default 50).
    func reviewQueue(_ request: Request) async throws -> Response {
        let filter = try Self.reviewFilter(request)
        let limit = try Self.queryInt(request, "limit", in: 1...Reviews.maximumPage) ?? 50
        let reviews = self.reviews
        let items = try await pool.withConnection { try reviews.queue($0, limit: limit, filter: filter) }
        return jsonResponse { json in
            json.field("object") { $0.string("list") }
            json.field("data") { $0.array(items) { json, item in item.write(into: &json) } }
        }
    }

    /// `POST /v1/review`: `interaction_id`, `decision` (`approve`, `reject`, `correct`),
    /// `corrected_answer` (with `correct` only), `reason`: 201 with the decision's id. 404 for an
    /// unknown interaction, 409 when its user has no training consent or another reviewer holds it.
    func review(_ request: Request) async throws -> Response {
        let body = try await JSONBody(request, limit: 1 << 20)
        guard let interaction = try body.optionalInt("interaction_id", in: 1...Int.max >> 11) else {
            throw APIError.badRequest("interaction_id", "expected an interaction id")
        }
        let decision = try body.choice("decision", Reviews.Decision.self)
        let corrected = try body.optionalString("corrected_answer", limit: InputLimits.correctedAnswer)
        let reason = try body.optionalString("reason", limit: InputLimits.reviewReason)
        let reviewer = try reviewer(of: request)
        let reviews = self.reviews
        let id = try await pool.withConnection {
            try reviews.decide($0, interaction: Int64(interaction), decision: decision, reviewer: reviewer, correctedAnswer: corrected, reason: reason)
        }
        return jsonResponse(["id": id, "interaction_id": interaction, "decision": decision.rawValue], status: .created)
    }

    var reviews: Reviews { Reviews() }

    /// The pseudonymous id of the request's token (BearerAuth has let it through).
    private func reviewer(of request: Request) throws -> ReviewerID {
        guard let token = request.headers[.authorization].flatMap(BearerAuth<BasicRequestContext>.bearerToken),
              let kind = configuration.credentials.kind(of: token)
        else { throw APIError(status: .unauthorized, message: "a valid bearer token is required", param: nil, code: "invalid_api_key") }
        return ReviewerID(token: token, kind: kind)
    }

    private static func reviewFilter(_ request: Request) throws -> Reviews.Filter {
        let parameters = request.uri.queryParameters
        var filter = Reviews.Filter()
        if let mode = parameters["mode"].map(String.init) {
            guard let value = Mode(rawValue: mode) else {
                throw APIError.badRequest("mode", "expected " + Mode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
            }
            filter.mode = value
        }
        if let language = parameters["language"].map(String.init) {
            if let problem = InputLimits.language.problem(language) { throw APIError.badRequest("language", problem) }
            filter.language = language
        }
        return filter
    }

    private static func queryInt(_ request: Request, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Int(String(text)), range.contains(value) else {
            throw APIError.badRequest(name, "expected an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
