/// A Swift value decoded from a text-format result column.
public protocol PGDecodable {
    init?(pgText: String)
}

extension String: PGDecodable { public init?(pgText: String) { self = pgText } }
extension Int: PGDecodable { public init?(pgText: String) { self.init(pgText, radix: 10) } }
extension Int32: PGDecodable { public init?(pgText: String) { self.init(pgText, radix: 10) } }
extension Int64: PGDecodable { public init?(pgText: String) { self.init(pgText, radix: 10) } }
extension Double: PGDecodable { public init?(pgText: String) { self.init(pgText) } }
extension Bool: PGDecodable {
    public init?(pgText: String) {
        switch pgText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

/// One-dimensional arrays of simple elements (`{a,"b c",NULL}`); NULL elements are not allowed.
extension Array: PGDecodable where Element: PGDecodable {
    public init?(pgText: String) {
        guard let items = PGArrayParser.parse(pgText) else { return nil }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let item, let value = Element(pgText: item) else { return nil }
            out.append(value)
        }
        self = out
    }
}

enum PGArrayParser {
    /// Parses a one-dimensional array literal; `nil` elements are SQL NULLs.
    static func parse(_ text: String) -> [String?]? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        var items: [String?] = []
        var index = 1
        let end = scalars.count - 1
        if index == end { return [] }
        while index < end {
            var item = String.UnicodeScalarView()
            var quoted = false
            if scalars[index] == "\"" {
                quoted = true
                index += 1
                while index < end, scalars[index] != "\"" {
                    if scalars[index] == "\\" { index += 1 }
                    item.append(scalars[index])
                    index += 1
                }
                index += 1  // closing quote
            } else {
                while index < end, scalars[index] != "," {
                    item.append(scalars[index])
                    index += 1
                }
            }
            let value = String(item)
            items.append(!quoted && value == "NULL" ? nil : value)
            index += 1  // comma
        }
        return items
    }
}
