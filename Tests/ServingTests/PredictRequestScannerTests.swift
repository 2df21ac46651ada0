import Foundation
import Testing
@testable import Serving

/// The fast path reads plain bodies exactly as JSONDecoder does, and declines everything else.
@Suite struct PredictRequestScannerTests {
    static func scan(_ text: String) -> PredictRequest? {
        Array(text.utf8).withUnsafeBytes { PredictRequestScanner.scan($0) }
    }

    @Test(arguments: [
        #"{"history": ["1193", 661, "914"], "k": 5, "exclude_seen": true}"#,
        #"{"history":[],"k":null,"exclude_seen":null}"#,
        #" { "exclude_seen" : false , "history" : [ -3 , "é映画" ] } "#,
        #"{"history": ["0"], "k": 0}"#,
        #"{"history": [9007199254740991, -9007199254740991]}"#,
    ])
    func plainBodiesMatchJSONDecoder(_ body: String) throws {
        let fast = try #require(Self.scan(body))
        let slow = try JSONDecoder().decode(PredictRequest.self, from: Data(body.utf8))
        #expect(fast.history == slow.history && fast.k == slow.k && fast.excludeSeen == slow.excludeSeen)
    }

    @Test(arguments: [
        #"{"history": ["a\"b"]}"#, #"{"history": ["1"], "k": 1.5}"#, #"{"history": ["1"], "k": 1e2}"#,
        #"{"history": ["1"], "other": 1}"#, #"{"history": ["1"], "history": ["2"]}"#, #"{"k": 3}"#,
        #"{"history": [true]}"#, #"{"history": ["1"]"#, #"{"history": ["1"]} x"#, #"[1]"#, "",
        #"{"history": [01]}"#, #"{"history": [99999999999999999999]}"#, #"{"history": ["1"], "exclude_seen": 1}"#,
        #"{"history": [9223372036854775807]}"#, #"{"history": [{"item": "1"}]}"#,
    ])
    func everythingElseFallsBack(_ body: String) {
        #expect(Self.scan(body) == nil)
    }

    /// Integer ids beyond what JSON carries exactly (±(2^53 − 1), as the API documents) are refused, not rounded.
    @Test func integersBeyondTwoToThe53AreRefused() {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(PredictRequest.self, from: Data(#"{"history": [9007199254740992]}"#.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(PredictRequest.self, from: Data(#"{"history": [{"item": 1, "ts": -9007199254740992}]}"#.utf8)) }
    }
}
