import Foundation
import HTTPTypes
import Hummingbird

/// An error answer in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, for every
/// endpoint: clients written for OpenAI read it, and `param` names the field at fault.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var param: String?
    var code: String?

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

    var response: Response {
        var error: [String: Any] = ["message": message, "type": type]
        error["param"] = param ?? NSNull()
        error["code"] = code ?? NSNull()
        let body = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
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
        } catch {
            throw APIError(status: .contentTooLarge, message: "the body is larger than \(limit >> 20) MB", param: nil, code: nil)
        }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer)) else {
            throw APIError.badRequest(nil, "expected a JSON object")
        }
        self.object = object
    }

    subscript(field: String) -> JSONValue? {
        if case .null? = object[field] { return nil }
        return object[field]
    }

    func string(_ field: String) throws -> String {
        guard let value = try optionalString(field) else { throw APIError.badRequest(field, "expected a non-empty string") }
        return value
    }

    func optionalString(_ field: String) throws -> String? {
        guard let raw = self[field] else { return nil }
        guard case .string(let value) = raw, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest(field, "expected a non-empty string")
        }
        return value
    }

    func optionalInt(_ field: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let raw = self[field] else { return nil }
        guard case .number(let value) = raw, value == value.rounded(), value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw APIError.badRequest(field, "expected an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(value)
    }

    func optionalBool(_ field: String) throws -> Bool? {
        guard let raw = self[field] else { return nil }
        guard case .bool(let value) = raw else { throw APIError.badRequest(field, "expected true or false") }
        return value
    }
}

/// A JSON answer.
func jsonResponse(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
}
