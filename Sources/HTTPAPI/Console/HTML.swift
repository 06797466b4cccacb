/// Server-rendered HTML: escaping, and the page every console screen shares. No template engine
/// and no build step; the stylesheet and the script are constants of the binary.
enum HTML {
    /// Text for an element or a quoted attribute.
    static func escape(_ text: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// The console's pages, in the order of the navigation; a reviewer sees Review only.
    enum Page: String, CaseIterable {
        case overview = "Overview", jobs = "Jobs", review = "Review", training = "Training", retrieval = "Retrieval"

        var path: String {
            switch self {
            case .overview: Console.prefix + "/"
            case .jobs: Console.prefix + "/jobs"
            case .review: Console.prefix + "/review"
            case .training: Console.prefix + "/training"
            case .retrieval: Console.prefix + "/retrieval"
            }
        }

        var id: String { "nav-" + rawValue.lowercased() }
    }

    /// A whole page: the navigation for the session's kind, a flash line, the body, the sign-out form.
    static func page(title: String, current: Page?, session: ConsoleSession?, csrf: String?, flash: String? = nil, body: String) -> String {
        var nav = ""
        if let session {
            let pages = session.kind == .reviewer ? [Page.review] : Page.allCases
            nav = "<nav aria-label=\"Console\"><ul>" + pages.map { page in
                "<li><a id=\"\(page.id)\" href=\"\(page.path)\"\(page == current ? " aria-current=\"page\"" : "")>\(page.rawValue)</a></li>"
            }.joined() + "</ul>"
            if let csrf {
                nav += """
                    <form method="post" action="\(Console.prefix)/logout" class="signout"><input type="hidden" name="csrf" value="\(csrf)">\
                    <span class="who">\(escape(session.actor.rawValue))</span> <button type="submit">Sign out</button></form>
                    """
            }
            nav += "</nav>"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · CoachSpool</title><link rel="stylesheet" href="\(Console.prefix)/assets/console.css">
            <script src="\(Console.prefix)/assets/console.js" defer></script></head>
            <body><header><span class="brand">CoachSpool</span>\(nav)</header>
            <main>\(flash.map { "<p id=\"flash\" role=\"status\">\(escape($0))</p>" } ?? "")<h1>\(escape(title))</h1>
            \(body)</main></body></html>
            """
    }

    static func table(id: String, caption: String? = nil, headers: [String], rows: [String]) -> String {
        "<table id=\"\(id)\">" + (caption.map { "<caption>\(escape($0))</caption>" } ?? "")
            + "<thead><tr>" + headers.map { "<th scope=\"col\">\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            + (rows.isEmpty ? "<tr><td colspan=\"\(headers.count)\" class=\"none\">none</td></tr>" : rows.joined()) + "</tbody></table>"
    }

    static let stylesheet = """
        :root{font-family:system-ui,sans-serif;color:#1d2330;background:#f7f8fa}
        body{margin:0}header{display:flex;align-items:center;gap:1.5rem;background:#1d2330;color:#fff;padding:.5rem 1rem}
        .brand{font-weight:700}nav{display:flex;flex:1;align-items:center}nav ul{display:flex;gap:1rem;list-style:none;margin:0;padding:0;flex:1}
        nav a{color:#cfe0ff;text-decoration:none}nav a[aria-current]{color:#fff;font-weight:700;text-decoration:underline}
        .signout{display:flex;gap:.5rem;align-items:center}.who{font-family:monospace;font-size:.85rem;color:#aab}
        main{padding:1rem 1.5rem;max-width:1200px}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
        table{border-collapse:collapse;margin:.5rem 0;background:#fff}th,td{border:1px solid #d5d9e0;padding:.25rem .6rem;text-align:left;vertical-align:top}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.none{color:#778}td.error{font-family:monospace;font-size:.8rem;max-width:40rem;white-space:pre-wrap}
        #flash{background:#e7f4e4;border:1px solid #9c9;padding:.4rem .8rem}.warn{background:#fff4e0;border:1px solid #e0b060;padding:.4rem .8rem}
        form.inline{display:inline}label{margin-right:.4rem}button{cursor:pointer}button:focus,input:focus,textarea:focus,select:focus,a:focus{outline:3px solid #2a6ae0;outline-offset:1px}
        .turn{background:#fff;border:1px solid #d5d9e0;padding:.5rem .8rem;margin:.4rem 0}.turn .who{font-weight:600;color:#445;font-family:inherit}
        .current{border:2px solid #2a6ae0}.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:1rem}
        textarea{width:100%;min-height:8rem;font:inherit}svg{background:#fff;border:1px solid #d5d9e0}.keys{color:#556;font-size:.9rem}
        .legend span{margin-right:1rem}.hint{color:#556;font-size:.85rem}
        """

    /// Keyboard shortcuts of the Review page (n next, a approve, r reason, c correction,
    /// Ctrl+Enter submit the correction) and confirmation of bulk job actions. Everything
    /// works without it, by Tab and Enter.
    static let script = """
        document.addEventListener('keydown', function (e) {
          var item = document.getElementById('review-item');
          var t = e.target, typing = t && (t.tagName === 'TEXTAREA' || t.tagName === 'INPUT' || t.tagName === 'SELECT');
          if (item && t && t.id === 'corrected_answer' && e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault(); document.getElementById('correct').click(); return;
          }
          if (!item || typing || e.ctrlKey || e.metaKey || e.altKey) return;
          if (e.key === 'a') { e.preventDefault(); document.getElementById('approve').click(); }
          else if (e.key === 'r') { e.preventDefault(); document.getElementById('reason').focus(); }
          else if (e.key === 'c') { e.preventDefault(); document.getElementById('corrected_answer').focus(); }
          else if (e.key === 'n') { e.preventDefault(); document.getElementById('next').click(); }
        });
        document.addEventListener('DOMContentLoaded', function () {
          var reason = document.getElementById('reason');
          if (reason) reason.addEventListener('keydown', function (e) {
            if (e.key === 'Enter') { e.preventDefault(); document.getElementById('reject').click(); }
          });
        });
        """
}
