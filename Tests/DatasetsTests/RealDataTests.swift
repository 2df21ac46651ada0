import Foundation
import Testing
@testable import Datasets

/// Checks on the real data sets in ../shared/data. Heavy and licence-bound, so they run only
/// when TRAJECTORY_DATA points at that folder (`make check-data` sets it).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TRAJECTORY_DATA"] != nil, "set TRAJECTORY_DATA to ../shared/data"))
struct RealDataTests {
    static var data: String { ProcessInfo.processInfo.environment["TRAJECTORY_DATA"] ?? "" }

    @Test func movieLens1MResearchFileHasTheKnownShape() throws {
        let dir = TemporaryDirectory()
        let result = try prepareSequences([Self.data + "/ml-1m/ml-1m.txt"], in: dir)
        #expect(result.dataset.sequenceCount == 6040)
        #expect(result.dataset.itemCount == 3416)
        #expect(result.dataset.eventCount == 999_611)
        // Ids in that file are already dense by first appearance: they survive unchanged.
        let originals = try result.dataset.itemTable().originals
        #expect(originals.enumerated().allSatisfy { String($0.offset + 1) == $0.element })
    }

    @Test func movieLensRatingsFromGzipWithLatin1Titles() throws {
        let dir = TemporaryDirectory()
        let result = try prepareSequences([Self.data + "/ml-1m/ratings.users1-2999.dat.gz"], in: dir) {
            $0.itemMeta = Self.data + "/ml-1m/movies.dat"
        }
        #expect(result.dataset.sequenceCount == 2999)
        #expect(result.dataset.eventCount == 487_650)
        #expect(result.summary.manifest.sources[0].gzip)
        #expect(result.summary.manifest.sources[0].sha256.hasPrefix("2fedcf54"))
        let table = try result.dataset.itemTable()
        var titleByOriginal: [String: String] = [:]
        for (original, title) in zip(table.originals, table.titles) { titleByOriginal[original] = title }
        #expect(titleByOriginal["1193"] == "One Flew Over the Cuckoo's Nest (1975)")
        #expect(titleByOriginal["73"] == "Misérables, Les (1995)")
        #expect(result.summary.manifest.titledItems == result.dataset.itemCount)
        // User 1's history starts with their earliest rating (978300019: movie 3186).
        #expect(table.originals[Int(result.dataset.sequence(0)[0]) - 1] == "3186")
    }

    @Test func amazonBeautySequencesFile() throws {
        let dir = TemporaryDirectory()
        let result = try prepareSequences([Self.data + "/amazon-beauty/Beauty.txt"], in: dir)
        #expect(result.dataset.sequenceCount == 22_363)
        #expect(result.dataset.itemCount == 12_101)
        #expect(result.dataset.eventCount == 198_502)
    }

    @Test func movieLens100KTabSeparatedWithPipeMetadata() throws {
        let dir = TemporaryDirectory()
        let result = try prepareSequences([Self.data + "/ml-100k/u.data"], in: dir) { $0.itemMeta = Self.data + "/ml-100k/u.item" }
        #expect(result.dataset.sequenceCount == 943)
        #expect(result.dataset.itemCount == 1682)
        #expect(result.dataset.eventCount == 100_000)
        #expect(result.summary.manifest.titledItems == 1682)
    }
}
