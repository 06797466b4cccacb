import Foundation

/// A Swift value sent as a text-format parameter. The server casts it to the column or
/// parameter type, so statements add explicit casts (`$1::bigint[]`) where inference needs help.
public protocol PGEncodable: Sendable {
    var pgText: String { get }
}

extension String: PGEncodable { public var pgText: String { self } }
extension Substring: PGEncodable { public var pgText: String { String(self) } }
extension Int: PGEncodable { public var pgText: String { String(self) } }
extension Int16: PGEncodable { public var pgText: String { String(self) } }
extension Int32: PGEncodable { public var pgText: String { String(self) } }
extension Int64: PGEncodable { public var pgText: String { String(self) } }
extension Bool: PGEncodable { public var pgText: String { self ? "t" : "f" } }
extension Double: PGEncodable {
    public var pgText: String { "\(self)" }
}

extension Date: PGEncodable {
    /// Microsecond-precision ISO 8601 in UTC, which `timestamptz` parses exactly.
    public var pgText: String {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        return PGTimestamp.isoText(microsSinceUnixEpoch: Int64(micros))
    }
}

/// A PostgreSQL array literal (`{a,b,"c d"}`) built from encodable elements.
extension Array: PGEncodable where Element: PGEncodable {
    public var pgText: String {
        var out = "{"
        for (index, element) in enumerated() {
            if index > 0 { out += "," }
            out += PGArrayLiteral.quote(element.pgText)
        }
        return out + "}"
    }
}

enum PGArrayLiteral {
    static func quote(_ text: String) -> String {
        var out = "\""
        for ch in text.unicodeScalars {
            if ch == "\"" || ch == "\\" { out += "\\" }
            out.unicodeScalars.append(ch)
        }
        return out + "\""
    }
}

/// Timestamp helpers shared by encoders and the binary COPY writer.
public enum PGTimestamp {
    /// Microseconds between 1970-01-01 and 2000-01-01 (PostgreSQL's epoch).
    public static let postgresEpochOffsetMicros: Int64 = 946_684_800_000_000

    public static func isoText(microsSinceUnixEpoch micros: Int64) -> String {
        let seconds = Int(floorDiv(micros, 1_000_000))
        let fraction = Int(micros - Int64(seconds) * 1_000_000)
        var days = floorDiv(Int64(seconds), 86_400)
        let secondOfDay = Int(Int64(seconds) - days * 86_400)
        // civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian.
        days += 719_468
        let era = floorDiv(days, 146_097)
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        var year = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        if month <= 2 { year += 1 }
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(Int64(secondOfDay / 3600), 2)):\(pad(Int64(secondOfDay / 60 % 60), 2)):\(pad(Int64(secondOfDay % 60), 2))"
            + ".\(pad(Int64(fraction), 6))Z"
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
