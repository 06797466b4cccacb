import HTTPTypes

/// The API's routes: one table for registering them, for 405's `Allow`, and for metric labels.
public enum APIRoute: String, CaseIterable, Sendable {
    case interactions = "/v1/interactions", feedback = "/v1/feedback", consent = "/v1/consent"
    case search = "/v1/search", rag = "/v1/rag", recall = "/v1/recall", embeddings = "/v1/embeddings"
    case ready = "/ready", metrics = "/metrics"

    public var method: HTTPRequest.Method {
        switch self {
        case .ready, .metrics: .get
        default: .post
        }
    }

    /// The path as the router takes it (no leading slash).
    var routerPath: String { String(rawValue.dropFirst()) }

    /// Requests without a token: probes and the scraper.
    var isOpen: Bool { self == .ready || self == .metrics }

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
