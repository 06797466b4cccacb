import Foundation
import Testing

extension DatabaseTests {
    /// README's "Your first hour", run as written: every `coachspool` line of its `sh` blocks in
    /// order, on a fresh database, and every line of its output blocks found in what they printed
    /// (a worker's id, table rows and `…` excepted). The path a newcomer follows cannot drift
    /// from what the commands say.
    @Suite struct FirstHourTests {
        struct Section {
            var commands: [[String]]
            var expected: [String]
        }

        static func section() throws -> Section {
            let readme = try String(contentsOf: Repository.path("README.md"), encoding: .utf8)
            let start = try #require(readme.range(of: "## Your first hour\n"))
            let end = try #require(readme.range(of: "\n## ", range: start.upperBound..<readme.endIndex))
            var section = Section(commands: [], expected: [])
            var fence: String?
            for line in readme[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("```") {
                    fence = fence == nil ? String(line.dropFirst(3)) : nil
                    continue
                }
                switch fence {
                case "sh":
                    guard line.hasPrefix("coachspool ") else { continue }
                    let command = line.components(separatedBy: "  #")[0].trimmingCharacters(in: .whitespaces)
                    section.commands.append(try Self.words(command))
                case "":
                    let text = line.trimmingCharacters(in: .whitespaces)
                    if text.isEmpty || text == "…" || text.hasPrefix("worker ") || text.contains("|") || text.hasPrefix("---") { continue }
                    section.expected.append(text)
                default:
                    continue
                }
            }
            return section
        }

        /// Shell words of a README line: plain words and double-quoted strings, nothing more.
        static func words(_ line: String) throws -> [String] {
            var words: [String] = [], current = "", quoted = false
            for character in line {
                if character == "\"" { quoted.toggle(); continue }
                if character == " " && !quoted {
                    if !current.isEmpty { words.append(current) }
                    current = ""
                } else {
                    current.append(character)
                }
            }
            if !current.isEmpty { words.append(current) }
            #expect(!quoted, "an unclosed quote in README: \(line)")
            return Array(words.dropFirst())
        }

        @Test func theFirstHourRunsAsTheReadmeSays() async throws {
            let section = try Self.section()
            #expect(section.commands.count >= 10 && section.expected.count >= 8, "\(section.commands)")
            try await TestDatabase.with { db in
                let out = temporaryFile("first-hour")
                let repository = Repository.root.path
                var printed = "", consented = false
                for command in section.commands {
                    let arguments = command.map { word in
                        word == "/tmp/first-hour" ? out.path : word.hasPrefix("scripts/") ? repository + "/" + word : word
                    }
                    let result = try await CoachSpoolProcess.run(arguments, database: db, timeout: 300)
                    // The export before anyone consented has nothing to write: exit status 4, as README says.
                    consented = consented || command.first == "consent"
                    #expect(result.status == (command.first == "export" && !consented ? 4 : 0), "\(command): \(result.err)")
                    printed += result.out + result.err
                }
                for line in section.expected {
                    let wanted = line.replacingOccurrences(of: "/tmp/first-hour", with: out.path)
                        .replacingOccurrences(of: "scripts/sample-data", with: repository + "/scripts/sample-data")
                    #expect(printed.contains(wanted), "README's first hour promises \"\(line)\"; the commands printed:\n\(printed)")
                }
            }
        }
    }
}
