import Testing
@testable import Datasets

private func millis(_ text: String, unit: TimeUnit = .auto) -> Int64? {
    var text = text
    return text.withUTF8 { TimestampParser.milliseconds(UnsafeRawBufferPointer($0), unit: unit) }
}

@Suite struct TimestampTests {
    @Test func unixSecondsMillisecondsAndMicroseconds() {
        #expect(millis("978300760") == 978_300_760_000)
        #expect(millis("978300760123") == 978_300_760_123)
        #expect(millis("978300760123456") == 978_300_760_123)
        #expect(millis("0") == 0)
        #expect(millis("1500", unit: .milliseconds) == 1500)
        #expect(millis("1500", unit: .seconds) == 1_500_000)
        #expect(millis("1500000", unit: .microseconds) == 1500)
    }

    @Test func fractionalSeconds() {
        #expect(millis("978300760.5") == 978_300_760_500)
        #expect(millis("978300760.123456") == 978_300_760_123)
        #expect(millis("978300760.") == nil)
    }

    @Test func iso8601Forms() {
        #expect(millis("2000-12-31T22:12:40Z") == 978_300_760_000)
        #expect(millis("2000-12-31 22:12:40") == 978_300_760_000)
        #expect(millis("2000-12-31T23:12:40+01:00") == 978_300_760_000)
        #expect(millis("2000-12-31T17:12:40-0500") == 978_300_760_000)
        #expect(millis("2000-12-31T22:12:40.250Z") == 978_300_760_250)
        #expect(millis("2000-12-31T22:12Z") == 978_300_720_000)
        #expect(millis("1969-12-31T23:59:59Z") == -1000)
    }

    @Test func plainDates() {
        #expect(millis("2000-12-31") == 978_220_800_000)
        #expect(millis("2024-02-29") == 1_709_164_800_000)
        #expect(millis("2023-02-29") == nil)
        #expect(millis("2023-13-01") == nil)
    }

    @Test func rejectsNonTimes() {
        for text in ["", "abc", "12:30", "2000-12-31T25:00:00Z", "2000-12-31T22:12:40Q", "1e9", "--5"] {
            #expect(millis(text) == nil, "\(text) should not parse")
        }
    }

    @Test func formatsIso8601() {
        #expect(TimestampParser.iso8601String(unixSeconds: 978_300_760) == "2000-12-31T22:12:40Z")
        #expect(TimestampParser.iso8601String(unixSeconds: -1) == "1969-12-31T23:59:59Z")
    }

    @Test func durations() {
        #expect(DurationParser.milliseconds("30m") == 1_800_000)
        #expect(DurationParser.milliseconds("90s") == 90_000)
        #expect(DurationParser.milliseconds("2h") == 7_200_000)
        #expect(DurationParser.milliseconds("1d") == 86_400_000)
        #expect(DurationParser.milliseconds("1500ms") == 1500)
        #expect(DurationParser.milliseconds("45") == 45_000)
        #expect(DurationParser.milliseconds("soon") == nil)
        #expect(DurationParser.milliseconds("-5m") == nil)
    }
}
