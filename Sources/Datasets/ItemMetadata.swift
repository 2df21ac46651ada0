/// Item titles read from a metadata file: MovieLens `id::title::genres`, `u.item`
/// (`id|title|…`), or CSV/TSV (with a header naming the id and title columns, or id first,
/// title second). Latin-1 and UTF-8 are both read correctly.
public enum ItemMetadata {
    /// Titles by original item id text.
    public static func titles(path: String, idColumn: ColumnSpec? = nil, titleColumn: ColumnSpec? = nil) throws -> [String: String] {
        let blocks = try LineBlockReader(path: path)
        var titles: [String: String] = [:]
        var splitter: FieldSplitter?
        var idIndex = 0
        var titleIndex = 1
        var lineNumber = 0
        while let block = try blocks.nextBlock(size: 1 << 20) {
            var lines = block.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            if lines.last?.isEmpty == true { lines.removeLast() }
            for var line in lines {
                lineNumber += 1
                if line.last == 0x0d { line = line.dropLast() }
                if line.isEmpty { continue }
                let bytes = Array(line)
                if splitter == nil {
                    let mode: FieldSplitter.Mode
                    if bytes.containsSubsequence(Array("::".utf8)) { mode = .string(Array("::".utf8)) }
                    else if bytes.contains(0x09) { mode = .byte(0x09, quoted: false) }
                    else if bytes.contains(UInt8(ascii: "|")) { mode = .byte(UInt8(ascii: "|"), quoted: false) }
                    else { mode = .byte(UInt8(ascii: ","), quoted: true) }
                    var first = FieldSplitter(mode: mode)
                    let names: [String] = bytes.withUnsafeBytes { raw in
                        _ = first.split(raw)
                        return (0..<first.count).map { first.text($0, in: raw) }
                    }
                    let lowered = names.map { $0.lowercased() }
                    let headerId = lowered.firstIndex { KnownColumns.item.contains($0) || $0 == "id" }
                    let headerTitle = lowered.firstIndex { ["title", "name", "product_title"].contains($0) }
                    let isHeader = headerId != nil && headerTitle != nil
                    func resolve(_ spec: ColumnSpec?, _ fallback: Int) throws -> Int {
                        switch spec {
                        case .index(let i)?: return i
                        case .name(let name)?:
                            guard isHeader, let i = lowered.firstIndex(of: name.lowercased()) else {
                                throw DatasetError.unknownColumn(path: path, column: name, available: isHeader ? names : [])
                            }
                            return i
                        case nil: return fallback
                        }
                    }
                    idIndex = try resolve(idColumn, headerId ?? 0)
                    titleIndex = try resolve(titleColumn, headerTitle ?? 1)
                    splitter = first
                    if isHeader { continue }
                }
                bytes.withUnsafeBytes { raw in
                    guard splitter!.split(raw), splitter!.count > max(idIndex, titleIndex) else { return }
                    let id = splitter!.text(idIndex, in: raw)
                    let title = splitter!.text(titleIndex, in: raw)
                    if !id.isEmpty { titles[id] = title }
                }
            }
        }
        return titles
    }
}
