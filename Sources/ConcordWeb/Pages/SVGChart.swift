import Foundation

/// Charts drawn on the server as SVG: no script, no chart library, small enough for a slow connection. Every
/// text that reaches a chart is escaped here, since charts are placed in pages unescaped.
enum SVGChart {
    /// Escapes text for SVG (XML) content and attributes.
    static func escape(_ text: String) -> String {
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

    static func number(_ value: Double) -> String {
        if value >= 1e9 { return String(format: "%.1fG", value / 1e9) }
        if value >= 1e6 { return String(format: "%.1fM", value / 1e6) }
        if value >= 1e4 { return String(format: "%.0fk", value / 1e3) }
        return value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    private static func open(width: Int, height: Int, title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(width) \(height)" role="img" aria-label="\(escape(title))">\
        <title>\(escape(title))</title>
        """
    }

    /// Horizontal bars, largest first as given, each labelled with its value.
    static func bars(_ items: [(label: String, value: Double)], title: String) -> String {
        guard !items.isEmpty else { return empty(title) }
        let shown = Array(items.prefix(12))
        let rowHeight = 22
        let height = shown.count * rowHeight + 8
        let top = max(shown.map(\.value).max() ?? 1, 1e-9)
        var svg = open(width: 400, height: height, title: title)
        for (n, item) in shown.enumerated() {
            let y = 4 + n * rowHeight
            let width = Int(220 * max(item.value, 0) / top)
            svg +=
                "<text x=\"110\" y=\"\(y + 15)\" text-anchor=\"end\" font-size=\"12\" fill=\"#1b1f24\">\(escape(String(item.label.prefix(18))))</text>"
            svg += "<rect x=\"116\" y=\"\(y + 3)\" width=\"\(max(width, 1))\" height=\"16\" fill=\"#0b4f8a\"/>"
            svg += "<text x=\"\(120 + width)\" y=\"\(y + 15)\" font-size=\"12\" fill=\"#1b1f24\">\(number(item.value))</text>"
        }
        return svg + "</svg>"
    }

    /// Vertical columns in order (months, say), with the first and last labels and the highest value shown.
    static func columns(_ items: [(label: String, value: Double)], title: String) -> String {
        guard !items.isEmpty else { return empty(title) }
        let shown = Array(items.suffix(24))
        let top = max(shown.map(\.value).max() ?? 1, 1e-9)
        let slot = 360.0 / Double(shown.count)
        var svg = open(width: 400, height: 200, title: title)
        svg += "<line x1=\"30\" y1=\"170\" x2=\"392\" y2=\"170\" stroke=\"#4a5360\"/>"
        svg += "<text x=\"30\" y=\"14\" font-size=\"12\" fill=\"#1b1f24\">max \(number(top))</text>"
        for (n, item) in shown.enumerated() {
            let h = 150 * max(item.value, 0) / top
            let x = 32 + Double(n) * slot
            svg += String(
                format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#0b4f8a\">",
                x,
                170 - h,
                max(slot - 2, 1),
                h
            )
            svg += "<title>\(escape(item.label)): \(number(item.value))</title></rect>"
        }
        if let first = shown.first, let last = shown.last {
            svg += "<text x=\"32\" y=\"188\" font-size=\"12\" fill=\"#1b1f24\">\(escape(first.label))</text>"
            svg += "<text x=\"392\" y=\"188\" font-size=\"12\" text-anchor=\"end\" fill=\"#1b1f24\">\(escape(last.label))</text>"
        }
        return svg + "</svg>"
    }

    /// A curve through `points` (x rising), on a log x axis when every x is positive: a loss exceedance curve.
    static func curve(_ points: [(x: Double, y: Double)], title: String, xLabel: String, yLabel: String) -> String {
        let usable = points.filter { $0.x > 0 && $0.y.isFinite }
        guard usable.count >= 2, let minX = usable.map(\.x).min(), let maxX = usable.map(\.x).max(), maxX > minX else {
            return empty(title)
        }
        let maxY = max(usable.map(\.y).max() ?? 1, 1e-9)
        func px(_ x: Double) -> Double { 40 + 350 * (log10(x) - log10(minX)) / (log10(maxX) - log10(minX)) }
        func py(_ y: Double) -> Double { 170 - 150 * y / maxY }
        var svg = open(width: 400, height: 210, title: title)
        svg +=
            "<line x1=\"40\" y1=\"170\" x2=\"392\" y2=\"170\" stroke=\"#4a5360\"/><line x1=\"40\" y1=\"20\" x2=\"40\" y2=\"170\" stroke=\"#4a5360\"/>"
        let path = usable.map { String(format: "%.1f,%.1f", px($0.x), py($0.y)) }.joined(separator: " ")
        svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#0b4f8a\" stroke-width=\"2\"/>"
        svg += "<text x=\"40\" y=\"186\" font-size=\"12\" fill=\"#1b1f24\">\(number(minX))</text>"
        svg += "<text x=\"392\" y=\"186\" font-size=\"12\" text-anchor=\"end\" fill=\"#1b1f24\">\(number(maxX))</text>"
        svg += "<text x=\"216\" y=\"204\" font-size=\"12\" text-anchor=\"middle\" fill=\"#1b1f24\">\(escape(xLabel))</text>"
        svg +=
            "<text x=\"44\" y=\"16\" font-size=\"12\" fill=\"#1b1f24\">\(escape(yLabel)) (max \(String(format: "%.2f", maxY)))</text>"
        return svg + "</svg>"
    }

    /// Reports on an outer ring and the identifiers linking them on an inner ring, each identifier joined to the
    /// reports that name it.
    static func linkGraph(reports: [String], identifiers: [(label: String, reports: [String])], title: String) -> String {
        let reportList = Array(reports.prefix(40))
        let identifierList = Array(identifiers.prefix(30))
        guard !reportList.isEmpty else { return empty(title) }
        var place: [String: (Double, Double)] = [:]
        for (n, id) in reportList.enumerated() {
            let angle = 2 * Double.pi * Double(n) / Double(reportList.count)
            place[id] = (200 + 160 * cos(angle), 200 + 160 * sin(angle))
        }
        var svg = open(width: 400, height: 400, title: title)
        var inner: [(Double, Double, String)] = []
        for (n, identifier) in identifierList.enumerated() {
            let angle = 2 * Double.pi * (Double(n) + 0.5) / Double(max(identifierList.count, 1))
            let (x, y) = (200 + 80 * cos(angle), 200 + 80 * sin(angle))
            inner.append((x, y, identifier.label))
            for report in identifier.reports {
                guard let (rx, ry) = place[report] else { continue }
                svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#7fb0e0\"/>", x, y, rx, ry)
            }
        }
        for (id, (x, y)) in place.sorted(by: { $0.key < $1.key }) {
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"#0b4f8a\">", x, y)
            svg += "<title>report \(escape(String(id.prefix(12))))</title></circle>"
        }
        for (x, y, label) in inner {
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"#a4161a\">", x - 6, y - 6)
            svg += "<title>\(escape(label))</title></rect>"
        }
        return svg + "</svg>"
    }

    static func empty(_ title: String) -> String {
        open(width: 400, height: 40, title: title)
            + "<text x=\"8\" y=\"24\" font-size=\"13\" fill=\"#4a5360\">No data yet</text></svg>"
    }
}
