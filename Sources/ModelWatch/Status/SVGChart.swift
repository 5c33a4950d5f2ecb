import Foundation
import ModelWatchQuery

/// A small line chart of one series over the last hour, as inline SVG: a line, the largest value
/// as a label, and nothing that needs a script or a font file.
enum SVGChart {
    static let width = 180.0
    static let height = 40.0

    static func render(_ points: [Point], unit: String) -> String {
        let finite = points.filter { $0.value.isFinite }
        guard let first = finite.first, let last = finite.last else {
            return "<span class=\"muted\">no data</span>"
        }
        let maximum = max(finite.map(\.value).max() ?? 0, 0)
        let minimum = min(finite.map(\.value).min() ?? 0, 0)
        let span = max(maximum - minimum, 1e-12)
        let duration = max(Double(last.timestamp - first.timestamp), 1)
        func x(_ point: Point) -> Double { Double(point.timestamp - first.timestamp) / duration * (Self.width - 2) + 1 }
        func y(_ point: Point) -> Double { Self.height - 2 - (point.value - minimum) / span * (Self.height - 12) }
        // One point (the first minute of history) is drawn as a dot; more as a line.
        let marks =
            finite.count == 1
            ? "<circle cx=\"\(Int(Self.width / 2))\" cy=\"\(String(format: "%.1f", y(first)))\" r=\"2.5\" fill=\"#0969da\"/>"
            : "<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\" points=\""
                + finite.map { String(format: "%.1f,%.1f", x($0), y($0)) }.joined(separator: " ") + "\"/>"
        let label = StatusHTML.number(maximum) + (unit.isEmpty ? "" : " " + unit)
        return """
            <svg class="chart" width="\(Int(Self.width))" height="\(Int(Self.height))" viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" \
            role="img" aria-label="max \(StatusHTML.escape(label))"><rect width="100%" height="100%" fill="#f6f8fa"/>\
            \(marks)\
            <text x="\(Int(Self.width) - 3)" y="10" font-size="9" text-anchor="end" fill="#656d76">max \(StatusHTML.escape(label))</text></svg>
            """
    }
}
