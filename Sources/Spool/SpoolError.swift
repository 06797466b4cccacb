/// An error of the spool engine, with what the user can do about it in `message`.
public struct SpoolError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public static let configuration = Code(name: "configuration")
        public static let schema = Code(name: "schema")
        public static let input = Code(name: "input")
        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
