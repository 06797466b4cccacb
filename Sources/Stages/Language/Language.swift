/// The languages the coach has its own prompts and stemming for: Swedish, the seed's, and English.
///
/// Two rules, each defined here once:
/// - **What a tag means** (`init(tag:)`): the rule of `schema/functions/text_config.sql`, mirrored
///   (`LanguageTagTests` holds the two to one list of tags). Lower-cased, `sv`, `swe`, `swedish`
///   or `svenska`, alone or followed by `-` or `_` and anything (`sv-SE`), is Swedish; `en`,
///   `eng` or `english` likewise English; any other tag, and none, is neither.
/// - **Which language a prompt is written in** (`resolve(tag:text:)`): the tag's when it names
///   Swedish or English; otherwise (no tag, or another language) the language `LanguageDetector`
///   finds in the text itself; otherwise Swedish, the seed's language.
public enum Language: String, Sendable, CaseIterable, Codable, Hashable {
    case sv, en

    /// The language of prompts that neither a tag nor the text decides.
    public static let fallback = Language.sv

    /// What `tag` means; nil for another language or none (text_config.sql's `simple`).
    public init?(tag: String?) {
        guard let tag else { return nil }
        let lowered = tag.lowercased()
        let head = lowered.prefix { $0 != "-" && $0 != "_" }
        switch head {
        case "sv", "swe", "swedish", "svenska": self = .sv
        case "en", "eng", "english": self = .en
        default: return nil
        }
    }

    /// The language to write a prompt in for text tagged `tag`: the tag's, else the detected one
    /// (`text` is only read when the tag does not decide), else `fallback`.
    public static func resolve(tag: String?, text: () -> String) -> Language {
        Language(tag: tag) ?? LanguageDetector.detect(text()) ?? fallback
    }

    /// A stored tag in counts (`spaces`, `status`): `sv` or `en` for every tag meaning them,
    /// another tag lower-cased, `none` for no language.
    public static func label(_ tag: String?) -> String {
        guard let tag else { return "none" }
        return Language(tag: tag)?.rawValue ?? tag.lowercased()
    }
}
