import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Stages

/// An error answer in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, for every
/// endpoint: clients written for OpenAI read it, and `param` names the field at fault.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var param: String?
    var code: String?

    init(status: HTTPResponse.Status, message: String, param: String?, code: String?, allowed: [String]? = nil) {
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.allowed = allowed
    }

    /// What a client gets for a failure of ours: no error text (it could quote the request),
    /// only the request id that finds the log line.
    static let `internal` = APIError(
        status: .internalServerError, message: "internal error; the server's log has the details under this request_id", param: nil,
        code: nil)

    static func badRequest(_ param: String?, _ message: String) -> APIError {
        APIError(status: .badRequest, message: param.map { "\($0): \(message)" } ?? message, param: param, code: nil)
    }

    var type: String {
        switch status.code {
        case 401: "authentication_error"
        case 404: "not_found_error"
        case 400..<500: "invalid_request_error"
        default: "server_error"
        }
    }

    /// The answer; `request_id` (also in the `X-Request-Id` header) lets an operator find the
    /// request's log line.
    func response(requestID: String?) -> Response {
        var error: [String: Any] = ["message": message, "type": type]
        error["param"] = param ?? NSNull()
        error["code"] = code ?? NSNull()
        if let requestID { error["request_id"] = requestID }
        let body = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
        var response = Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        if let allowed, !allowed.isEmpty { response.headers[.allow] = allowed.joined(separator: ", ") }
        return response
    }

    /// Methods a 405 names in `Allow`.
    var allowed: [String]?

    /// A client's value quoted in a message (a model name): at most 64 characters.
    static func quoted(_ value: String) -> String {
        value.count <= 64 ? value : String(value.prefix(64)) + "…"
    }
}

/// A JSON value as the request sent it (JSONDecoder keeps `true` and `1` apart, which
/// JSONSerialization on Linux does not).
enum JSONValue: Decodable, Sendable {
    case string(String), number(Double), bool(Bool), null, array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let value = try? c.decode(Bool.self) { self = .bool(value) }
        else if let value = try? c.decode(Double.self) { self = .number(value) }
        else if let value = try? c.decode(String.self) { self = .string(value) }
        else if let value = try? c.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}

/// A request's JSON object, with typed getters whose errors name the field and what was expected.
struct JSONBody {
    let object: [String: JSONValue]

    init(_ request: Request, limit: Int = 8 << 20) async throws {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(status: .contentTooLarge, message: "the body is larger than \(limit >> 20) MB", param: nil, code: nil)
        } catch {
            // The client went away or stopped sending (the body timeout, the shutdown deadline).
            throw APIError(status: .badRequest, message: "the body could not be read to its end", param: nil, code: nil)
        }
        let data = Data(buffer: buffer)
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw APIError.badRequest(nil, "expected a JSON object")
        }
        if let key = JSONDuplicateKeys.first(in: data) {
            throw APIError.badRequest(key, "appears twice in the object (parsers disagree on which one counts)")
        }
        self.object = object
    }

    subscript(field: String) -> JSONValue? {
        if case .null? = object[field] { return nil }
        return object[field]
    }

    func string(_ field: String, limit: TextLimit) throws -> String {
        guard let value = try optionalString(field, limit: limit) else { throw APIError.badRequest(field, "expected a non-empty string") }
        return value
    }

    /// A non-blank string within `limit` (size, no NUL, character set), or nil when absent.
    func optionalString(_ field: String, limit: TextLimit) throws -> String? {
        guard let raw = self[field] else { return nil }
        guard case .string(let value) = raw, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest(field, "expected a non-empty string")
        }
        if let problem = limit.problem(value) { throw APIError.badRequest(field, problem) }
        return value
    }

    /// A case of `T`, by its raw value; absent is an error.
    func choice<T: RawRepresentable & CaseIterable>(_ field: String, _: T.Type) throws -> T where T.RawValue == String {
        guard let value = try optionalChoice(field, T.self) else { throw Self.expected(field, T.allCases.map(\.rawValue)) }
        return value
    }

    /// A case of `T`, by its raw value, or nil when absent.
    func optionalChoice<T: RawRepresentable & CaseIterable>(_ field: String, _: T.Type) throws -> T? where T.RawValue == String {
        try optionalChoice(field, T.allCases.map(\.rawValue)).flatMap(T.init(rawValue:))
    }

    /// One of `choices`, or nil when absent.
    func optionalChoice(_ field: String, _ choices: [String]) throws -> String? {
        guard let raw = self[field] else { return nil }
        guard case .string(let value) = raw, choices.contains(value) else { throw Self.expected(field, choices) }
        return value
    }

    private static func expected(_ field: String, _ choices: [String]) -> APIError {
        APIError.badRequest(field, "expected " + choices.map { "\"\($0)\"" }.joined(separator: ", "))
    }

    func optionalInt(_ field: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let raw = self[field] else { return nil }
        guard case .number(let value) = raw, value == value.rounded(), value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw APIError.badRequest(field, "expected an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(value)
    }

    /// `true` or `false` (not `"true"`, not 1); absent is an error.
    func bool(_ field: String) throws -> Bool {
        guard let value = try optionalBool(field) else { throw APIError.badRequest(field, "expected true or false") }
        return value
    }

    func optionalBool(_ field: String) throws -> Bool? {
        guard let raw = self[field] else { return nil }
        guard case .bool(let value) = raw else { throw APIError.badRequest(field, "expected true or false") }
        return value
    }
}

/// A JSON answer.
/// A response whose body was written with `JSONWriter` (the retrieval answers).
func jsonResponse(writing body: (inout JSONWriter) -> Void, status: HTTPResponse.Status = .ok) -> Response {
    var json = JSONWriter()
    json.object(body)
    return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.bytes)))
}

func jsonResponse(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
}
