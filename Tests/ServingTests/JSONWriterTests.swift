import Foundation
import Testing
@testable import Serving

/// The hand-written JSON of prediction answers reads back as the same values with JSONDecoder.
@Suite struct JSONWriterTests {
    @Test func predictResponseRoundTrips() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} é 映画 🎬"
        let response = PredictResponse(
            items: [RecommendedItem(item: "1193", title: awkward, score: 7.33564567565918),
                    RecommendedItem(item: "x\"y", title: nil, score: -0.125),
                    RecommendedItem(item: "3", title: "", score: 1e-12)],
            model: "sasrec-1", unknown: ["a\\b", "\u{01}"], historyUsed: 3, source: "model")
        var json = JSONWriter()
        response.write(into: &json)
        let decoded = try JSONDecoder().decode(PredictResponse.self, from: Data(json.bytes))
        #expect(decoded.items == response.items)
        #expect(decoded.unknown == response.unknown)
        #expect(decoded.model == response.model && decoded.historyUsed == 3 && decoded.source == "model")
    }
}
