import Foundation

/// Inline SVG charts for reports: plain lines and bars with axes, readable on screen and in print.
public enum SVGChart {
    /// One line of a chart.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    static let palette = ["#3556d4", "#d4573b", "#2a9d6f", "#9b59b6", "#c8a100", "#1f8fb3", "#7f7f7f"]
    static let width = 560.0, height = 280.0
    static let left = 58.0, right = 16.0, top = 28.0, bottom = 42.0

    /// A line chart of `series` (x and y axes linear, or y logarithmic).
    public static func lines(title: String, xLabel: String, yLabel: String, series: [Series], logY: Bool = false) -> String {
        let all = series.flatMap(\.points).filter { !logY || $0.y > 0 }
        guard !all.isEmpty else { return empty(title) }
        let (x0, x1) = padded(all.map(\.x).min()!, all.map(\.x).max()!)
        var (y0, y1) = padded(all.map(\.y).min()!, all.map(\.y).max()!)
        if logY { (y0, y1) = (log10(all.map(\.y).min()!), log10(all.map(\.y).max()!) + 1e-9) }
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (width - left - right) }
        func py(_ y: Double) -> Double { height - bottom - ((logY ? log10(y) : y) - y0) / (y1 - y0) * (height - top - bottom) }
        var svg = open(title)
        svg += axes(xTicks: ticks(x0, x1).map { ($0, px($0)) }, yTicks: logY ? logTicks(y0, y1).map { ($0, py($0)) } : ticks(y0, y1).map { ($0, py($0)) },
                    xLabel: xLabel, yLabel: yLabel, logY: logY)
        for (index, line) in series.enumerated() {
            let color = palette[index % palette.count]
            let points = line.points.filter { !logY || $0.y > 0 }
            let path = points.map { String(format: "%.1f,%.1f", px($0.x), py($0.y)) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>"
            if points.count <= 60 {
                for p in points { svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"\(color)\"/>", px(p.x), py(p.y)) }
            }
            svg += "<rect x=\"\(Int(left) + 10)\" y=\"\(Int(top) + 6 + 16 * index)\" width=\"12\" height=\"3\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(Int(left) + 28)\" y=\"\(Int(top) + 11 + 16 * index)\" font-size=\"11\">\(escape(line.name))</text>"
        }
        return svg + "</svg>"
    }

    /// A bar chart: one bar per (label, value).
    public static func bars(title: String, xLabel: String, yLabel: String, bars: [(label: String, value: Double)]) -> String {
        guard !bars.isEmpty, let top = bars.map(\.value).max(), top > 0 else { return empty(title) }
        let (y0, y1) = (0.0, padded(0, top).1)
        let slot = (width - left - right) / Double(bars.count)
        func py(_ y: Double) -> Double { height - bottom - (y - y0) / (y1 - y0) * (height - self.top - bottom) }
        var svg = open(title)
        let every = max(1, bars.count / 8)
        svg += axes(xTicks: [], yTicks: ticks(y0, y1).map { ($0, py($0)) }, xLabel: xLabel, yLabel: yLabel)
        for (index, bar) in bars.enumerated() {
            let x = left + Double(index) * slot
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#3556d4\"/>", x + 1, py(bar.value), max(1, slot - 2), py(0) - py(bar.value))
            if index % every == 0 {
                svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">", x + slot / 2, height - bottom + 14) + escape(bar.label) + "</text>"
            }
        }
        return svg + "</svg>"
    }

    static func open(_ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" font-family=\"system-ui, sans-serif\">"
            + "<title>\(escape(title))</title><text x=\"\(Int(left))\" y=\"16\" font-size=\"13\" font-weight=\"600\">\(escape(title))</text>"
    }

    static func empty(_ title: String) -> String {
        open(title) + "<text x=\"\(Int(left))\" y=\"60\" font-size=\"12\" fill=\"#667085\">no data</text></svg>"
    }

    static func axes(xTicks: [(Double, Double)], yTicks: [(Double, Double)], xLabel: String, yLabel: String, logY: Bool = false) -> String {
        func spacing(_ ticks: [(Double, Double)]) -> Double? { ticks.count > 1 ? ticks[1].0 - ticks[0].0 : nil }
        let xStep = spacing(xTicks), yStep = logY ? nil : spacing(yTicks)
        var svg = "<g stroke=\"#98a2b3\" stroke-width=\"1\"><line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\"/>"
            + "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\"/></g><g font-size=\"10\" fill=\"#475467\">"
        for (value, x) in xTicks {
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#98a2b3\"/>", x, height - bottom, x, height - bottom + 4)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, height - bottom + 15) + label(value, step: xStep) + "</text>"
        }
        for (value, y) in yTicks {
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eaecf0\"/>", left, y, width - right, y)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", left - 6, y + 3) + label(value, step: yStep) + "</text>"
        }
        svg += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\" font-size=\"11\">\(escape(xLabel))</text>"
        svg += "<text transform=\"translate(12 \((top + height - bottom) / 2)) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">\(escape(yLabel))</text></g>"
        return svg
    }

    static func padded(_ low: Double, _ high: Double) -> (Double, Double) {
        if high > low { return (low, high + (high - low) * 0.05) }
        let margin = low == 0 ? 1 : abs(low) * 0.5  // a flat line (a constant learning rate) at its own scale
        return (low - margin, high + margin)
    }

    /// About five round ticks between low and high.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        let raw = (high - low) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var values: [Double] = []
        var value = ceil(low / step) * step
        while value <= high + step * 1e-9 { values.append(value); value += step }
        return values
    }

    /// Powers of ten between 10^low and 10^high (the values returned are the powers, not exponents).
    static func logTicks(_ low: Double, _ high: Double) -> [Double] {
        Array(Int(ceil(low))...max(Int(ceil(low)), Int(floor(high)))).map { pow(10, Double($0)) }
    }

    /// A tick label with as many decimals as the tick spacing needs (0.05 steps: two).
    static func label(_ value: Double, step: Double? = nil) -> String {
        if value == 0 { return "0" }
        if abs(value) >= 10000 && (step ?? 1000) >= 1000 { return String(format: "%.0fk", value / 1000) }
        if let step, step > 0 {
            let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
            return String(format: "%.\(decimals)f", value)
        }
        if abs(value) >= 100 || value == value.rounded() { return String(format: "%.0f", value) }
        return String(format: "%.3g", value)
    }

    /// Text safe inside SVG/HTML.
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
