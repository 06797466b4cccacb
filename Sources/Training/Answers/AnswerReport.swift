import CoachSpoolCore
import Foundation
import Knowledge
import Spool
import Stages

extension AnswerEvaluation.Report {
    /// The table on stdout: one row per system, then what the judge can be trusted with.
    public var table: String {
        func f(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
        func interval(_ i: AnswerEvaluation.Interval, _ digits: Int) -> String { "\(f(i.mean, digits)) [\(f(i.low, digits)), \(f(i.high, digits))]" }
        let header = ["system", "loss", "ppl", "cosine [95% CI]", "chrF [95% CI]", "win vs base [95% CI]", "ans tok", "prompt tok", "s/answer", "train s", "trained tok"]
        var rows = [header]
        for s in systems {
            rows.append([
                s.name + (s.systemPromptFolded ? "*" : ""), s.loss.map { f($0, 3) } ?? "—", s.perplexity.map { f($0, 1) } ?? "—", interval(s.cosine, 3), interval(s.chrf, 1),
                s.winRate.map { "\(f($0.rate, 2)) [\(f($0.low, 2)), \(f($0.high, 2))]" } ?? "—",
                f(s.answerTokensMean, 1), f(s.promptTokensMean, 0), f(s.secondsPerAnswer, 2),
                s.trainingSeconds.map { f($0, 0) } ?? "—", s.trainedTokens.map(String.init) ?? "—",
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = [
            "\(questions) questions from \(conversations) held-out conversations (validation split of run \(runIDs.map(String.init).joined(separator: ", ")); set \(questionSetSHA256.prefix(16)))",
            "base model \(baseModelName); \(device); greedy decoding",
            "",
        ]
        lines += rows.map { row in zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        lines.append("")
        if systems.contains(where: \.systemPromptFolded) {
            lines.append("* the model's chat template refuses a system message: the system prompt was folded into the first user turn")
        }
        lines.append(judgeLine)
        lines.append("loss/ppl: of the users' accepted answers, teacher-forced (lower is better; says nothing about the model's own answers). cosine, chrF: closeness of the generated answer to the accepted one (higher is closer, not necessarily better).")
        return lines.joined(separator: "\n")
    }

    var judgeLine: String {
        guard let judgeModel else {
            return "no judge: set --judge-model or COACHSPOOL_JUDGE_MODEL (an OpenAI-compatible chat endpoint at COACHSPOOL_OPENAI_BASE_URL, key as for embeddings) for pairwise win rates"
        }
        guard let calibration else { return "judge \(judgeModel)" }
        let agreement = calibration.agreement.map { String(format: "%.0f %%", $0 * 100) } ?? "—"
        var line = "judge \(judgeModel): agrees with the users on \(calibration.agreed) of \(calibration.decided) decided rated pairs (\(agreement)), \(calibration.ties) ties, n \(calibration.pairs); each pair judged in both orders, a verdict counts only when both agree"
        if !calibration.isTrustworthy {
            line += "\nTHE JUDGE IS NOT TO BE TRUSTED HERE: its agreement with the users is below \(Int(PairwiseJudging.Calibration.trustThreshold * 100)) % (or it decided no pair); read its win rates as noise"
        }
        return line
    }

    /// The `--json` object (also answers_report.json).
    public var jsonObject: [String: Any] {
        var judge: Any = NSNull()
        if let judgeModel {
            var fields: [String: Any] = ["model": judgeModel]
            if let c = calibration {
                fields["calibration"] = [
                    "pairs": c.pairs, "decided": c.decided, "agreed": c.agreed, "ties": c.ties,
                    "agreement": c.agreement.map { $0 as Any } ?? NSNull(), "trustworthy": c.isTrustworthy,
                ]
            }
            judge = fields
        }
        return [
            "runs": runIDs.map(Int.init), "questions": questions, "conversations": conversations,
            "question_set_sha256": questionSetSHA256, "examples_version": examplesVersion, "device": device,
            "base_model": ["name": baseModelName, "config_sha256": baseModelConfigSHA256],
            "parameters": (try? JSONSerialization.jsonObject(with: Data(parametersJSON.utf8))) ?? [:],
            "judge": judge,
            "systems": systems.map { system in
                var fields = AnswerEvaluation.metrics(system, calibration: nil)
                fields["system"] = system.name
                fields["eval_run_id"] = system.evalRunID.map { Int($0) as Any } ?? NSNull()
                return fields
            },
        ]
    }
}

/// `--out`: answers_report.md (per question: the prompt, each system's answer, the real answer,
/// the verdicts), answers_report.json and answers_report.png (charts.py in the trainer's
/// environment). The Markdown quotes held-out conversations (redacted, as stored): it is personal
/// data, as the exports are.
enum AnswerReportFiles {
    static func write(
        _ report: AnswerEvaluation.Report, details: [(HeldOutQuestion, [SearchHit])], generated: AnswerGeneration.Result,
        verdicts: [String: [PairwiseJudging.Verdict]], to folder: URL, trainer: TrainerEnvironment, quiet: Bool
    ) throws -> [URL] {
        let markdown = folder.appendingPathComponent("answers_report.md")
        let json = folder.appendingPathComponent("answers_report.json")
        let chart = folder.appendingPathComponent("answers_report.png")
        var lines = ["# Answers: \(report.systems.map(\.name).joined(separator: " · "))", "", "```", report.table, "```", ""]
        for (index, (question, sources)) in details.enumerated() {
            lines += ["## \(index + 1). \(question.id)", ""]
            for message in question.prompt where message.role != .system {
                lines.append("> **\(message.role.rawValue)**: \(quoted(message.content))")
            }
            lines.append("")
            if !sources.isEmpty {
                lines.append("RAG context: " + sources.enumerated().map { "[\($0.offset + 1)] \($0.element.title)\($0.element.source.map { " — \($0)" } ?? "")" }.joined(separator: "; "))
                lines.append("")
            }
            lines.append("- **real accepted answer**: \(quoted(question.reference))")
            for system in generated.systems {
                let verdict = verdicts[system.name].map { " (\($0[index].rawValue) vs base)" } ?? ""
                lines.append("- **\(system.name)**\(verdict): \(quoted(system.answers[index].answer))")
            }
            lines.append("")
        }
        try write(Data(lines.joined(separator: "\n").utf8), to: markdown)
        try write(Data(AnswerEvaluation.json(report.jsonObject).utf8), to: json)

        let chartInput = folder.appendingPathComponent(".answers_chart.json")
        let systems: [[String: Any]] = report.systems.map { s in
            [
                "name": s.name,
                "metrics": [
                    "cosine": [s.cosine.mean, s.cosine.low, s.cosine.high], "chrf": [s.chrf.mean, s.chrf.low, s.chrf.high],
                    "win_rate": s.winRate.map { [$0.rate, $0.low, $0.high] as Any } ?? NSNull(), "perplexity": s.perplexity ?? NSNull(),
                ] as [String: Any],
            ]
        }
        try write(Data(AnswerEvaluation.json(["systems": systems]).utf8), to: chartInput)
        defer { try? FileManager.default.removeItem(at: chartInput) }
        guard TrainerProcess.run(trainer, script: "charts.py", arguments: ["answers", chartInput.path, chart.path], quietStdout: quiet) == .finished else {
            throw CoachSpoolError(.io, "the chart could not be drawn (charts.py failed; its message is above)", file: chart.path)
        }
        return [markdown, json, chart]
    }

    private static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ⏎ ")
    }

    private static func write(_ data: Data, to url: URL) throws {
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw CoachSpoolError(.io, "--out: cannot write the report", file: url.path, underlying: error)
        }
    }
}
