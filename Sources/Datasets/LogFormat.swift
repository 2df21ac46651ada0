/// The layouts of raw behaviour logs that `prepare` reads.
public enum LogFormat: String, Sendable, CaseIterable, Codable {
    /// Decide from the file name and the first lines.
    case auto
    /// MovieLens `user::item::rating::timestamp` (ratings.dat).
    case movielens
    /// Comma-separated (or any `--delimiter`), with or without a header.
    case csv
    /// Tab-separated, with or without a header.
    case tsv
    /// One JSON object per line.
    case jsonl
    /// `user item [timestamp]`, one event a line, whitespace-separated; file order is time order.
    case pairs
    /// `user item item …`, one user a line, oldest first.
    case sequences
}

/// Whether a delimited file starts with a header line.
public enum HeaderMode: String, Sendable, CaseIterable, Codable {
    case auto, yes, no
}

/// A column chosen by 1-based index (`3`) or by header/JSON name (`movieId`).
public enum ColumnSpec: Sendable, Equatable, Codable, CustomStringConvertible {
    case index(Int)
    case name(String)

    /// Reads `3` as the third column and anything else as a name.
    public init(_ text: String) {
        if let number = Int(text), number >= 1 { self = .index(number - 1) } else { self = .name(text) }
    }

    public var description: String {
        switch self {
        case .index(let index): return String(index + 1)
        case .name(let name): return name
        }
    }
}

/// How to read the input logs: the options of `prepare` that concern parsing.
public struct ReadOptions: Sendable, Codable, Equatable {
    public var format: LogFormat = .auto
    /// Field delimiter for csv (default `,`); `\t`, `tab`, `::` and other strings are accepted.
    public var delimiter: String?
    public var header: HeaderMode = .auto
    public var user: ColumnSpec?
    public var item: ColumnSpec?
    public var time: ColumnSpec?
    public var rating: ColumnSpec?
    /// Event-type column: each event's type (view, cart, buy, …) is kept in the dataset
    /// (events.bin, a small vocabulary in the manifest), and filtered by `keepEvents`.
    public var event: ColumnSpec?
    /// Event types to keep (requires an event column); empty keeps all.
    public var keepEvents: [String] = []
    /// Numeric strength column (a rating, a watch time): kept per event in values.bin.
    public var value: ColumnSpec?
    /// Drop events rated below this (requires a rating column).
    public var minRating: Double?
    public var timeUnit: TimeUnit = .auto

    public init() {}
}

/// Column names recognised in headers and JSON objects when none is given.
enum KnownColumns {
    static let user = ["user", "user_id", "userid", "uid", "visitorid", "visitor_id", "customer_id", "session_id", "sessionid", "reviewerid"]
    static let item = ["item", "item_id", "itemid", "iid", "movieid", "movie_id", "product_id", "productid", "asin", "track_id", "article_id", "itemid"]
    static let time = ["timestamp", "time", "ts", "datetime", "date", "event_time", "created_at", "unixreviewtime"]
    static let rating = ["rating", "score", "stars", "overall"]
    static let event = ["event", "event_type", "action", "type", "behavior", "behaviour"]
    static var all: Set<String> { Set(user + item + time + rating + event) }
}

/// The reader settled for one file: layout, columns, filters.
struct ResolvedReader: Sendable {
    enum Layout: Sendable {
        /// Delimited fields, one event a line.
        case fields(FieldSplitter.Mode)
        /// One JSON object a line; columns index `jsonKeys`.
        case jsonl
        /// `user item item …` per line.
        case sequences
    }

    var layout: Layout
    /// The format actually read (never `.auto`).
    var format: LogFormat
    var skipFirstLine = false
    var user = 0
    var item = 1
    var time: Int?
    var rating: Int?
    var event: Int?
    var value: Int?
    var jsonKeys: [String] = []
    var keepEvents: [[UInt8]] = []
    var minRating: Double?
    var timeUnit: TimeUnit = .auto
    /// Column names (header or JSON keys), for error messages.
    var columnNames: [String] = []

    var hasTime: Bool { time != nil }

    /// Settles the reader for `path` from the options and the file's first lines.
    static func resolve(path: String, options: ReadOptions) throws -> ResolvedReader {
        let firstLines = try Self.firstLines(of: path, count: 20)
        var format = options.format
        if format == .auto { format = detectFormat(path: path, lines: firstLines, delimiter: options.delimiter) }
        var reader = ResolvedReader(layout: .sequences, format: format)
        reader.minRating = options.minRating
        reader.timeUnit = options.timeUnit
        reader.keepEvents = options.keepEvents.map { Array($0.utf8) }

        switch format {
        case .auto:
            preconditionFailure("detectFormat never answers auto")
        case .movielens:
            reader.layout = .fields(.string(Array("::".utf8)))
            try reader.pickColumns(path: path, names: [], options: options,
                                   defaults: (user: 0, item: 1, rating: 2, time: 3))
        case .csv, .tsv:
            let delimiter = options.delimiter ?? (format == .csv ? sniffDelimiter(firstLines) : nil)
            let mode = try delimiterMode(format: format, delimiter: delimiter)
            reader.layout = .fields(mode)
            var splitter = FieldSplitter(mode: mode)
            var names: [String] = []
            if let first = firstLines.first {
                first.withUnsafeBytes { _ = splitter.split($0) }
                names = first.withUnsafeBytes { line in (0..<splitter.count).map { splitter.text($0, in: line) } }
            }
            let hasHeader: Bool
            switch options.header {
            case .yes: hasHeader = true
            case .no: hasHeader = false
            case .auto:
                let requestedNames = [options.user, options.item, options.time, options.rating, options.event]
                    .compactMap { spec -> String? in if case .name(let name) = spec { return name.lowercased() } else { return nil } }
                let lowered = Set(names.map { $0.lowercased() })
                hasHeader = !requestedNames.isEmpty || !lowered.isDisjoint(with: KnownColumns.all)
                    || firstLineLooksLikeHeader(firstLines, splitter: &splitter)
            }
            reader.skipFirstLine = hasHeader
            let count = names.count
            let defaults: (user: Int, item: Int, rating: Int?, time: Int?) =
                count >= 4 ? (0, 1, 2, 3) : count == 3 ? (0, 1, nil, 2) : (0, 1, nil, nil)
            try reader.pickColumns(path: path, names: hasHeader ? names : [], options: options, defaults: defaults)
        case .jsonl:
            reader.layout = .jsonl
            var keys: [String] = []
            if let first = firstLines.first {
                keys = first.withUnsafeBytes { topLevelKeys(of: $0) }
            }
            reader.columnNames = keys
            func key(_ spec: ColumnSpec?, _ known: [String], _ label: String, required: Bool) throws -> Int? {
                let name: String?
                switch spec {
                case .name(let given)?: name = given
                case .index?:
                    throw DatasetError.invalidOption("JSON Lines columns are chosen by name, not index (--\(label))")
                case nil: name = keys.first { known.contains($0.lowercased()) }
                }
                guard let name else {
                    if required && keys.isEmpty {
                        throw DatasetError.invalidOption("\(path): the first line is not a JSON object, so the file is not JSON Lines; check --format (or leave it out to detect the format)")
                    }
                    if required { throw DatasetError.unknownColumn(path: path, column: "<\(label)>", available: keys) }
                    return nil
                }
                if let existing = reader.jsonKeys.firstIndex(of: name) { return existing }
                reader.jsonKeys.append(name)
                return reader.jsonKeys.count - 1
            }
            reader.user = try key(options.user, KnownColumns.user, "user", required: true)!
            reader.item = try key(options.item, KnownColumns.item, "item", required: true)!
            reader.time = try key(options.time, KnownColumns.time, "time", required: options.time != nil)
            reader.rating = try key(options.rating, KnownColumns.rating, "rating", required: options.rating != nil || options.minRating != nil)
            reader.event = try key(options.event, KnownColumns.event, "event", required: options.event != nil || !options.keepEvents.isEmpty)
            reader.value = try options.value.map { _ in try key(options.value, [], "value", required: true)! }
            if options.minRating == nil { reader.rating = nil }
            if options.keepEvents.isEmpty && options.event == nil { reader.event = nil }
        case .pairs:
            reader.layout = .fields(.whitespace)
            // A third column, when the file has one, is the timestamp.
            var splitter = FieldSplitter(mode: .whitespace)
            firstLines.first?.withUnsafeBytes { _ = splitter.split($0) }
            try reader.pickColumns(path: path, names: [], options: options,
                                   defaults: (0, 1, nil, splitter.count >= 3 ? 2 : nil))
        case .sequences:
            reader.layout = .sequences
            if options.time != nil || options.minRating != nil || !options.keepEvents.isEmpty || options.event != nil || options.value != nil {
                throw DatasetError.invalidOption("\(path): the sequences format has no time, rating, event or value columns")
            }
            reader.time = nil
        }
        return reader
    }

    /// True when some column is numeric on every line but the first: the first line then names the columns.
    private static func firstLineLooksLikeHeader(_ lines: [[UInt8]], splitter: inout FieldSplitter) -> Bool {
        guard lines.count >= 2 else { return false }
        func fields(_ line: [UInt8]) -> [String] {
            line.withUnsafeBytes { raw in
                _ = splitter.split(raw)
                return (0..<splitter.count).map { splitter.text($0, in: raw) }
            }
        }
        let header = fields(lines[0])
        let rows = lines.dropFirst().map(fields)
        for column in header.indices where Double(header[column]) == nil {
            if rows.allSatisfy({ column < $0.count && Double($0[column]) != nil }) { return true }
        }
        return false
    }

    /// Chooses field indices for delimited layouts from names (header) or indices.
    private mutating func pickColumns(path: String, names: [String], options: ReadOptions,
                                      defaults: (user: Int, item: Int, rating: Int?, time: Int?)) throws {
        columnNames = names
        let lowered = names.map { $0.lowercased() }
        func index(_ spec: ColumnSpec?, _ known: [String], _ fallback: Int?, _ label: String) throws -> Int? {
            switch spec {
            case .index(let i)?: return i
            case .name(let name)?:
                if let i = names.firstIndex(of: name) ?? lowered.firstIndex(of: name.lowercased()) { return i }
                throw DatasetError.unknownColumn(path: path, column: name, available: names)
            case nil:
                if !names.isEmpty {
                    if let i = lowered.firstIndex(where: { known.contains($0) }) { return i }
                    return label == "user" || label == "item" ? fallback : nil
                }
                return fallback
            }
        }
        user = try index(options.user, KnownColumns.user, defaults.user, "user")!
        item = try index(options.item, KnownColumns.item, defaults.item, "item")!
        time = try index(options.time, KnownColumns.time, defaults.time, "time")
        rating = try index(options.rating, KnownColumns.rating, defaults.rating, "rating")
        event = try index(options.event, KnownColumns.event, nil, "event")
        value = try options.value.map { _ in try index(options.value, [], nil, "value")! }
        if options.minRating != nil && rating == nil {
            throw DatasetError.invalidOption("\(path): --min-rating needs a rating column (--rating)")
        }
        if !options.keepEvents.isEmpty && event == nil {
            throw DatasetError.invalidOption("\(path): --keep-events needs an event column (--event)")
        }
        if options.minRating == nil { rating = nil }
        if options.keepEvents.isEmpty && options.event == nil { event = nil }
    }

    private static func delimiterMode(format: LogFormat, delimiter: String?) throws -> FieldSplitter.Mode {
        let text = delimiter ?? (format == .tsv ? "\t" : ",")
        switch text {
        case "\\t", "tab", "\t": return .byte(0x09, quoted: format == .csv)
        case "space", " ": return .whitespace
        case "": throw DatasetError.invalidOption("--delimiter must not be empty")
        default:
            let bytes = Array(text.utf8)
            return bytes.count == 1 ? .byte(bytes[0], quoted: true) : .string(bytes)
        }
    }

    /// The separator of a CSV file whose lines hold no comma but, on every one of the first
    /// lines, the same number of `;` or `|` (European exports, Diginetica's logs), as pandas'
    /// sniffer would find; nil to keep the comma.
    static func sniffDelimiter(_ lines: [[UInt8]]) -> String? {
        guard let first = lines.first, !first.contains(UInt8(ascii: ",")) else { return nil }
        for candidate in [UInt8(ascii: ";"), UInt8(ascii: "|")] {
            let count = first.filter { $0 == candidate }.count
            if count > 0 && lines.prefix(5).allSatisfy({ line in line.filter { $0 == candidate }.count == count }) {
                return String(UnicodeScalar(candidate))
            }
        }
        return nil
    }

    /// Guesses the format from the file name and its first lines.
    static func detectFormat(path: String, lines: [[UInt8]], delimiter: String?) -> LogFormat {
        let name = path.lowercased().replacingSuffix(".gz")
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonl }
        if name.hasSuffix(".csv") { return .csv }
        if name.hasSuffix(".tsv") { return .tsv }
        if delimiter != nil { return .csv }
        guard let first = lines.first else { return .pairs }
        if first.first == UInt8(ascii: "{") { return .jsonl }
        if first.containsSubsequence(Array("::".utf8)) { return .movielens }
        if first.contains(0x09) { return .tsv }
        if first.contains(UInt8(ascii: ",")) || sniffDelimiter(lines) != nil { return .csv }
        // Whitespace-separated: two tokens a line (or a numeric third) is pairs, more is sequences.
        var splitter = FieldSplitter(mode: .whitespace)
        for line in lines {
            line.withUnsafeBytes { _ = splitter.split($0) }
            if splitter.count > 3 { return .sequences }
            if splitter.count == 3 {
                let third = line.withUnsafeBytes { splitter.text(2, in: $0) }
                if third.utf8.withContiguousStorageIfAvailable({ TimestampParser.milliseconds(UnsafeRawBufferPointer($0)) }) == nil {
                    return .sequences
                }
            }
        }
        return .pairs
    }

    /// Up to `count` non-empty first lines of a file (gzip read through).
    static func firstLines(of path: String, count: Int) throws -> [[UInt8]] {
        let reader = try LineBlockReader(path: path)
        guard let block = try reader.nextBlock(size: 1 << 16) else { return [] }
        var lines: [[UInt8]] = []
        for line in block.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var bytes = Array(line)
            if bytes.last == 0x0d { bytes.removeLast() }
            if bytes.isEmpty { continue }
            lines.append(bytes)
            if lines.count == count { break }
        }
        return lines
    }

    /// The top-level keys of a JSON object line, in order.
    private static func topLevelKeys(of line: UnsafeRawBufferPointer) -> [String] {
        var keys: [String] = []
        var depth = 0
        var i = 0
        let n = line.count
        var expectKey = false
        while i < n {
            let byte = line[i]
            if byte == UInt8(ascii: "\"") {
                var j = i + 1
                var text: [UInt8] = []
                while j < n && line[j] != UInt8(ascii: "\"") {
                    if line[j] == UInt8(ascii: "\\") { j += 1 }
                    if j < n { text.append(line[j]) }
                    j += 1
                }
                if depth == 1 && expectKey { keys.append(String(decoding: text, as: UTF8.self)); expectKey = false }
                i = j + 1
                continue
            }
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1; if depth == 1 { expectKey = true } }
            else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { depth -= 1 }
            else if byte == UInt8(ascii: ",") && depth == 1 { expectKey = true }
            i += 1
        }
        return keys
    }
}

extension String {
    func replacingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count, !needle.isEmpty else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if Array(self[start..<(start + needle.count)]) == needle { return true }
        }
        return false
    }
}
