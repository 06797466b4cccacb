import CoachSpoolCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Knowledge
import LibPQ
import Logging
import Queue
import Review
import Stages

/// The console at `/console/`, in the `serve` process: Overview, Jobs, Review, Training and
/// Retrieval as server-rendered pages over the admin views (docs/operations.md, "The console").
///
/// Sign-in takes an API or reviewer token and answers with a signed session cookie
/// (`ConsoleSession`); every POST carries the session's CSRF token; a reviewer session gets
/// Review and a 403 page elsewhere; every action is written to `coachspool.audit_log`. Pages
/// carry a Content-Security-Policy that allows the console's own script and nothing else.
enum Console {
    static let prefix = "/console"

    /// Whether a path is the console's (it authenticates by session, not by bearer token).
    static func owns(_ path: String) -> Bool {
        path == prefix || path.hasPrefix(prefix + "/")
    }

    static func queryEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:"))) ?? ""
    }

    /// A reason for a failed search, without quoting the question.
    static func describe(_ error: any Error) -> String {
        if let error = error as? APIError { return error.message }
        if let error = error as? CoachSpoolError { return error.message }
        return "the search failed (\(type(of: error)))"
    }

    /// The largest form a console POST may send (a correction of 32 KiB, percent-encoded).
    static let formLimit = 256 << 10

    static let securityHeaders: [(HTTPField.Name, String)] = [
        (.contentSecurityPolicy, "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        (.xContentTypeOptions, "nosniff"), (.cacheControl, "no-store"),
        (HTTPField.Name("Referrer-Policy")!, "no-referrer"), (HTTPField.Name("X-Frame-Options")!, "DENY"),
    ]

    static func html(_ body: String, status: HTTPResponse.Status = .ok, cookie: String? = nil) -> Response {
        var response = Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        for (name, value) in securityHeaders { response.headers[name] = value }
        if let cookie { response.headers[.setCookie] = cookie }
        return response
    }

    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        for (name, value) in securityHeaders { response.headers[name] = value }
        if let cookie { response.headers[.setCookie] = cookie }
        return response
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600", .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// An `application/x-www-form-urlencoded` body (at most `formLimit` bytes), by field name;
    /// a repeated field keeps its first value.
    static func form(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: formLimit)
        } catch is NIOTooManyBytesError {
            throw APIError(status: .contentTooLarge, message: "the form is larger than \(formLimit >> 10) KiB", param: nil, code: nil)
        }
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ s: Substring) -> String? { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decoded(parts[0]), let value = parts.count > 1 ? decoded(parts[1]) : "" else {
                throw APIError.badRequest(nil, "the form is not valid percent-encoding")
            }
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }
}

extension APIServer {
    /// The console's routes on `router` (the bearer middleware lets `/console` through).
    func addConsoleRoutes<Context: RequestContext>(to router: Router<Context>, logger: Logger) {
        router.get("console/assets/console.css") { _, _ in Console.asset(HTML.stylesheet, type: "text/css; charset=utf-8") }
        router.get("console/assets/console.js") { _, _ in Console.asset(HTML.script, type: "text/javascript; charset=utf-8") }
        router.get("console/login") { _, _ in Console.html(ConsolePages.signIn()) }
        router.post("console/login") { request, context in
            try await consoleHandled(context.id, logger) { try await signIn(request) }
        }
        let pages: [(String, HTTPRequest.Method, Bool, @Sendable (Request, ConsoleSession, String) async throws -> Response)] = [
            ("console", .get, false, overviewPage),
            ("console/jobs", .get, false, jobsPage),
            ("console/jobs/action", .post, false, jobsAction),
            ("console/review", .get, true, reviewPage),
            ("console/review", .post, true, reviewAction),
            ("console/training", .get, false, trainingPage),
            ("console/retrieval", .get, false, retrievalPage),
            ("console/logout", .post, true, signOut),
        ]
        for (path, method, reviewers, body) in pages {
            router.on(RouterPath(path), method: method) { request, context in
                try await consoleHandled(context.id, logger) {
                    try await withSession(request, method: method, reviewersAllowed: reviewers, body)
                }
            }
        }
    }

    /// The session check every page but sign-in goes through: no valid session → the sign-in
    /// page (GET) or 403 (POST); a reviewer outside Review → 403; a POST without this session's
    /// CSRF token → 403. The form of a POST is read here, once.
    private func withSession(
        _ request: Request, method: HTTPRequest.Method, reviewersAllowed: Bool,
        _ body: @Sendable (Request, ConsoleSession, String) async throws -> Response
    ) async throws -> Response {
        let key = configuration.credentials.sessionKey
        guard let cookie = request.headers[.cookie].flatMap(ConsoleSession.cookie(in:)),
              let session = ConsoleSession(cookieValue: cookie, key: key), configuration.credentials.knows(session.actor)
        else {
            if method == .get { return Console.redirect(Console.prefix + "/login") }
            return Console.html(ConsolePages.signIn(message: "Your session has ended; sign in again."), status: .forbidden)
        }
        let csrf = session.csrfToken(key: key)
        if session.kind == .reviewer, !reviewersAllowed {
            return Console.html(ConsolePages.forbidden(session: session, csrf: csrf), status: .forbidden)
        }
        return try await body(request, session, csrf)
    }

    /// Errors as pages: a bad form field 400, the database away 503, anything else 500 (logged
    /// by kind, never quoting the request).
    private func consoleHandled(_ requestID: String, _ logger: Logger, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return Console.html(HTML.page(title: "Refused", current: nil, session: nil, csrf: nil, body: "<p class=\"warn\" id=\"refused\">\(HTML.escape(error.message))</p>"), status: error.status)
        } catch let error as Reviews.Invalid {
            return Console.html(HTML.page(title: "Refused", current: nil, session: nil, csrf: nil, body: "<p class=\"warn\" id=\"refused\">\(HTML.escape(error.field)): \(HTML.escape(error.message))</p>"), status: .badRequest)
        } catch let error as PGError where error.isConnectionProblem {
            return Console.html(HTML.page(title: "Database unavailable", current: nil, session: nil, csrf: nil, body: "<p class=\"warn\">The database is unavailable; reload in a moment.</p>"), status: .serviceUnavailable)
        } catch {
            logger.error("console request failed", metadata: [
                LogKey.requestID: "\(requestID)", LogKey.error: "\(type(of: error))", LogKey.sqlState: "\((error as? PGError)?.sqlState ?? "")",
            ])
            return Console.html(HTML.page(title: "Error", current: nil, session: nil, csrf: nil, body: "<p class=\"warn\">Something went wrong (request \(HTML.escape(requestID))).</p>"), status: .internalServerError)
        }
    }

    private func requireCSRF(_ form: [String: String], _ session: ConsoleSession) throws {
        guard session.acceptsCSRF(form["csrf"], key: configuration.credentials.sessionKey) else {
            throw APIError(status: .forbidden, message: "This form is stale or did not come from the console (CSRF token missing or wrong); reload the page.", param: "csrf", code: nil)
        }
    }

    // MARK: - sign-in

    private func signIn(_ request: Request) async throws -> Response {
        let form = try await Console.form(request)
        guard let token = form["token"]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty,
              token.utf8.count <= 1024, let kind = configuration.credentials.kind(of: token)
        else { return Console.html(ConsolePages.signIn(message: "That token is not accepted."), status: .unauthorized) }
        let actor = ReviewerID(token: token, kind: kind)
        let session = ConsoleSession(kind: kind, actor: actor, expires: Date().addingTimeInterval(ConsoleSession.lifetime))
        try await pool.withConnection { try AuditLog.record($0, actor: actor, action: .signIn) }
        let secure = request.uri.scheme?.rawValue == "https" || request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https"
        return Console.redirect(
            kind == .reviewer ? HTML.Page.review.path : HTML.Page.overview.path,
            cookie: session.setCookie(key: configuration.credentials.sessionKey, secure: secure))
    }

    private func signOut(_ request: Request, _ session: ConsoleSession, _ csrf: String) async throws -> Response {
        try requireCSRF(try await Console.form(request), session)
        try await pool.withConnection { try AuditLog.record($0, actor: session.actor, action: .signOut) }
        return Console.redirect(Console.prefix + "/login", cookie: ConsoleSession.clearCookie)
    }

    // MARK: - pages

    private func overviewPage(_ request: Request, _ session: ConsoleSession, _ csrf: String) async throws -> Response {
        let (stages, throughput, workers, spaces) = try await pool.withConnection { conn in
            (try ConsoleData.stageCounts(conn), try ConsoleData.throughput(conn), try ConsoleData.workers(conn), try ConsoleData.spaces(conn))
        }
        return Console.html(ConsolePages.overview(
            stages: stages, throughput: throughput, workers: workers, spaces: spaces, session: session, csrf: csrf))
    }

    private func jobsPage(_ request: Request, _ session: ConsoleSession, _ csrf: String) async throws -> Response {
        let parameters = request.uri.queryParameters
        let kind = try Self.jobKind(parameters["kind"].map(String.init))
        let state = try Self.jobState(parameters["state"].map(String.init)) ?? .dead
        let before = parameters["before"].flatMap { Int64(String($0)) }
        let flash = parameters["done"].map(String.init).flatMap(Self.flash)
        let (jobs, kinds) = try await pool.withConnection { conn in
            (try ConsoleData.jobs(conn, kind: kind, state: state, before: before), try ConsoleData.kinds(conn))
        }
        return Console.html(ConsolePages.jobs(jobs, kinds: kinds, kind: kind, state: state, session: session, csrf: csrf, flash: flash))
    }

    /// Retry or discard one dead job (`job_id`) or every dead job of a stage (`kind`, with
    /// `confirm=yes`): `DeadJobs`, the same operations as `coachspool jobs`.
    private func jobsAction(_ request: Request, _ session: ConsoleSession, _ csrf: String) async throws -> Response {
        let form = try await Console.form(request)
        try requireCSRF(form, session)
        guard let action = form["action"], ["retry", "discard"].contains(action) else {
            throw APIError.badRequest("action", "expected retry or discard")
        }
        let kind = try Self.jobKind(form["kind"])
        let one = try form["job_id"].map { text -> Int64 in
            guard let id = Int64(text), id > 0 else { throw APIError.badRequest("job_id", "expected a job id") }
            return id
        }
        if one == nil, form["confirm"] != "yes" {
            throw APIError.badRequest("confirm", "tick the confirmation to act on every matching job")
        }
        let actor = session.actor
        let count = try await pool.withConnection { conn -> Int in
            try conn.transaction { conn in
                let ids: [Int64]? = if let one { [one] } else if let kind {
                    try conn.query("SELECT id FROM coachspool.jobs WHERE state = 'dead' AND kind = \(kind)").map { try $0.decode(Int64.self, at: 0) }
                } else { nil }
                let count = action == "retry" ? try DeadJobs.retry(conn, ids: ids, attempts: 1) : try DeadJobs.discard(conn, ids: ids)
                let audited: AuditLog.Action = switch (action, one) {
                case ("retry", .some): .retryJob
                case ("retry", .none): .retryMatching
                case (_, .some): .discardJob
                default: .discardMatching
                }
                try AuditLog.record(conn, actor: actor, action: audited, target: one.map { "job:\($0)" } ?? kind.map { "kind:\($0)" } ?? "kind:*", items: count)
                return count
            }
        }
        return Console.redirect(Console.prefix + "/jobs?state=dead\(kind.map { "&kind=" + Console.queryEscape($0) } ?? "")&done=\(action)-\(count)")
    }

    private func reviewPage(_ request: Request, _ session: ConsoleSession, _ csrf: String) async throws -> Response {
        let parameters = request.uri.queryParameters
        let filter = try Self.reviewFilter(mode: parameters["mode"].map(String.init), language: parameters["language"].map(String.init))
        let flash = parameters["done"].map(String.init).flatMap(Self.flash)
        let reviews = self.reviews
        let actor = session.actor
        let (item, waiting) = try await pool.withConnection { conn in
            (try reviews.next(conn, reviewer: actor, filter: filter),
             try ConsoleData.waitingForReview(conn))
        }
        return Console.html(ConsolePages.review(item, waiting: waiting, filter: filter, session: session, csrf: csrf, flash: flash))
    }

    private func reviewAction(_ request: Request, _ session: ConsoleSession, _ csrf: String) async throws -> Response {
        let form = try await Console.form(request)
        try requireCSRF(form, session)
        guard let text = form["interaction_id"], let interaction = Int64(text), interaction > 0 else {
            throw APIError.badRequest("interaction_id", "expected an interaction id")
        }
        guard let decision = form["decision"].flatMap(Reviews.Decision.init(rawValue:)) else {
            throw APIError.badRequest("decision", "expected approve, reject or correct")
        }
        let corrected = decision == .correct ? form["corrected_answer"] : nil
        let reason = form["reason"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        let filter = try Self.reviewFilter(mode: form["mode"], language: form["language"])
        let (reviews, actor) = (self.reviews, session.actor)
        do {
            _ = try await pool.withConnection {
                try reviews.decide($0, interaction: interaction, decision: decision, reviewer: actor, correctedAnswer: corrected,
                                   reason: decision == .reject ? reason : nil)
            }
        } catch let error as PGError where [PGError.SQLState.objectInUse, PGError.SQLState.objectNotInPrerequisiteState, PGError.SQLState.foreignKeyViolation].contains(error.sqlState) {
            return Console.redirect(Console.prefix + "/review?done=gone" + Self.filterQuery(filter))
        }
        return Console.redirect(Console.prefix + "/review?done=\(decision.rawValue)" + Self.filterQuery(filter))
    }

    private func trainingPage(_ request: Request, _ session: ConsoleSession, _ csrf: String) async throws -> Response {
        let (runs, evaluations) = try await pool.withConnection { (try ConsoleData.runs($0), try ConsoleData.answerEvals($0)) }
        return Console.html(ConsolePages.training(runs, evaluations: evaluations, session: session, csrf: csrf))
    }

    private func retrievalPage(_ request: Request, _ session: ConsoleSession, _ csrf: String) async throws -> Response {
        let query = request.uri.queryParameters["q"].map(String.init).flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        if let query, let problem = InputLimits.query.problem(query) { throw APIError.badRequest("q", problem) }
        let evaluations = try await pool.withConnection { try ConsoleData.evaluations($0) }
        var results: [(SearchMode, Result<[SearchHit], any Error>)] = []
        if let query {
            for mode in [SearchMode.vector, .text, .hybrid] {
                do {
                    results.append((mode, .success(try await retrieval.retrieve(SearchQuery(text: query, k: 5, mode: mode), from: .knowledge).chunks)))
                } catch {
                    results.append((mode, .failure(error)))
                }
            }
        }
        return Console.html(ConsolePages.retrieval(evaluations, query: query, results: results, session: session, csrf: csrf))
    }

    // MARK: - parameters

    private static func jobKind(_ text: String?) throws -> String? {
        guard let text, !text.isEmpty else { return nil }
        guard text.utf8.count <= 64, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }) else {
            throw APIError.badRequest("kind", "expected a stage such as interaction or embed:1")
        }
        return text
    }

    private static func jobState(_ text: String?) throws -> ConsoleData.JobState? {
        guard let text, !text.isEmpty else { return nil }
        guard let state = ConsoleData.JobState(rawValue: text) else {
            throw APIError.badRequest("state", "expected " + ConsoleData.JobState.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return state
    }

    private static func reviewFilter(mode: String?, language: String?) throws -> Reviews.Filter {
        var filter = Reviews.Filter()
        if let mode, !mode.isEmpty {
            guard let value = Mode(rawValue: mode) else { throw APIError.badRequest("mode", "expected personal or university") }
            filter.mode = value
        }
        if let language, !language.isEmpty {
            if let problem = InputLimits.language.problem(language) { throw APIError.badRequest("language", problem) }
            filter.language = language
        }
        return filter
    }

    private static func filterQuery(_ filter: Reviews.Filter) -> String {
        (filter.mode.map { "&mode=" + $0.rawValue } ?? "") + (filter.language.map { "&language=" + Console.queryEscape($0) } ?? "")
    }

    /// The line shown after an action (from the redirect's `done`), never a text of the request.
    private static func flash(_ done: String) -> String? {
        switch done {
        case "approve": return "Approved. Here is the next exchange."
        case "reject": return "Rejected. Here is the next exchange."
        case "correct": return "Correction saved; it will be in the next export. Here is the next exchange."
        case "gone": return "That exchange can no longer be decided (another reviewer holds it, or its consent was withdrawn)."
        default:
            let parts = done.split(separator: "-")
            guard parts.count == 2, ["retry", "discard"].contains(parts[0]), let n = Int(parts[1]) else { return nil }
            return parts[0] == "retry" ? "Retried \(n) job\(n == 1 ? "" : "s")." : "Discarded \(n) job\(n == 1 ? "" : "s")."
        }
    }
}
