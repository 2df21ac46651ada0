#if canImport(Glibc)
import Glibc
#endif

/// A line that could not be read, with where and why.
public struct BadLine: Sendable, Equatable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var reason: String
    public var description: String { "\(file):\(line): \(reason)" }
}

/// The events parsed from one block of lines.
///
/// Ids are interned per block (on the worker thread that parsed it) into block-local dense
/// ids; the reader later maps the few distinct local ids to run-wide ids and rewrites the
/// arrays in place, so the parsed arrays become the stored chunk without a copy.
struct ParsedBlock {
    /// Block-local user and item ids, parallel arrays.
    var users: [UInt32] = []
    var items: [UInt32] = []
    /// Unix milliseconds, parallel to the ids, while parsing; empty when there is no time column.
    var times: [Int64] = []
    /// The times in their compact stored form, once the block is parsed.
    var storedTimes = ChunkTimes.none
    /// Block-local event-type ids (index into `eventNames`), parallel to the ids; empty without an event column.
    var events: [UInt16] = []
    var eventNames: [[UInt8]] = []
    private var eventIndex: [[UInt8]: UInt16] = [:]
    /// Strengths (`--value`), parallel to the ids; empty without a value column.
    var values: [Float] = []
    /// Original-id keys of the local ids (string keys index `localStrings`).
    var userKeys = IdInterner(capacity: 256)
    var itemKeys = IdInterner(capacity: 2048)
    /// Lines in the block.
    var lineCount = 0
    /// Malformed lines: how many, and the first few (line numbers relative to the block, 1-based).
    var badLineCount = 0
    var firstBadLines: [(line: Int, reason: String)] = []
    var droppedByRating = 0
    var droppedByEvent = 0
    /// Non-numeric ids seen in this block; keys carry `stringTag | index into this list`.
    var localStrings: [String] = []
    private var localIndex: [String: UInt32] = [:]

    static let keptBadLines = 10

    mutating func recordBad(line: Int, _ reason: @autoclosure () -> String) {
        badLineCount += 1
        if firstBadLines.count < Self.keptBadLines { firstBadLines.append((line, reason())) }
    }

    /// Appends one event given the original-id keys of its user and item.
    @inline(__always)
    mutating func append(userKey: UInt64, itemKey: UInt64) {
        users.append(userKeys.intern(userKey))
        items.append(itemKeys.intern(itemKey))
    }

    /// The block-local id of event type `name` (types beyond 65,535 in one block share the last
    /// id; the reader refuses more than 255 types in all anyway).
    mutating func eventId(_ name: some Collection<UInt8>) -> UInt16 {
        let bytes = Array(name)
        if let id = eventIndex[bytes] { return id }
        let id = UInt16(min(eventNames.count, Int(UInt16.max)))
        if eventNames.count < Int(UInt16.max) {
            eventNames.append(bytes)
            eventIndex[bytes] = id
        }
        return id
    }

    mutating func key(_ token: UnsafeRawBufferPointer) -> UInt64 {
        if let value = OriginalIdKey.numeric(token) { return value }
        return stringKey(decodeText(token))
    }

    mutating func stringKey(_ text: String) -> UInt64 {
        if let index = localIndex[text] { return OriginalIdKey.stringTag | UInt64(index) }
        let index = UInt32(localStrings.count)
        localStrings.append(text)
        localIndex[text] = index
        return OriginalIdKey.stringTag | UInt64(index)
    }
}

/// Parses blocks of lines into events for one resolved reader.
struct BlockParser {
    let reader: ResolvedReader

    /// Parses `block`; when `skipFirstLine`, its first line is a header.
    func parse(_ block: [UInt8], skipFirstLine: Bool) -> ParsedBlock {
        var out = ParsedBlock()
        let estimate = block.count / 24
        out.users.reserveCapacity(estimate)
        out.items.reserveCapacity(estimate)
        if reader.hasTime { out.times.reserveCapacity(estimate) }
        var splitter: FieldSplitter
        if case .fields(let mode) = reader.layout { splitter = FieldSplitter(mode: mode) } else { splitter = FieldSplitter(mode: .whitespace) }
        var scanner = JSONLineScanner(keys: reader.jsonKeys)

        block.withUnsafeBytes { raw in
            let count = raw.count
            var lineStart = 0
            var lineNumber = 0
            while lineStart < count {
                var lineEnd = lineStart
                if let found = memchrIndex(raw, UInt8(ascii: "\n"), from: lineStart) { lineEnd = found } else { lineEnd = count }
                lineNumber += 1
                var end = lineEnd
                if end > lineStart && raw[end - 1] == 0x0d { end -= 1 }
                let line = UnsafeRawBufferPointer(rebasing: raw[lineStart..<end])
                lineStart = lineEnd + 1
                if lineNumber == 1 && skipFirstLine { continue }
                if isBlank(line) { continue }
                switch reader.layout {
                case .fields:
                    parseFieldsLine(line, number: lineNumber, splitter: &splitter, into: &out)
                case .jsonl:
                    parseJSONLine(line, number: lineNumber, scanner: &scanner, into: &out)
                case .sequences:
                    parseSequenceLine(line, number: lineNumber, splitter: &splitter, into: &out)
                }
            }
            out.lineCount = lineNumber
        }
        out.storedTimes = ChunkTimes(compacting: out.times, hasTime: reader.hasTime)
        out.times = []
        return out
    }

    private func parseFieldsLine(_ line: UnsafeRawBufferPointer, number: Int, splitter: inout FieldSplitter, into out: inout ParsedBlock) {
        guard splitter.split(line) else { out.recordBad(line: number, "unbalanced quotes (a quoted field may not span lines)"); return }
        let fieldCount = splitter.count
        let needed = max(reader.user, reader.item, reader.time ?? 0, reader.rating ?? 0, reader.event ?? 0, reader.value ?? 0) + 1
        guard fieldCount >= needed else {
            out.recordBad(line: number, "expected at least \(needed) fields, found \(fieldCount)")
            return
        }
        var event: UInt16 = 0
        if let eventColumn = reader.event {
            var keep = false, empty = false
            splitter.field(eventColumn, in: line) { token in
                keep = reader.keepEvents.isEmpty || reader.keepEvents.contains { $0.elementsEqual(token) }
                empty = token.isEmpty
                if keep && !empty { event = out.eventId(token) }
            }
            if !keep { out.droppedByEvent += 1; return }
            if empty { out.recordBad(line: number, "empty event type (column \(eventColumn + 1))"); return }
        }
        var strength: Float = 0
        if let valueColumn = reader.value {
            var parsed: Double?
            splitter.field(valueColumn, in: line) { parsed = parseDouble($0) }
            guard let parsed, parsed.isFinite else {
                out.recordBad(line: number, "value '\(splitter.text(valueColumn, in: line))' (column \(valueColumn + 1)) is not a finite number"); return
            }
            strength = Float(parsed)
        }
        if let ratingColumn = reader.rating, let minimum = reader.minRating {
            var rating: Double?
            splitter.field(ratingColumn, in: line) { rating = parseDouble($0) }
            guard let rating else { out.recordBad(line: number, "rating '\(splitter.text(ratingColumn, in: line))' is not a number"); return }
            if rating < minimum { out.droppedByRating += 1; return }
        }
        var time: Int64 = 0
        if let timeColumn = reader.time {
            var parsed: Int64?
            splitter.field(timeColumn, in: line) { parsed = TimestampParser.milliseconds($0, unit: reader.timeUnit) }
            guard let parsed else {
                // Say which column was taken, so a file with the time elsewhere is fixed with one flag.
                out.recordBad(line: number, "timestamp '\(splitter.text(timeColumn, in: line))' (column \(timeColumn + 1)) is not a time; choose the time column with --time N or its header name")
                return
            }
            time = parsed
        }
        var userKey: UInt64 = 0
        var itemKey: UInt64 = 0
        // An id must be text: empty, or holding a NUL byte (binary garbage), it is a malformed line.
        // A tab (possible inside a quoted CSV field) would split the dataset's tab-separated tables,
        // and replacing it would make two ids one: refused too, naming the line.
        var problem: String?
        func check(_ token: UnsafeRawBufferPointer, _ what: String) -> String? {
            if token.isEmpty { return "empty \(what) id" }
            guard token.contains(where: { $0 == 0 || $0 == 0x09 }) else { return nil }
            return token.contains(0) ? "\(what) id holds a NUL byte" : "\(what) id holds a tab (the dataset's tables are tab-separated)"
        }
        splitter.field(reader.user, in: line) { token in
            problem = check(token, "user")
            if problem == nil { userKey = out.key(token) }
        }
        if let problem { out.recordBad(line: number, problem); return }
        splitter.field(reader.item, in: line) { token in
            problem = check(token, "item")
            if problem == nil { itemKey = out.key(token) }
        }
        if let problem { out.recordBad(line: number, problem); return }
        out.append(userKey: userKey, itemKey: itemKey)
        if reader.time != nil { out.times.append(time) }
        if reader.event != nil { out.events.append(event) }
        if reader.value != nil { out.values.append(strength) }
    }

    private func parseJSONLine(_ line: UnsafeRawBufferPointer, number: Int, scanner: inout JSONLineScanner, into out: inout ParsedBlock) {
        if let problem = scanner.scan(line) { out.recordBad(line: number, "invalid JSON: \(problem)"); return }
        let values = scanner.values
        func value(_ index: Int) -> [UInt8]? { values[index] }
        guard let user = value(reader.user), !user.isEmpty else { out.recordBad(line: number, "missing field '\(reader.jsonKeys[reader.user])'"); return }
        guard let item = value(reader.item), !item.isEmpty else { out.recordBad(line: number, "missing field '\(reader.jsonKeys[reader.item])'"); return }
        var event: UInt16 = 0
        if let eventIndex = reader.event {
            guard let name = value(eventIndex), reader.keepEvents.isEmpty || reader.keepEvents.contains(name) else { out.droppedByEvent += 1; return }
            guard !name.isEmpty else { out.recordBad(line: number, "empty event type (field '\(reader.jsonKeys[eventIndex])')"); return }
            event = out.eventId(name)
        }
        var strength: Float = 0
        if let valueIndex = reader.value {
            guard let raw = value(valueIndex), let parsed = raw.withUnsafeBytes({ parseDouble($0) }), parsed.isFinite else {
                out.recordBad(line: number, "field '\(reader.jsonKeys[valueIndex])' is not a finite number"); return
            }
            strength = Float(parsed)
        }
        if let ratingIndex = reader.rating, let minimum = reader.minRating {
            guard let raw = value(ratingIndex), let rating = raw.withUnsafeBytes({ parseDouble($0) }) else {
                out.recordBad(line: number, "field '\(reader.jsonKeys[ratingIndex])' is not a number"); return
            }
            if rating < minimum { out.droppedByRating += 1; return }
        }
        var time: Int64 = 0
        if let timeIndex = reader.time {
            guard let raw = value(timeIndex), let parsed = raw.withUnsafeBytes({ TimestampParser.milliseconds($0, unit: reader.timeUnit) }) else {
                let shown = value(timeIndex).map { String(decoding: $0, as: UTF8.self) } ?? "missing"
                out.recordBad(line: number, "field '\(reader.jsonKeys[timeIndex])' (\(shown)) is not a time"); return
            }
            time = parsed
        }
        let userKey = user.withUnsafeBytes { out.key($0) }
        let itemKey = item.withUnsafeBytes { out.key($0) }
        out.append(userKey: userKey, itemKey: itemKey)
        if reader.time != nil { out.times.append(time) }
        if reader.event != nil { out.events.append(event) }
        if reader.value != nil { out.values.append(strength) }
    }

    private func parseSequenceLine(_ line: UnsafeRawBufferPointer, number: Int, splitter: inout FieldSplitter, into out: inout ParsedBlock) {
        _ = splitter.split(line)
        guard splitter.count >= 2 else { out.recordBad(line: number, "a user id and at least one item expected"); return }
        var userKey: UInt64 = 0
        splitter.field(0, in: line) { userKey = out.key($0) }
        for field in 1..<splitter.count {
            splitter.field(field, in: line) { token in
                out.append(userKey: userKey, itemKey: out.key(token))
            }
        }
    }
}

@inline(__always)
private func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
    for byte in line where byte != 0x20 && byte != 0x09 { return false }
    return true
}

/// The index of the next `byte` at or after `from`, using libc's vectorised memchr.
@inline(__always)
func memchrIndex(_ buffer: UnsafeRawBufferPointer, _ byte: UInt8, from: Int) -> Int? {
    guard from < buffer.count, let base = buffer.baseAddress else { return nil }
    guard let found = memchr(base + from, Int32(byte), buffer.count - from) else { return nil }
    return UnsafeRawPointer(found) - base
}

/// A decimal number (`4`, `3.5`, `-1e2`) from bytes.
func parseDouble(_ token: UnsafeRawBufferPointer) -> Double? {
    if token.isEmpty { return nil }
    // Fast path: small integers such as MovieLens ratings.
    if token.count <= 9, let value = OriginalIdKey.numeric(token) { return Double(value) }
    return Double(String(decoding: token, as: UTF8.self))
}
