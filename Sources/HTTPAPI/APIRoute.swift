import HTTPTypes

/// The API's routes: one table for registering them, for 405's `Allow`, for metric labels, and
/// for the endpoint list of `coachspool serve --help`.
public enum APIRoute: String, CaseIterable, Sendable {
    case interactions = "/v1/interactions", feedback = "/v1/feedback", consent = "/v1/consent"
    case search = "/v1/search", rag = "/v1/rag", recall = "/v1/recall", embeddings = "/v1/embeddings"
    case reviewNext = "/v1/review/next", reviewQueue = "/v1/review/queue", review = "/v1/review"
    case ready = "/ready", metrics = "/metrics"

    /// What the endpoint does, in one short line (the help text).
    public var summary: String {
        switch self {
        case .interactions: "log an exchange; 201 with its id"
        case .feedback: "a rating and/or helpful for a logged exchange"
        case .consent: "grant or revoke a user's training or retrieval consent"
        case .search: "knowledge chunks and/or conversation memory"
        case .rag: "the coaching prompt with its sources (and an answer)"
        case .recall: "a user's earlier exchanges nearest to a query"
        case .embeddings: "OpenAI-compatible embeddings"
        case .reviewNext: "the next exchange to review, held for you"
        case .reviewQueue: "the exchanges waiting for review, newest first"
        case .review: "approve, reject or correct an exchange; 201"
        case .ready: "readiness: 200 while the database answers (no token)"
        case .metrics: "Prometheus metrics (no token)"
        }
    }

    /// One line per route, `METHOD /path  summary`, aligned: the help text's list.
    public static func list(indent: String = "") -> String {
        let width = allCases.map { $0.method.rawValue.count + 1 + $0.rawValue.count }.max() ?? 0
        return allCases.map { route in
            let head = "\(route.method.rawValue) \(route.rawValue)"
            return indent + head + String(repeating: " ", count: width - head.count + 2) + route.summary
        }.joined(separator: "\n")
    }

    public var method: HTTPRequest.Method {
        switch self {
        case .ready, .metrics, .reviewNext, .reviewQueue: .get
        default: .post
        }
    }

    /// The path as the router takes it (no leading slash).
    var routerPath: String { String(rawValue.dropFirst()) }

    /// Requests without a token: probes and the scraper.
    var isOpen: Bool { self == .ready || self == .metrics }

    /// What a reviewer token may use.
    var allowsReviewers: Bool { self == .reviewNext || self == .reviewQueue || self == .review }

    /// The route a path belongs to, ignoring repeated and trailing slashes as the router does.
    init?(path: String) {
        let normalized = "/" + path.split(separator: "/").joined(separator: "/")
        self.init(rawValue: normalized)
    }

    static func methods(of path: String) -> [HTTPRequest.Method] {
        APIRoute(path: path).map { [$0.method] } ?? []
    }

    /// The metric label of a path: its route, or `unmatched` (a bounded set either way).
    static func template(of path: String) -> String {
        APIRoute(path: path)?.rawValue ?? "unmatched"
    }
}
