import Foundation
import Hummingbird
import HummingbirdTesting
import Serving
import Testing

/// The web page in a real browser: headless Chromium (Debian's `chromium`) loads it from a live
/// server, with a key and a history in the link's fragment; the rendered DOM must show the model
/// card and the predictions, and a screenshot is saved (.build/screenshots/web-page.png).
@Suite(.serialized) struct WebPageTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static func runChromium(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                             "--user-data-dir=" + NSTemporaryDirectory() + "chromium-" + UUID().uuidString,
                             "--virtual-time-budget=8000"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(.enabled(if: chromium != nil, "needs Debian's chromium (make test installs it)"))
    func pageShowsModelCardAndPredictionsInChromium() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let parts = try await TrajectoryServer.makeParts(fixture.configuration())
        let app = Application(router: parts.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let history = fixture.knownItems.prefix(3).joined(separator: ",")
        let screenshot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/screenshots/web-page.png").standardized.path
        try FileManager.default.createDirectory(atPath: (screenshot as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: screenshot)
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port!)/#key=\(fixture.key)&history=\(history)"
            let dom = try Self.runChromium(["--dump-dom", url])
            #expect(dom.contains("sasrec · sasrec-"), "the model card names the model")
            #expect(dom.contains("<dt>valid NDCG@10</dt>"))
            #expect(dom.contains("from 3 history items"), "the playground predicted")
            #expect(dom.components(separatedBy: "<td class=\"num\">").count > 10, "a table of ranked items")
            #expect(dom.contains("Item "), "titles shown")
            _ = try Self.runChromium(["--screenshot=" + screenshot, "--window-size=1280,900", url])
        }
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
        #expect(size > 20_000, "a rendered screenshot at \(screenshot)")
        try await parts.service.close()
    }
}
