/// A SQL statement whose interpolated values become `$n` parameters, never SQL text.
///
///     let q: PGQuery = "select id from coachspool.jobs where state = \(state) limit \(n)"
///     // sql: "select id from coachspool.jobs where state = $1 limit $2", two binds
///
/// Queries compose with `+`: the right side's parameters are renumbered after the left side's,
/// so a statement can be built from parts that each number their own values from `$1`.
/// SQL text that is not a literal must go through `init(unsafeSQL:)`, a deliberately loud name.
public struct PGQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var sql: String
    public private(set) var binds: [String?]
    /// The SQL between the parameters (one more piece than parameters), when the parameters
    /// were interpolated; nil for `unsafeSQL` with hand-numbered binds, which cannot be renumbered.
    private var pieces: [String]?

    public init(unsafeSQL sql: String, binds: [String?] = []) {
        self.sql = sql
        self.binds = binds
        self.pieces = binds.isEmpty ? [sql] : nil
    }

    public init(stringLiteral value: StaticString) {
        self.init(unsafeSQL: "\(value)")
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.binds = stringInterpolation.binds
        self.pieces = stringInterpolation.pieces + [stringInterpolation.current]
    }

    /// `lhs` then `rhs`, with `rhs`'s parameters numbered after `lhs`'s.
    public static func + (lhs: PGQuery, rhs: PGQuery) -> PGQuery {
        guard let right = rhs.pieces else {
            preconditionFailure("a query with hand-numbered parameters can only be the first part of a statement")
        }
        var result = lhs
        for (index, piece) in right.enumerated() {
            if index > 0 { result.sql += "$\(lhs.binds.count + index)" }
            result.sql += piece
        }
        result.binds += rhs.binds
        if let left = lhs.pieces {
            result.pieces = Array(left.dropLast()) + [left[left.count - 1] + right[0]] + right.dropFirst()
        }
        return result
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []
        var pieces: [String] = []
        var current = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: StaticString) {
            sql += "\(literal)"
            current += "\(literal)"
        }

        /// Splices SQL text, not a parameter: only for text the program itself declares (a
        /// record type built from a row type's column list), never for input.
        public mutating func appendInterpolation(unsafeSQL text: String) {
            sql += text
            current += text
        }

        public mutating func appendInterpolation(_ value: some PGEncodable) {
            bind(value.pgText)
        }

        public mutating func appendInterpolation(_ value: (some PGEncodable)?) {
            bind(value?.pgText)
        }

        private mutating func bind(_ text: String?) {
            binds.append(text)
            sql += "$\(binds.count)"
            pieces.append(current)
            current = ""
        }
    }

    /// The SQL text only: values are never printed.
    public var description: String { sql }
}
