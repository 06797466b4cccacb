import Foundation
import Knowledge
import Review
import Stages

/// The console's pages as HTML, from what `ConsoleData` and `Reviews` read. Every text from the
/// database is escaped; conversation texts appear only on the Review page, and only redacted.
enum ConsolePages {
    static func signIn(message: String? = nil) -> String {
        HTML.page(title: "Sign in", current: nil, session: nil, csrf: nil, body: """
            \(message.map { "<p class=\"warn\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            <form id="signin" method="post" action="\(Console.prefix)/login">
            <p><label for="token">Token</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus size="70"></p>
            <p class="hint">An API token (COACHSPOOL_API_TOKENS) opens every page; a reviewer token (COACHSPOOL_REVIEWER_TOKENS) opens Review.</p>
            <p><button id="signin-submit" type="submit">Sign in</button></p></form>
            """)
    }

    static func forbidden(session: ConsoleSession, csrf: String) -> String {
        HTML.page(title: "Not for this token", current: nil, session: session, csrf: csrf, body: """
            <p id="forbidden">A reviewer token opens the Review page only. Sign in with an API token for the rest.</p>
            """)
    }

    // MARK: - Overview

    static func overview(
        stages: [ConsoleData.StageCounts], throughput: [String: [(minute: Int, rows: Int)]], workers: [ConsoleData.Worker],
        spaces: [ConsoleData.Space], session: ConsoleSession, csrf: String
    ) -> String {
        let stageRows = stages.map { s in
            "<tr data-kind=\"\(HTML.escape(s.kind))\"><th scope=\"row\"><a href=\"\(Console.prefix)/jobs?kind=\(Console.queryEscape(s.kind))\">\(HTML.escape(s.kind))</a></th>"
                + [("ready", s.ready), ("running", s.running), ("retrying", s.retrying), ("dead", s.dead)].map { column, count in
                    "<td class=\"num\" data-col=\"\(column)\">\(count.text)</td>"
                }.joined() + "</tr>"
        }
        let chart = SVGChart(
            id: "throughput", title: "Rows written per minute by each stage, last hour", xLabel: "minutes (0 = now)", yLabel: "rows / minute",
            xDomain: -60...0, series: throughput.keys.sorted().map { name in
                SVGChart.Series(name: name, points: throughput[name]!.map { (x: Double($0.minute), y: Double($0.rows)) })
            })
        let live = workers.filter(\.live)
        let workerRows = workers.map { w in
            "<tr><td>\(HTML.escape(w.id))</td><td>\(HTML.escape(w.host))</td><td class=\"num\">\(w.concurrency)</td>"
                + "<td>\(w.live ? "live" : "gone")</td><td class=\"num\">\(Int(w.sinceHeartbeat)) s</td></tr>"
        }
        let spaceRows = spaces.map { s in
            "<tr><td class=\"num\">\(s.id)</td><td>\(HTML.escape(s.embedder)):\(HTML.escape(s.model))</td><td>\(s.active ? "active" : "")</td>"
                + "<td>\(HTML.escape(s.indexState))\(s.indexValid == false ? " (index invalid)" : "")</td></tr>"
        }
        return HTML.page(title: "Overview", current: .overview, session: session, csrf: csrf, body: """
            <h2>Stages</h2>
            \(HTML.table(id: "stages", headers: ["stage", "ready", "running", "waiting for retry", "dead"], rows: stageRows))
            <p class="hint">The admin view coachspool.queue_status_by_kind. Above \(Int(ConsoleData.exactCountLimit).formatted()) jobs no figure counts the table: dead jobs are counted up to \(ConsoleData.deadCap.formatted()) from their own index; ready and waiting jobs up to \(ConsoleData.cap.formatted()), or ≈ the planner's estimate from the last ANALYZE; running jobs are what the live workers reported holding at their last heartbeats (they have no index to count them by, so that claims stay fast): the view counts them all.</p>
            <h2>Throughput</h2>\(chart.render())
            <h2>Workers</h2><p><span id="workers-live">\(live.count)</span> live, \(workers.count - live.count) gone (latest 10).</p>
            \(HTML.table(id: "workers", headers: ["worker", "host", "concurrency", "state", "since heartbeat"], rows: workerRows))
            <h2>Embedding spaces</h2>
            \(HTML.table(id: "spaces", headers: ["space", "embedder", "", "index"], rows: spaceRows))
            """)
    }

    // MARK: - Jobs

    static func jobs(
        _ found: [ConsoleData.Job]?, kinds: [String], kind: String?, state: ConsoleData.JobState, session: ConsoleSession, csrf: String,
        flash: String?
    ) -> String {
        let kindOptions = (["" ] + kinds).map { k in
            "<option value=\"\(HTML.escape(k))\"\(k == (kind ?? "") ? " selected" : "")>\(k.isEmpty ? "every stage" : HTML.escape(k))</option>"
        }.joined()
        let stateOptions = ConsoleData.JobState.allCases.map { s in
            "<option value=\"\(s.rawValue)\"\(s == state ? " selected" : "")>\(s.rawValue)</option>"
        }.joined()
        let jobs = found ?? []
        let actionable = state == .dead
        let rows = jobs.map { j in
            var row = "<tr data-job-id=\"\(j.id)\"><td class=\"num\">\(j.id)</td><td>\(HTML.escape(j.kind))</td><td class=\"num\">\(j.sourceID)</td>"
                + "<td class=\"num\">\(j.attempt)/\(j.maxAttempts)</td><td>\(HTML.escape(ReviewItemFormat.time(j.runAt)))</td>"
                + "<td class=\"error\">\(HTML.escape(j.lastError ?? ""))</td><td>"
            if actionable {
                for action in ["retry", "discard"] {
                    row += """
                        <form class="inline" method="post" action="\(Console.prefix)/jobs/action"><input type="hidden" name="csrf" value="\(csrf)">\
                        <input type="hidden" name="job_id" value="\(j.id)"><button type="submit" name="action" value="\(action)" aria-label="\(action) job \(j.id)">\(action)</button></form>
                        """
                }
            }
            return row + "</td></tr>"
        }
        let bulk = actionable ? """
            <form id="bulk" method="post" action="\(Console.prefix)/jobs/action"><input type="hidden" name="csrf" value="\(csrf)">
            <input type="hidden" name="kind" value="\(HTML.escape(kind ?? ""))"><input type="hidden" name="state" value="dead">
            <p><input type="checkbox" id="confirm" name="confirm" value="yes" required><label for="confirm">confirm: act on every dead job\(kind.map { " of " + HTML.escape($0) } ?? "") (not only this page)</label>
            <button type="submit" name="action" value="retry">Retry all matching</button>
            <button type="submit" name="action" value="discard">Discard all matching</button></p></form>
            """ : "<p class=\"hint\">Retry and discard act on dead jobs (ready, running and retrying jobs are the workers').</p>"
        let next = jobs.count == 50 ? "<p><a href=\"\(Console.prefix)/jobs?state=\(state.rawValue)\(kind.map { "&kind=" + Console.queryEscape($0) } ?? "")&before=\(jobs.last!.id)\">older</a></p>" : ""
        return HTML.page(title: "Jobs", current: .jobs, session: session, csrf: csrf, flash: flash, body: """
            <form id="job-filter" method="get" action="\(Console.prefix)/jobs">
            <label for="filter-kind">Stage</label><select id="filter-kind" name="kind">\(kindOptions)</select>
            <label for="filter-state">State</label><select id="filter-state" name="state">\(stateOptions)</select>
            <button type="submit">Filter</button></form>
            \(bulk)
            \(HTML.table(id: "jobs", headers: ["job", "stage", "source", "attempt", "run at", "error", ""], rows: rows))
            \(found == nil ? "<p class=\"hint\" id=\"search-stopped\">The search stopped after \(ConsoleData.jobSearchTimeout.formatted(.units(allowed: [.seconds], width: .wide))): \(state == .running ? "running jobs have no index of their own (so that claims stay fast) and are found by reading the table; coachspool.queue_status_by_kind counts them" : "the table is too large to search this way; narrow the filter to one stage").</p>" : "")
            \(next)
            """)
    }

    // MARK: - Review

    static func review(
        _ item: ReviewItem?, waiting: ConsoleData.Count, filter: Reviews.Filter, session: ConsoleSession, csrf: String, flash: String?
    ) -> String {
        let modeOptions = ([""] + Mode.allCases.map(\.rawValue)).map { m in
            "<option value=\"\(m)\"\(m == (filter.mode?.rawValue ?? "") ? " selected" : "")>\(m.isEmpty ? "every mode" : m)</option>"
        }.joined()
        let filterForm = """
            <form id="review-filter" method="get" action="\(Console.prefix)/review">
            <label for="review-mode">Mode</label><select id="review-mode" name="mode">\(modeOptions)</select>
            <label for="review-language">Language</label><input id="review-language" name="language" size="6" value="\(HTML.escape(filter.language ?? ""))">
            <button id="next" type="submit" formaction="\(Console.prefix)/review">Next (n)</button></form>
            """
        guard let item else {
            return HTML.page(title: "Review", current: .review, session: session, csrf: csrf, flash: flash, body: filterForm
                + "<p id=\"queue-empty\">Nothing waits for review\(filter == Reviews.Filter() ? "" : " with these filters").</p>")
        }
        let context = item.context.map { turn in
            "<div class=\"turn\"><p><span class=\"who\">User:</span> \(HTML.escape(turn.user))</p><p><span class=\"who\">Coach:</span> \(HTML.escape(turn.assistant))</p></div>"
        }.joined()
        let why = switch item.why {
        case .lowRating: "rated \(item.rating.map(String.init) ?? "?") of 5, below the filter's minimum"
        case .notHelpful: "the user said it was not helpful"
        case .sample: "a random sample of accepted answers (quality control)"
        }
        return HTML.page(title: "Review", current: .review, session: session, csrf: csrf, flash: flash, body: """
            \(filterForm)
            <p class="keys">Keys: <kbd>a</kbd> approve · <kbd>r</kbd> reason, Enter rejects · <kbd>c</kbd> correction, Ctrl+Enter submits · <kbd>n</kbd> next. Tab and Enter work too.</p>
            <p>\(waiting.text) waiting. This exchange is held for you until \(HTML.escape(item.leasedUntil.map(ReviewItemFormat.time) ?? "—")).</p>
            <section id="review-item" data-interaction-id="\(item.interactionID)" aria-label="Exchange \(item.interactionID)">
            <p>Exchange \(item.interactionID) · \(HTML.escape(item.mode)) · \(HTML.escape(item.language ?? "language unknown")) · \(HTML.escape(ReviewItemFormat.time(item.occurredAt))) · why: <strong>\(HTML.escape(why))</strong>\(item.helpful == false ? " · not helpful" : "")</p>
            <h2>The conversation so far</h2>\(context.isEmpty ? "<p class=\"hint\">(the first exchange)</p>" : context)
            <div class="turn current"><p><span class="who">User:</span> \(HTML.escape(item.userInput))</p><p><span class="who">Coach:</span> \(HTML.escape(item.aiResponse))</p></div>
            </section>
            <form id="review-form" method="post" action="\(Console.prefix)/review">
            <input type="hidden" name="csrf" value="\(csrf)"><input type="hidden" name="interaction_id" value="\(item.interactionID)">
            <input type="hidden" name="mode" value="\(HTML.escape(filter.mode?.rawValue ?? ""))"><input type="hidden" name="language" value="\(HTML.escape(filter.language ?? ""))">
            <p><button id="approve" type="submit" name="decision" value="approve">Approve (a)</button></p>
            <p><label for="reason">Reason (for a rejection)</label><input id="reason" name="reason" size="60" maxlength="1000">
            <button id="reject" type="submit" name="decision" value="reject">Reject</button></p>
            <p><label for="corrected_answer">Corrected answer: what the coach should have said (names and identifiers are redacted when saved)</label>
            <textarea id="corrected_answer" name="corrected_answer" maxlength="32768"></textarea></p>
            <p><button id="correct" type="submit" name="decision" value="correct">Submit correction (Ctrl+Enter)</button></p>
            </form>
            """)
    }

    // MARK: - Training

    static func training(_ runs: [ConsoleData.Run], evaluations: [ConsoleData.AnswerEval], session: ConsoleSession, csrf: String) -> String {
        func loss(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "—" }
        let rows = runs.map { r in
            "<tr data-run-id=\"\(r.id)\"><td class=\"num\">\(r.id)</td><td>\(HTML.escape(r.status))</td><td>\(HTML.escape(r.method))</td>"
                + "<td>\(HTML.escape(r.baseModel))</td><td>\(HTML.escape(r.format))</td><td class=\"num\">\(loss(r.baselineLoss))</td>"
                + "<td class=\"num\">\(loss(r.evalLoss))</td><td data-col=\"contains_erased_data\">\(r.erased ? "yes" : "no")</td></tr>"
        }
        let curves = runs.prefix(6).map { r in
            SVGChart(
                id: "loss-\(r.id)", title: "Run \(r.id) (\(r.method)): loss by step", xLabel: "step", yLabel: "loss",
                series: [
                    SVGChart.Series(name: "train", points: r.train.map { (x: $0.0, y: $0.1) }),
                    SVGChart.Series(name: "validation (baseline at step 0)", points: r.validation.map { (x: $0.0, y: $0.1) }),
                ]).render()
        }.joined()
        let evaluationRows = evaluations.map { e in
            "<tr><td class=\"num\">\(e.id)</td><td>\(HTML.escape(ReviewItemFormat.time(e.created)))</td><td>\(HTML.escape(e.system))</td><td class=\"num\">\(e.questions)</td>"
                + e.metrics.map { "<td class=\"num\">\($0.1.map { String(format: "%.3f", $0) } ?? "—")</td>" }.joined() + "</tr>"
        }
        return HTML.page(title: "Training", current: .training, session: session, csrf: csrf, body: """
            <p class="hint">Validation loss of the base model (baseline) and of the adapter on the run's held-out conversations: a lower loss is not by itself a better coach; the answer evaluations below are.</p>
            \(HTML.table(id: "runs", headers: ["run", "status", "method", "base model", "format", "baseline loss", "adapter loss", "contains erased data"], rows: rows))
            <h2>Loss curves</h2><div class="curves">\(curves.isEmpty ? "<p class=\"hint\">No run yet: coachspool train.</p>" : curves)</div>
            <h2>Answer evaluations</h2>
            \(HTML.table(id: "answer-evals", headers: ["eval", "at", "system", "questions", "loss", "perplexity", "cosine", "chrF", "win rate"], rows: evaluationRows))
            """)
    }

    // MARK: - Retrieval

    static func retrieval(
        _ evaluations: [ConsoleData.Evaluation], query: String?, results: [(SearchMode, Result<[SearchHit], any Error>)], session: ConsoleSession,
        csrf: String
    ) -> String {
        let modes = Set(evaluations.map(\.mode)).sorted()
        let chart = SVGChart(
            id: "eval-chart", title: "nDCG@10 of each retrieval evaluation, by mode (oldest first)", xLabel: "evaluation", yLabel: "nDCG@10",
            series: modes.map { mode in
                let points = evaluations.filter { $0.mode == mode }.reversed().enumerated().compactMap { index, e in
                    e.ndcg.map { (x: Double(index + 1), y: $0) }
                }
                return SVGChart.Series(name: mode, points: points)
            })
        let columns = results.map { mode, result in
            var html = "<section id=\"results-\(mode.rawValue)\"><h3>\(mode.rawValue)</h3>"
            switch result {
            case .success(let hits) where hits.isEmpty: html += "<p class=\"hint\">nothing found</p>"
            case .success(let hits):
                html += "<ol>" + hits.map { "<li><strong>\(HTML.escape($0.title))</strong> <span class=\"hint\">\(String(format: "%.3f", $0.score))</span><br>\(HTML.escape(String($0.text.prefix(280))))</li>" }.joined() + "</ol>"
            case .failure(let error): html += "<p class=\"warn\">\(HTML.escape(Console.describe(error)))</p>"
            }
            return html + "</section>"
        }.joined()
        return HTML.page(title: "Retrieval", current: .retrieval, session: session, csrf: csrf, body: """
            \(chart.render())
            <h2>Search the knowledge base</h2>
            <form id="search-form" method="get" action="\(Console.prefix)/retrieval"><label for="q">Question</label>
            <input id="q" name="q" size="60" maxlength="4096" value="\(HTML.escape(query ?? ""))"><button type="submit">Search</button></form>
            \(query == nil ? "" : "<div class=\"grid\">\(columns)</div>")
            """)
    }
}

enum ReviewItemFormat {
    static func time(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateTimeSeparator(.space).time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }
}
