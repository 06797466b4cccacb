import Foundation

/// The JSON Lines formats `coachspool ingest` reads.
public enum InputFormat: String, Sendable, CaseIterable {
    /// The seed's log line: one exchange per line.
    case interactions
    /// The seed's `coaching_session` object: one conversation per line.
    case sessions
}

/// Turns one input line into records, or says exactly why not. Pure: no I/O.
public struct LineParser: Sendable {
    public var format: InputFormat
    /// The mode of lines that do not name one.
    public var defaultMode: Mode

    public init(format: InputFormat, defaultMode: Mode = .personal) {
        self.format = format
        self.defaultMode = defaultMode
    }

    /// Parses the bytes of one line (without its newline). `line` is 1-based.
    public func parse(_ bytes: some Collection<UInt8>, line: Int) -> Result<[InteractionRecord], LineError> {
        if format == .interactions, let raw = bytes.withContiguousStorageIfAvailable(FastLogLine.parse) ?? nil,
           let record = try? raw.record(line: line, defaultMode: defaultMode)
        {
            return .success([record])
        }
        return parseWithDecoder(bytes, line: line)
    }

    /// The reference path: `JSONDecoder` and the field checks of `RawRecords.swift`, which name
    /// the field at fault. Every line the fast scanner is not sure of comes here.
    func parseWithDecoder(_ bytes: some Collection<UInt8>, line: Int) -> Result<[InteractionRecord], LineError> {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(LineError(line: line, field: nil, expected: "not valid UTF-8"))
        }
        do {
            switch format {
            case .interactions:
                let raw = try JSONLine.decode(RawInteraction.self, from: text)
                try Self.refuseDuplicateKeys(bytes)
                return .success([try raw.record(line: line, defaultMode: defaultMode)])
            case .sessions:
                let raw = try JSONLine.decode(RawSession.self, from: text)
                try Self.refuseDuplicateKeys(bytes)
                return .success(try raw.records(line: line, defaultMode: defaultMode))
            }
        } catch let problem as FieldProblem {
            return .failure(LineError(line: line, field: problem.field, expected: problem.expected + Self.otherFormatHint(text, readAs: format)))
        } catch {
            return .failure(LineError(line: line, field: nil, expected: "not valid JSON"))
        }
    }

    /// When a line has the telling field of the other format (a session's `conversation`, an
    /// interaction's `user_input`), the likely mistake is the `--format`: say so.
    static func otherFormatHint(_ text: String, readAs format: InputFormat) -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return "" }
        switch format {
        case .interactions where object["conversation"] != nil && object["user_input"] == nil:
            return " (this line is a session, with a conversation: did you mean --format sessions?)"
        case .sessions where object["user_input"] != nil && object["conversation"] == nil:
            return " (this line is one interaction, with user_input: did you mean --format interactions?)"
        default:
            return ""
        }
    }

    /// A key given twice: parsers disagree on which one counts (the fast scanner never accepts one).
    private static func refuseDuplicateKeys(_ bytes: some Collection<UInt8>) throws {
        if let key = JSONDuplicateKeys.first(in: bytes) {
            throw FieldProblem(field: key, expected: "appears twice in one object (parsers disagree on which one counts)")
        }
    }
}
