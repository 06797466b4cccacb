import CoachSpoolCore
import Crypto
import Foundation
import Review

/// The tokens `serve` accepts, by kind: API tokens (`COACHSPOOL_API_TOKENS`, may do everything)
/// and reviewer tokens (`COACHSPOOL_REVIEWER_TOKENS`, the review endpoints and the console's
/// Review page only). Compared by SHA-256 digest, so timing says nothing about their bytes; a
/// token's pseudonymous id (`ReviewerID`) is what the audit log and the reviews record.
public struct Credentials: Sendable {
    private let api: Set<Data>
    private let reviewers: Set<Data>
    private let actors: Set<String>
    /// Keys the console's session cookies and CSRF tokens: derived from every accepted token, so
    /// that every `serve` with the same tokens accepts the same sessions, and removing a token
    /// ends every session.
    let sessionKey: Data

    /// Shorter tokens are refused at start: a token is the API's only secret.
    public static var minimumLength: Int { 32 }

    public init(apiTokens: [String], reviewerTokens: [String] = []) {
        api = Set(apiTokens.map(Self.digest))
        reviewers = Set(reviewerTokens.map(Self.digest))
        actors = Set(apiTokens.map { ReviewerID(token: $0, kind: .api).rawValue } + reviewerTokens.map { ReviewerID(token: $0, kind: .reviewer).rawValue })
        let material = (apiTokens.sorted() + ["\u{0}reviewers\u{0}"] + reviewerTokens.sorted()).joined(separator: "\n")
        sessionKey = Data(HMAC<SHA256>.authenticationCode(for: Data(material.utf8), using: SymmetricKey(data: Data("coachspool-console-v1".utf8))))
    }

    /// The kind of a presented token; nil for an unknown one.
    public func kind(of token: some StringProtocol) -> ReviewerID.Kind? {
        let digest = Self.digest(token)
        if api.contains(digest) { return .api }
        if reviewers.contains(digest) { return .reviewer }
        return nil
    }

    /// Whether a session's actor is still one of the configured tokens' (a removed token ends
    /// its sessions at once; the key change ends them too, this says it without relying on that).
    func knows(_ actor: ReviewerID) -> Bool { actors.contains(actor.rawValue) }

    private static func digest(_ token: some StringProtocol) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }

    /// The configured tokens: API tokens are required (the API never runs open), reviewer
    /// tokens optional. From the environment or files, never the command line.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Credentials {
        let api = try tokens(environment, "COACHSPOOL_API_TOKENS", kind: "API")
        guard !api.isEmpty else {
            throw CoachSpoolError(.configuration, "no API token: set COACHSPOOL_API_TOKENS or COACHSPOOL_API_TOKENS_FILE (the API never runs without authentication)")
        }
        let reviewers = try tokens(environment, "COACHSPOOL_REVIEWER_TOKENS", kind: "reviewer")
        if !Set(api).isDisjoint(with: reviewers) {
            throw CoachSpoolError(.configuration, "a token is both an API token and a reviewer token; give reviewers tokens of their own")
        }
        return Credentials(apiTokens: api, reviewerTokens: reviewers)
    }

    /// Tokens from `NAME` (comma- or newline-separated) and the file `NAME_FILE` (one per line;
    /// `#` starts a comment line).
    static func tokens(_ environment: [String: String], _ name: String, kind: String) throws -> [String] {
        var text = environment[name] ?? ""
        if let path = environment[name + "_FILE"], !path.isEmpty {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw CoachSpoolError(.configuration, "\(name)_FILE cannot be read", file: path)
            }
            text += "\n" + String(decoding: contents, as: UTF8.self)
        }
        let tokens = text.split(whereSeparator: { $0 == "," || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if let short = tokens.firstIndex(where: { $0.count < minimumLength }) {
            throw CoachSpoolError(
                .configuration,
                "\(kind) token \(short + 1) is shorter than \(minimumLength) characters; make one with: openssl rand -hex 32")
        }
        return tokens
    }
}
