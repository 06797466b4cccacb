import Crypto
import Foundation
import Review

/// A console session: who signed in (the kind of token and its pseudonymous id) and until when,
/// carried in a cookie the server signs (HMAC-SHA256 with `Credentials.sessionKey`), so that
/// every `serve` with the same tokens accepts it and nothing is kept in memory. The CSRF token of
/// a session is derived from its nonce with the same key: a form must send it back.
struct ConsoleSession: Sendable, Equatable {
    static let cookieName = "coachspool_session"
    /// Eight hours: a working day, then sign in again.
    static let lifetime: TimeInterval = 8 * 3600

    var kind: ReviewerID.Kind
    var actor: ReviewerID
    var expires: Date
    var nonce: String

    init(kind: ReviewerID.Kind, actor: ReviewerID, expires: Date, nonce: String = Self.randomNonce()) {
        self.kind = kind
        self.actor = actor
        self.expires = expires
        self.nonce = nonce
    }

    static func randomNonce() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
    }

    /// `kind.actor.expiry.nonce.mac`: none of the parts holds a `.` (actor ids use `:`, not `.`,
    /// when made from a token).
    func cookieValue(key: Data) -> String {
        let payload = "\(kind.rawValue).\(actor.rawValue).\(Int(expires.timeIntervalSince1970)).\(nonce)"
        return payload + "." + Self.mac(payload, key: key)
    }

    /// The session a cookie value carries, if its signature holds and it has not expired.
    init?(cookieValue value: Substring, key: Data, now: Date = Date()) {
        guard value.utf8.count <= 256 else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 5 else { return nil }
        let payload = parts[0..<4].joined(separator: ".")
        guard Self.constantTimeEqual(Self.mac(payload, key: key), String(parts[4])),
              let kind = ReviewerID.Kind(rawValue: String(parts[0])), let actor = ReviewerID(String(parts[1])),
              let seconds = Int(parts[2])
        else { return nil }
        let expires = Date(timeIntervalSince1970: TimeInterval(seconds))
        guard expires > now else { return nil }
        self.init(kind: kind, actor: actor, expires: expires, nonce: String(parts[3]))
    }

    /// The token every form of this session carries.
    func csrfToken(key: Data) -> String { Self.mac("csrf." + nonce, key: key) }

    func acceptsCSRF(_ token: String?, key: Data) -> Bool {
        guard let token else { return false }
        return Self.constantTimeEqual(csrfToken(key: key), token)
    }

    /// The `Set-Cookie` of this session: HttpOnly (no script reads it), SameSite=Strict (no
    /// other site's page sends it), limited to the console's paths, expiring with the session.
    func setCookie(key: Data, secure: Bool) -> String {
        let age = max(0, Int(expires.timeIntervalSinceNow))
        return "\(Self.cookieName)=\(cookieValue(key: key)); Path=\(Console.prefix)/; Max-Age=\(age); HttpOnly; SameSite=Strict"
            + (secure ? "; Secure" : "")
    }

    static var clearCookie: String {
        "\(cookieName)=; Path=\(Console.prefix)/; Max-Age=0; HttpOnly; SameSite=Strict"
    }

    /// The session cookie's value in a `Cookie` header.
    static func cookie(in header: String) -> Substring? {
        for part in header.split(separator: ";") {
            let pair = part.drop { $0 == " " }
            if pair.hasPrefix(cookieName + "=") { return pair.dropFirst(cookieName.count + 1) }
        }
        return nil
    }

    private static func mac(_ text: String, key: Data) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: key)).map { String(format: "%02x", $0) }.joined()
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
