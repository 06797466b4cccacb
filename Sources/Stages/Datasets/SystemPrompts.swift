import CoachSpoolCore
import Foundation

/// The system prompt of a fine-tuning example, per language and mode. Defaults: the seed's
/// Swedish prompts for `sv`, and English equivalents of them for `en`. Which language a
/// conversation gets is `Language.resolve`'s rule (its tag, else its detected language, else
/// Swedish).
public struct SystemPrompts: Sendable, Equatable {
    private var texts: [Language: [Mode: String]] = Self.defaults

    public static let defaults: [Language: [Mode: String]] = [
        .sv: [
            .personal: "Du är en AI-coach som hjälper användare med personlig utveckling.",
            .university: "Du är en AI-coach som hjälper med personlig utveckling och universitets-AI-implementation.",
        ],
        .en: [
            .personal: "You are an AI coach who helps users with personal development.",
            .university: "You are an AI coach who helps with personal development and AI implementation at universities.",
        ],
    ]

    public init() {}

    public func prompt(for mode: Mode, in language: Language) -> String {
        texts[language]![mode]!
    }

    public mutating func set(_ prompt: String, for mode: Mode, in language: Language) {
        texts[language]![mode] = prompt
    }

    /// Every prompt, languages then modes in declaration order: what the examples version hashes.
    public var all: [String] {
        Language.allCases.flatMap { language in Mode.allCases.map { prompt(for: $0, in: language) } }
    }

    /// Reads `--system-prompts`, in one of two shapes (any prompt left out keeps its default):
    /// - `{"personal": "…", "university": "…"}`: the prompts of those modes in every language
    ///   (the shape of releases before prompts had a language);
    /// - `{"sv": {"personal": "…", "university": "…"}, "en": {…}}`: per language.
    /// Errors name the field (`en.personal: expected a non-empty string`).
    public init(json: [UInt8]) throws(CoachSpoolError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw CoachSpoolError(.configuration, """
                expected a JSON object: {"personal": "…", "university": "…"} for every language, or \
                {"sv": {"personal": "…", "university": "…"}, "en": {…}}
                """)
        }
        let keys = object.keys.sorted()
        if let unknown = keys.first(where: { Mode(rawValue: $0) == nil && Language(rawValue: $0) == nil }) {
            throw CoachSpoolError(.configuration, "\(unknown): unknown mode or language; expected personal, university (for every language) or sv, en")
        }
        let languages = keys.compactMap(Language.init(rawValue:))
        guard !languages.isEmpty else {
            try read(object, field: "", into: Language.allCases)
            return
        }
        if let mode = keys.first(where: { Mode(rawValue: $0) != nil }) {
            throw CoachSpoolError(.configuration, "\(mode): a mode beside languages; give either modes (for every language) or languages, each with its modes")
        }
        for language in languages {
            guard let modes = object[language.rawValue] as? [String: Any] else {
                throw CoachSpoolError(.configuration, "\(language.rawValue): expected an object {\"personal\": \"…\", \"university\": \"…\"}")
            }
            try read(modes, field: "\(language.rawValue).", into: [language])
        }
    }

    private mutating func read(_ object: [String: Any], field prefix: String, into languages: [Language]) throws(CoachSpoolError) {
        if let unknown = object.keys.sorted().first(where: { Mode(rawValue: $0) == nil }) {
            throw CoachSpoolError(.configuration, "\(prefix)\(unknown): unknown mode; expected personal or university")
        }
        for mode in Mode.allCases {
            guard let value = object[mode.rawValue] else { continue }
            guard let text = value as? String, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw CoachSpoolError(.configuration, "\(prefix)\(mode.rawValue): expected a non-empty string")
            }
            for language in languages { set(text, for: mode, in: language) }
        }
    }
}
