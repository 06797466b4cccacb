import Foundation

/// A knowledge document as a producer gives it: a JSON Lines object
/// `{"id", "title", "text", "source"?, "language"?}`, or a `.md`/`.txt` file.
public struct DocumentRecord: Sendable, Equatable {
    public var id: String
    public var title: String
    public var text: String
    public var source: String?
    public var language: String?

    public init(id: String, title: String, text: String, source: String?, language: String?) {
        self.id = id
        self.title = title
        self.text = text
        self.source = source
        self.language = language
    }

    /// Parses one JSON Lines line; errors name the line and the field.
    public static func parse(line: some Collection<UInt8>, number: Int) throws(LineError) -> DocumentRecord {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw LineError(line: number, field: nil, expected: "expected a JSON object")
        }
        if let key = JSONDuplicateKeys.first(in: line) {
            throw LineError(line: number, field: key, expected: "appears twice in one object (parsers disagree on which one counts)")
        }
        func text(_ key: String, required: Bool) throws(LineError) -> String? {
            guard let value = object[key], !(value is NSNull) else {
                if required { throw LineError(line: number, field: key, expected: "expected a non-empty string, found nothing") }
                return nil
            }
            guard let string = value as? String else {
                throw LineError(line: number, field: key, expected: "expected a string")
            }
            if required, string.isBlank {
                throw LineError(line: number, field: key, expected: "expected a non-empty string")
            }
            return string
        }
        let known: Set<String> = ["id", "title", "text", "source", "language"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw LineError(line: number, field: unknown, expected: "unknown field (expected id, title, text, source, language)")
        }
        let record = DocumentRecord(
            id: try text("id", required: true)!, title: try text("title", required: true)!,
            text: try text("text", required: true)!, source: try text("source", required: false),
            language: try text("language", required: false))
        try record.checkLimits(line: number)
        return record
    }

    /// The limits of `InputLimits`, for JSON lines and files alike; the error names the field.
    public func checkLimits(line: Int) throws(LineError) {
        let fields: [(String, String?, TextLimit)] = [
            ("id", id, InputLimits.documentID), ("title", title, InputLimits.title), ("text", text, InputLimits.documentText),
            ("source", source, InputLimits.documentID), ("language", language, InputLimits.language),
        ]
        for (name, value, limit) in fields {
            if let value, let problem = limit.problem(value) { throw LineError(line: line, field: name, expected: problem) }
        }
    }

    /// A document from a file: the id and source are its path relative to the ingested
    /// folder; the title is its first Markdown heading (else the file name); a language tag
    /// before the extension (`goal-setting.sv.md`) sets the language.
    public static func fromFile(relativePath: String, contents: String) -> DocumentRecord {
        let name = (relativePath as NSString).lastPathComponent
        let parts = name.split(separator: ".")
        let language = parts.count >= 3 && parts[parts.count - 2].count == 2 && parts[parts.count - 2].allSatisfy({ $0.isASCII && $0.isLetter }) ? String(parts[parts.count - 2]) : nil
        let heading = contents.split(separator: "\n", omittingEmptySubsequences: true).lazy
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("# ") }
            .map { String($0.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
        return DocumentRecord(
            id: relativePath, title: heading ?? String(parts.first ?? Substring(name)), text: contents,
            source: relativePath, language: language)
    }
}
