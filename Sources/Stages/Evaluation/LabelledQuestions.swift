import CoachSpoolCore
import Foundation

/// A labelled retrieval set in BEIR's layout: `queries.jsonl` (`{"_id", "text"}` per line) and
/// qrels, either BEIR's TSV (`query-id`, `corpus-id`, `score`, with a header row) or TREC's
/// (`qid 0 docno rel`, whitespace-separated). Corpus ids are document ids of the knowledge base,
/// or `chunk:<id>` for judgements of single chunks.
public struct LabelledQuestions: Sendable, Equatable {
    public struct Question: Sendable, Equatable {
        public var id: String
        public var text: String
        /// Document id → graded relevance (0 = judged not relevant).
        public var relevance: [String: Int]
    }

    /// Questions with at least one judgement, in the order of the queries file.
    public var questions: [Question]

    /// Parses both files; errors name the file, line and field. Queries without judgements are
    /// left out (BEIR's queries files often cover several splits); judgements of unknown
    /// queries are an error (a typo in the id would silently drop a question).
    public init(queries: Data, queriesFile: String, qrels: Data, qrelsFile: String) throws(CoachSpoolError) {
        var texts: [(id: String, text: String)] = []
        var seen = Set<String>()
        for (number, line) in Self.lines(queries) {
            let object: [String: Any]
            do {
                guard let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw CoachSpoolError(.input, "expected a JSON object {\"_id\", \"text\"}", file: queriesFile, line: number)
                }
                object = parsed
            } catch let error as CoachSpoolError {
                throw error
            } catch {
                throw CoachSpoolError(.input, "not valid JSON", file: queriesFile, line: number)
            }
            guard let id = object["_id"] as? String, !id.isEmpty else {
                throw CoachSpoolError(.input, "_id: expected a non-empty string", file: queriesFile, line: number)
            }
            guard let text = object["text"] as? String, !text.isBlank else {
                throw CoachSpoolError(.input, "text: expected a non-empty string", file: queriesFile, line: number)
            }
            guard seen.insert(id).inserted else {
                throw CoachSpoolError(.input, "_id: \(id) appears twice", file: queriesFile, line: number)
            }
            texts.append((id, text))
        }
        var relevance: [String: [String: Int]] = [:]
        for (number, line) in Self.lines(qrels) {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init)
            if number == 1, fields.first == "query-id" { continue }  // BEIR's header
            let (query, document, grade): (String, String, String)
            switch fields.count {
            case 3: (query, document, grade) = (fields[0], fields[1], fields[2])
            case 4: (query, document, grade) = (fields[0], fields[2], fields[3])
            default:
                throw CoachSpoolError(.input, "expected query-id, corpus-id, score (TSV) or qid 0 docno rel (TREC)", file: qrelsFile, line: number)
            }
            guard let value = Int(grade) else {
                throw CoachSpoolError(.input, "score: expected an integer relevance", file: qrelsFile, line: number)
            }
            guard seen.contains(query) else {
                throw CoachSpoolError(.input, "query-id: \(query) is not in \(queriesFile)", file: qrelsFile, line: number)
            }
            relevance[query, default: [:]][document] = value
        }
        questions = texts.compactMap { item in
            relevance[item.id].map { Question(id: item.id, text: item.text, relevance: $0) }
        }
        guard questions.contains(where: { $0.relevance.values.contains { $0 >= 1 } }) else {
            throw CoachSpoolError(.input, "no question has a relevant document (score >= 1)", file: qrelsFile)
        }
    }

    /// Non-blank lines with their 1-based numbers (`LineReader`'s rules: `\r\n` ends, a BOM).
    private static func lines(_ data: Data) -> [(Int, String)] {
        LineReader.lines(of: data).filter { !$0.isBlank }.map { ($0.number, $0.text) }
    }
}
