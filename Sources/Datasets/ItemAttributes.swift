import Core
import Foundation

/// One categorical item attribute to keep (`prepare --attribute NAME[=COLUMN]`): stored under
/// `name`, read from `column` (a header name or a 1-based index; the name itself by default).
public struct ItemAttributeSpec: Sendable, Codable, Equatable {
    public var name: String
    public var column: ColumnSpec

    /// Parses `NAME` or `NAME=COLUMN`. Names are file names in the dataset: letters, digits, `_`, `-`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        name = parts[0]
        column = ColumnSpec(parts.count > 1 ? parts[1] : parts[0])
        guard !name.isEmpty, parts.count == 1 || !parts[1].isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw DatasetError.invalidOption("--attribute '\(text)': the name must be 1 to 64 letters, digits, '_' or '-' (NAME or NAME=COLUMN)")
        }
    }
}

/// Categorical item attributes (category, brand, genres, …) read from a side table or from the
/// log itself, one or more values per item.
///
/// A table is delimited text (`::`, tab, `|` or comma, detected from the first line) with a
/// header naming its columns, or without one (columns by 1-based index, e.g. MovieLens
/// movies.dat: `--attribute genre=3`). The item column is the header's item/id column, or the
/// first. A value holding `|` (when `|` is not the delimiter) is several values
/// (`Action|Comedy`). An item on several lines gets the union of its values, in order.
public enum ItemAttributeReader {
    /// Values per original item id, for each of `specs` (same order).
    public static func read(path: String, specs: [ItemAttributeSpec], itemColumn: ColumnSpec? = nil) throws -> [[String: [String]]] {
        let blocks = try LineBlockReader(path: path)
        var tables = [[String: [String]]](repeating: [:], count: specs.count)
        var splitter: FieldSplitter?
        var itemIndex = 0
        var columns: [Int] = []
        var splitsMultipleValues = true
        var lineNumber = 0
        while let block = try blocks.nextBlock(size: 1 << 20) {  // whole lines
            for var line in block.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                if line.last == 0x0d { line = line.dropLast() }
                if line.isEmpty { continue }
                let bytes = Array(line)
                if splitter == nil {
                    let mode: FieldSplitter.Mode
                    if bytes.containsSubsequence(Array("::".utf8)) { mode = .string(Array("::".utf8)) }
                    else if bytes.contains(0x09) { mode = .byte(0x09, quoted: false) }
                    else if bytes.contains(UInt8(ascii: "|")) && !bytes.contains(UInt8(ascii: ",")) { mode = .byte(UInt8(ascii: "|"), quoted: false) }
                    else { mode = .byte(UInt8(ascii: ","), quoted: true) }
                    if case .byte(UInt8(ascii: "|"), _) = mode { splitsMultipleValues = false }
                    var first = FieldSplitter(mode: mode)
                    let names: [String] = bytes.withUnsafeBytes { raw in
                        _ = first.split(raw)
                        return (0..<first.count).map { first.text($0, in: raw) }
                    }
                    let lowered = names.map { $0.lowercased() }
                    let wanted = specs.compactMap { spec -> String? in if case .name(let name) = spec.column { return name.lowercased() } else { return nil } }
                    let isHeader = !wanted.isEmpty && wanted.allSatisfy(lowered.contains)
                    if !isHeader, let missing = wanted.first {
                        throw DatasetError.unknownColumn(path: path, column: missing, available: names)
                    }
                    func resolve(_ spec: ColumnSpec) -> Int {
                        switch spec {
                        case .index(let i): return i
                        case .name(let name): return lowered.firstIndex(of: name.lowercased())!
                        }
                    }
                    if let itemColumn {
                        if case .name(let name) = itemColumn, !lowered.contains(name.lowercased()) {
                            throw DatasetError.unknownColumn(path: path, column: name, available: isHeader ? names : [])
                        }
                        itemIndex = resolve(itemColumn)
                    } else {
                        itemIndex = isHeader ? (lowered.firstIndex { KnownColumns.item.contains($0) || $0 == "id" } ?? 0) : 0
                    }
                    columns = specs.map { resolve($0.column) }
                    splitter = first
                    if isHeader { continue }
                }
                try bytes.withUnsafeBytes { raw in
                    guard splitter!.split(raw), splitter!.count > max(itemIndex, columns.max() ?? 0) else {
                        throw DatasetError.malformedLine(path: path, line: lineNumber,
                                                         reason: "expected at least \(max(itemIndex, columns.max() ?? 0) + 1) fields, found \(splitter!.count)")
                    }
                    let item = splitter!.text(itemIndex, in: raw)
                    guard !item.isEmpty else { return }
                    for (index, column) in columns.enumerated() {
                        let text = splitter!.text(column, in: raw)
                        let values = splitsMultipleValues ? text.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } : [text.trimmingCharacters(in: .whitespaces)]
                        // Stored as written to the .tsv (tabs become spaces), so compare in that form.
                        for value in values.map(DatasetWriter.tsvField) where !value.isEmpty {
                            if tables[index][item, default: []].contains(value) { continue }
                            tables[index][item, default: []].append(value)
                        }
                    }
                }
            }
        }
        return tables
    }
}

/// One item attribute of a dataset, as written: a value vocabulary and, per item, its value ids
/// (compressed rows: item id i holds `values[offsets[i - 1]..<offsets[i]]`).
public struct StoredItemAttribute: Sendable, Equatable {
    public var name: String
    /// Value names in id order (value id v names `vocabulary[v - 1]`).
    public var vocabulary: [String]
    /// items + 1 boundaries.
    public var offsets: [UInt32]
    /// Value ids (1…vocabulary.count).
    public var values: [UInt32]

    /// Builds the rows of `itemCount` items (`original(id)` names item id) from `valuesByItem`;
    /// value ids of `known` (a parent's vocabulary, `--like`) are kept and new values appended.
    public init(name: String, valuesByItem: [String: [String]], itemCount: Int, original: (Int) -> String, known: [String] = []) {
        self.name = name
        vocabulary = known
        var ids: [String: UInt32] = [:]
        for (index, value) in known.enumerated() { ids[value] = UInt32(index + 1) }
        offsets = [0]
        offsets.reserveCapacity(itemCount + 1)
        values = []
        for id in 1...max(1, itemCount) where id <= itemCount {
            for value in valuesByItem[original(id)] ?? [] {
                if ids[value] == nil {
                    vocabulary.append(value)
                    ids[value] = UInt32(vocabulary.count)
                }
                values.append(ids[value]!)
            }
            offsets.append(UInt32(values.count))
        }
    }

    public init(name: String, vocabulary: [String], offsets: [UInt32], values: [UInt32]) {
        self.name = name
        self.vocabulary = vocabulary
        self.offsets = offsets
        self.values = values
    }

    /// Items with at least one value.
    public var itemsWithValues: Int { zip(offsets, offsets.dropFirst()).reduce(0) { $0 + ($1.1 > $1.0 ? 1 : 0) } }

    /// The directory inside a dataset that holds the attributes' files.
    public static let directory = "attributes"

    /// Writes `NAME.tsv` (id → value), `NAME.offsets.bin` and `NAME.values.bin` (UInt32) into `folder`.
    func write(to folder: String) throws {
        var table = "id\tvalue\n"
        for (index, value) in vocabulary.enumerated() { table += "\(index + 1)\t\(value)\n" }
        try AtomicOutput.writeText(folder + "/\(name).tsv", table)
        try AtomicOutput.writeArray(folder + "/\(name).offsets.bin", offsets)
        try AtomicOutput.writeArray(folder + "/\(name).values.bin", values)
    }

    /// Reads attribute `name` of the dataset in `directory`, checking it against `itemCount`.
    static func read(name: String, directory: String, itemCount: Int) throws -> StoredItemAttribute {
        let folder = directory + "/" + Self.directory
        func data(_ file: String) throws -> Data {
            guard let data = FileManager.default.contents(atPath: folder + "/" + file) else {
                throw DatasetError.corruptDataset(path: directory, reason: "\(Self.directory)/\(file) is missing")
            }
            return data
        }
        func integers(_ file: String) throws -> [UInt32] {
            let bytes = try data(file)
            guard bytes.count % 4 == 0 else { throw DatasetError.corruptDataset(path: folder + "/" + file, reason: "\(bytes.count) bytes, not a whole number of UInt32") }
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        }
        let vocabulary = String(decoding: try data("\(name).tsv"), as: UTF8.self).split(separator: "\n").dropFirst()
            .map { line in line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).last.map(String.init) ?? "" }
        let offsets = try integers("\(name).offsets.bin"), values = try integers("\(name).values.bin")
        let stored = StoredItemAttribute(name: name, vocabulary: vocabulary, offsets: offsets, values: values)
        if let problem = stored.problem(itemCount: itemCount) {
            throw DatasetError.corruptDataset(path: folder + "/\(name).*", reason: problem)
        }
        return stored
    }

    /// What is inconsistent in the rows (untrusted files), or nil.
    func problem(itemCount: Int) -> String? {
        guard offsets.count == itemCount + 1, offsets.first == 0, offsets.last == UInt32(values.count) else {
            return "offsets do not span \(itemCount) items and \(values.count) values"
        }
        for i in 1..<offsets.count where offsets[i] < offsets[i - 1] { return "offsets decrease at item \(i)" }
        let limit = UInt32(vocabulary.count)
        if let bad = values.firstIndex(where: { $0 &- 1 >= limit }) { return "value id \(values[bad]) is outside 1…\(limit)" }
        return nil
    }

    /// The value ids of item `id` (1-based).
    public func values(ofItem id: Int) -> ArraySlice<UInt32> { values[Int(offsets[id - 1])..<Int(offsets[id])] }
}
