import Foundation
import Testing
@testable import Datasets

/// `prepare --like`: a newer log prepared against an existing dataset's item ids.
@Suite struct LikeTests {
    /// Parent items in order of first appearance: sku-a (1), 7 (2), sku-c (3), 42 (4).
    static let parentLog = "user,item,timestamp\n1,sku-a,10\n1,7,20\n2,sku-c,15\n2,42,30\n2,7,40\n"
    /// The newer log: sku-a and 42 are gone, 0042 and sku-e are new ("0042" is not 42).
    static let newerLog = "user,item,timestamp\n3,sku-e,50\n3,sku-c,60\n1,7,70\n1,0042,80\n2,sku-c,90\n"

    @Test func knownItemsKeepTheirIdsAndNewOnesAreAppended() throws {
        let dir = TemporaryDirectory()
        let parent = try prepareSequences([dir.file("old.csv", Self.parentLog)], in: dir, out: "old")
        let parentTable = try parent.dataset.itemTable().originals
        #expect(parentTable == ["sku-a", "7", "sku-c", "42"])

        let child = try prepareSequences([dir.file("new.csv", Self.newerLog)], in: dir, out: "new") { $0.like = dir.path + "/old" }
        let table = try child.dataset.itemTable().originals
        #expect(Array(table.prefix(4)) == parentTable)
        #expect(Array(table.dropFirst(4)) == ["sku-e", "0042"])
        #expect(child.sequences == [["sku-e", "sku-c"], ["7", "0042"], ["sku-c"]])
        try child.dataset.validate()

        let lineage = try #require(child.summary.manifest.parent)
        #expect(lineage.items == 4)
        #expect(lineage.newItems == 2)
        #expect(lineage.absentItems == 2)
        #expect(lineage.vocabularySHA256 == parent.summary.manifest.vocabularySHA256)
        #expect(lineage.vocabularySHA256 == (try ItemVocabulary(dataset: child.dataset)).digest(prefix: 4))
        #expect(child.summary.manifest.vocabularySHA256 == (try ItemVocabulary(dataset: child.dataset)).digest())
        #expect(child.summary.manifest.vocabularySHA256 != lineage.vocabularySHA256)
        // The lineage survives the round trip through manifest.json.
        #expect(try Manifest.load(directory: dir.path + "/new").parent == lineage)
    }

    @Test func aChainOfLikesKeepsEveryGenerationsIds() throws {
        let dir = TemporaryDirectory()
        _ = try prepareSequences([dir.file("a.csv", Self.parentLog)], in: dir, out: "a")
        _ = try prepareSequences([dir.file("b.csv", Self.newerLog)], in: dir, out: "b") { $0.like = dir.path + "/a" }
        let third = try prepareSequences([dir.file("c.txt", "9 fresh\n9 sku-a\n")], in: dir, out: "c") { $0.like = dir.path + "/b" }
        #expect(try third.dataset.itemTable().originals == ["sku-a", "7", "sku-c", "42", "sku-e", "0042", "fresh"])
        #expect(third.sequences == [["fresh", "sku-a"]])
    }

    @Test func titlesOfKnownItemsAreInherited() throws {
        let dir = TemporaryDirectory()
        let meta = dir.file("items.csv", "item_id,title\nsku-a,Apple\n7,Seven\n")
        _ = try prepareSequences([dir.file("old.csv", Self.parentLog)], in: dir, out: "old") { $0.itemMeta = meta }
        let child = try prepareSequences([dir.file("new.csv", Self.newerLog)], in: dir, out: "new") { $0.like = dir.path + "/old" }
        let titles = try child.dataset.itemTable().titles
        #expect(titles == ["Apple", "Seven", "", "", "", ""])
        #expect(child.summary.manifest.titledItems == 2)
    }

    @Test func aMissingParentIsAClearError() throws {
        let dir = TemporaryDirectory()
        #expect {
            _ = try prepareSequences([dir.file("new.csv", Self.newerLog)], in: dir) { $0.like = dir.path + "/nowhere" }
        } throws: { error in
            "\(error)".contains("nowhere") && "\(error)".contains("not a dataset directory")
        }
    }
}
