/// A SQL statement whose interpolated values become `$n` parameters, never SQL text.
///
///     let q: PGQuery = "select id from coachspool.jobs where state = \(state) limit \(n)"
///     // sql: "select id from coachspool.jobs where state = $1 limit $2", two binds
///
/// SQL text that is not a literal must go through `init(unsafeSQL:)`, a deliberately loud name.
public struct PGQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var sql: String
    public private(set) var binds: [String?]

    public init(unsafeSQL sql: String, binds: [String?] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: StaticString) {
        self.sql = "\(value)"
        self.binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.binds = stringInterpolation.binds
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: StaticString) {
            sql += "\(literal)"
        }

        public mutating func appendInterpolation(_ value: some PGEncodable) {
            binds.append(value.pgText)
            sql += "$\(binds.count)"
        }

        public mutating func appendInterpolation(_ value: (some PGEncodable)?) {
            binds.append(value?.pgText)
            sql += "$\(binds.count)"
        }
    }

    /// The SQL text only: values are never printed.
    public var description: String { sql }
}
