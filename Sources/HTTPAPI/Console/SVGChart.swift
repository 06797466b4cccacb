/// Line charts as inline SVG, drawn by the server (no script, no external library): the
/// Overview's throughput, a training run's loss curve, retrieval quality over time.
struct SVGChart {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    var id: String?
    var title: String
    var xLabel: String
    var yLabel: String
    /// The x range to show whatever the data covers (the last hour: -60…0).
    var xDomain: ClosedRange<Double>? = nil
    var series: [Series]
    var width = 640.0
    var height = 220.0

    static let colours = ["#2a6ae0", "#d9480f", "#2b8a3e", "#862e9c", "#e8590c", "#1098ad", "#5c940d", "#c2255c"]

    func render() -> String {
        let (left, right, top, bottom) = (52.0, 12.0, 12.0, 34.0)
        let all = series.flatMap(\.points)
        let idAttribute = id.map { " id=\"\($0)\"" } ?? ""
        var svg = "<figure><svg\(idAttribute) role=\"img\" aria-label=\"\(HTML.escape(title))\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        svg += "<title>\(HTML.escape(title))</title>"
        guard let dataMinX = all.map(\.x).min(), let dataMaxX = all.map(\.x).max(), let maxY = all.map(\.y).max() else {
            return svg + "<text x=\"\(Int(width / 2))\" y=\"\(Int(height / 2))\" text-anchor=\"middle\" fill=\"#778\">no data yet</text></svg><figcaption>\(HTML.escape(title))</figcaption></figure>"
        }
        let (minX, maxX) = (xDomain?.lowerBound ?? dataMinX, xDomain?.upperBound ?? dataMaxX)
        let minY = min(0, all.map(\.y).min() ?? 0)
        let spanX = maxX > minX ? maxX - minX : 1
        let spanY = maxY > minY ? maxY - minY : 1
        func px(_ x: Double) -> Double { left + (x - minX) / spanX * (width - left - right) }
        func py(_ y: Double) -> Double { height - bottom - (y - minY) / spanY * (height - top - bottom) }
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"#889\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"#889\"/>"
        for k in 0...4 {
            let value = minY + spanY * Double(k) / 4
            svg += "<text x=\"\(left - 4)\" y=\"\(py(value) + 4)\" text-anchor=\"end\" font-size=\"10\" fill=\"#556\">\(Self.format(value))</text>"
        }
        svg += "<text x=\"\(left)\" y=\"\(height - 8)\" font-size=\"10\" fill=\"#556\">\(Self.format(minX))</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(height - 8)\" text-anchor=\"end\" font-size=\"10\" fill=\"#556\">\(Self.format(maxX))</text>"
        svg += "<text x=\"\((width + left) / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#334\">\(HTML.escape(xLabel))</text>"
        svg += "<text x=\"12\" y=\"\((height - bottom) / 2)\" font-size=\"11\" fill=\"#334\" transform=\"rotate(-90 12 \((height - bottom) / 2))\" text-anchor=\"middle\">\(HTML.escape(yLabel))</text>"
        for (index, line) in series.enumerated() where !line.points.isEmpty {
            let colour = Self.colours[index % Self.colours.count]
            let path = line.points.map { "\(Self.round(px($0.x))),\(Self.round(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(path)\"><title>\(HTML.escape(line.name))</title></polyline>"
            if line.points.count == 1, let point = line.points.first {
                svg += "<circle cx=\"\(Self.round(px(point.x)))\" cy=\"\(Self.round(py(point.y)))\" r=\"3\" fill=\"\(colour)\"/>"
            }
        }
        svg += "</svg><figcaption><span class=\"legend\">"
        svg += series.enumerated().map { index, line in
            "<span style=\"color:\(Self.colours[index % Self.colours.count])\">■ \(HTML.escape(line.name))</span>"
        }.joined()
        return svg + "</span> \(HTML.escape(title))</figcaption></figure>"
    }

    private static func round(_ value: Double) -> String { String(format: "%.1f", value) }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e7 { return String(Int(value)) }
        return String(format: abs(value) < 1 ? "%.3f" : abs(value) < 10 ? "%.2f" : "%.1f", value)
    }
}
