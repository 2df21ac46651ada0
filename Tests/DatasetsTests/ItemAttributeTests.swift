import Foundation
import Testing
@testable import Datasets

/// `prepare --attribute NAME[=COLUMN] [--item-attributes FILE]`: categorical item attributes,
/// one or more values per item, stored beside the sequences.
@Suite struct ItemAttributeTests {
    static let log = "user,item,ts\n1,10,1\n1,20,2\n2,30,3\n2,10,4\n"

    static func values(_ dataset: Dataset, _ name: String) throws -> [[String]] {
        let attribute = try #require(dataset.itemAttributes.first { $0.name == name })
        return (1...dataset.itemCount).map { id in attribute.values(ofItem: id).map { attribute.vocabulary[Int($0) - 1] } }
    }

    @Test func aMovieLensTableGivesEachItemItsGenres() throws {
        let dir = TemporaryDirectory()
        let movies = dir.file("movies.dat", "10::Toy Story (1995)::Animation|Children's|Comedy\n20::Heat (1995)::Action|Crime\n99::Unused::Drama\n")
        let prepared = try prepareSequences([dir.file("log.csv", Self.log)], in: dir) {
            $0.itemAttributes = movies
            $0.attributes = [try! ItemAttributeSpec(parsing: "genre=3")]
        }
        #expect(try Self.values(prepared.dataset, "genre") == [["Animation", "Children's", "Comedy"], ["Action", "Crime"], []])
        let info = try #require(prepared.summary.manifest.itemAttributes?.first)
        #expect(info.name == "genre" && info.column == "3" && info.values == 5 && info.itemsWithValues == 2)
    }

    @Test func aHeaderedTableGivesSeveralAttributes() throws {
        let dir = TemporaryDirectory()
        let table = dir.file("items.csv", "brand,product_id,category\nacme,30,tools\nzenith,10,toys\n,20,toys\n")
        let prepared = try prepareSequences([dir.file("log.csv", Self.log)], in: dir) {
            $0.itemAttributes = table
            $0.attributes = [try! ItemAttributeSpec(parsing: "category"), try! ItemAttributeSpec(parsing: "maker=brand")]
        }
        #expect(try Self.values(prepared.dataset, "category") == [["toys"], ["toys"], ["tools"]])
        #expect(try Self.values(prepared.dataset, "maker") == [["zenith"], [], ["acme"]])
    }

    @Test func attributesCanComeFromTheLogsOwnColumns() throws {
        let dir = TemporaryDirectory()
        let log = "user,item,ts,category\n1,a,1,shoes\n1,b,2,hats\n2,a,3,shoes\n2,c,4,hats|sale\n"
        let prepared = try prepareSequences([dir.file("log.csv", log)], in: dir) { $0.attributes = [try! ItemAttributeSpec(parsing: "category")] }
        #expect(try Self.values(prepared.dataset, "category") == [["shoes"], ["hats"], ["hats", "sale"]])
    }

    @Test func aLikeDatasetKeepsTheParentsValueIds() throws {
        let dir = TemporaryDirectory()
        let spec = try ItemAttributeSpec(parsing: "category")
        _ = try prepareSequences([dir.file("old.csv", "user,item,ts,category\n1,a,1,shoes\n1,b,2,hats\n")], in: dir, out: "old") { $0.attributes = [spec] }
        let child = try prepareSequences([dir.file("new.csv", "user,item,ts,category\n1,c,1,socks\n1,a,2,shoes\n")], in: dir, out: "new") {
            $0.attributes = [spec]
            $0.like = dir.path + "/old"
        }
        let attribute = try #require(child.dataset.itemAttributes.first)
        #expect(attribute.vocabulary == ["shoes", "hats", "socks"])
        #expect(try Self.values(child.dataset, "category") == [["shoes"], [], ["socks"]])
    }

    @Test func badNamesAndMissingColumnsAreNamed() throws {
        #expect(throws: DatasetError.self) { _ = try ItemAttributeSpec(parsing: "../escape") }
        #expect(throws: DatasetError.self) { _ = try ItemAttributeSpec(parsing: "=3") }
        let dir = TemporaryDirectory()
        let table = dir.file("items.csv", "item,category\n10,toys\n")
        #expect {
            _ = try prepareSequences([dir.file("log.csv", Self.log)], in: dir) {
                $0.itemAttributes = table
                $0.attributes = [try! ItemAttributeSpec(parsing: "brand")]
            }
        } throws: { error in "\(error)".contains("unknown column 'brand'") && "\(error)".contains("item, category") }
    }

    @Test func aDamagedAttributeFileIsRefusedOnOpening() throws {
        let dir = TemporaryDirectory()
        let log = "user,item,ts,category\n1,a,1,shoes\n1,b,2,hats\n"
        _ = try prepareSequences([dir.file("log.csv", log)], in: dir) { $0.attributes = [try! ItemAttributeSpec(parsing: "category")] }
        let path = dir.path + "/ds/attributes/category.values.bin"
        try Data([UInt8](repeating: 0, count: 4) + [7, 0, 0, 0]).write(to: URL(fileURLWithPath: path))
        #expect { _ = try Dataset(directory: dir.path + "/ds") } throws: { error in "\(error)".contains("category") && "\(error)".contains("outside") }
    }
}
