import Foundation

/// The report's one HTML page: its template, style and script (Page/, compiled into the binary)
/// with the report's data inline, so the file opens anywhere with no network, years later.
/// The dashboard serves the same page without data; its script then fetches and refreshes it.
public enum ReportPage {
    /// The page with `report`'s data inside: what `sweep report` writes.
    public static func html(for report: SweepReport) throws -> Data {
        let json = try encodedJSON(report)
        return Data(page(title: "sweep · \(report.sweep.name)", mode: "report", data: inlineScriptText(json)).utf8)
    }

    /// The dashboard's page: the same views, whose script polls the JSON endpoints beside it.
    public static func live() -> Data {
        Data(page(title: "sweep dashboard", mode: "live", data: "null").utf8)
    }

    /// The report as JSON, as the page reads it (snake_case keys; values that are not numbers
    /// never appear as numbers).
    public static func encodedJSON(_ report: SweepReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // The report holds no non-finite number (they are left out, with their text); this only
        // keeps a mistake from ending the report.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "NaN")
        return try encoder.encode(report)
    }

    /// JSON made safe inside `<script>`: no `</script>` or `<!--` can end or change it early.
    /// `<` only occurs inside JSON strings, where `\u003c` is the same character.
    static func inlineScriptText(_ json: Data) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(json.count + 64)
        let escape = Array("\\u003c".utf8)
        for byte in json {
            if byte == UInt8(ascii: "<") { bytes += escape } else { bytes.append(byte) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func page(title: String, mode: String, data: String) -> String {
        // Filled in one pass, so that text in the data never matches a later placeholder.
        let values = [
            "{{TITLE}}": escaped(title), "{{MODE}}": mode, "{{STYLE}}": PageAssets.style, "{{SCRIPT}}": PageAssets.script,
            "{{DATA}}": data,
        ]
        var result = ""
        var rest = Substring(PageAssets.template)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                result += rest[open.lowerBound...]
                return result
            }
            let key = String(rest[open.lowerBound..<close.upperBound])
            result += values[key] ?? key
            rest = rest[close.upperBound...]
        }
        result += rest
        return result
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// The page's files, as compiled in by the package (`resources: [.embedInCode(...)]`).
enum PageAssets {
    static let template = String(decoding: PackageResources.report_html, as: UTF8.self)
    static let style = String(decoding: PackageResources.report_css, as: UTF8.self)
    /// The script's files in order, run as one inside the template's function.
    static let script = [PackageResources.foundation_js, PackageResources.plots_js, PackageResources.details_js, PackageResources.page_js]
        .map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
}
