import ArgumentParser
import Datasets
import Foundation

extension LogFormat: ExpressibleByArgument {}
extension HeaderMode: ExpressibleByArgument {}
extension TimeUnit: ExpressibleByArgument {}

/// `trajectory prepare`: raw logs → a dataset directory.
struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn raw behaviour logs into a clean sequence dataset.",
        discussion: """
        Reads one or more logs (plain or .gz) and writes a dataset directory: items.bin, \
        offsets.bin, times.bin, items.tsv, users.tsv and manifest.json. The directory is built \
        under a temporary name and renamed at the end, so a failed or killed run leaves nothing.

        Formats (--format, detected when omitted):
          movielens   1::1193::5::978300760            (user::item::rating::time)
          csv / tsv   user_id,item_id,timestamp        (header optional; any --delimiter)
          jsonl       {"user": "u1", "item": "i9", "ts": "2024-05-01T10:00:00Z"}
          pairs       1 1193 [978300760]               (one event a line; file order = time order)
          sequences   1 1193 661 914                   (one user a line, oldest first)

        Columns are chosen by header/JSON name or by 1-based index: --user userId --item 2.
        Timestamps may be unix seconds, milliseconds, fractional seconds, ISO-8601 or YYYY-MM-DD.

        Cleaning runs in this order: rating and event filters, time order per user (ties keep \
        file order), exact duplicates dropped, repeats collapsed, sessions cut, lengths capped, \
        then k-core to its fixed point.

        Examples:
          trajectory prepare ratings.dat --out data/ml1m --min-rating 4 --item-meta movies.dat
          trajectory prepare events.csv.gz --out data/shop --user visitorid --item itemid \\
              --time timestamp --event event --keep-events view,addtocart --session-gap 30m
          trajectory prepare events-*.csv.gz --like data/shop --out data/shop-2026-11-26   # same ids, new items appended
        """
    )

    @Argument(help: "Input log files, read in order (plain or gzip).")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "The dataset directory to write.")
    var out: String

    @Option(help: "Input format: auto, movielens, csv, tsv, jsonl, pairs, sequences (default: auto).")
    var format: LogFormat?

    @Option(help: "Field delimiter for csv (e.g. ',', ';', '|', 'tab', '::').")
    var delimiter: String?

    @Option(help: "Whether csv/tsv files start with a header line: auto, yes, no (default: auto).")
    var header: HeaderMode?

    @Option(help: "User column: a header/JSON name or a 1-based index.")
    var user: String?

    @Option(help: "Item column: a header/JSON name or a 1-based index.")
    var item: String?

    @Option(help: "Timestamp column: a header/JSON name or a 1-based index.")
    var time: String?

    @Option(help: "Rating column, for --min-rating.")
    var rating: String?

    @Option(help: "Event-type column (view, cart, buy, …): kept per event in events.bin (at most 255 types), and filtered by --keep-events.")
    var event: String?

    @Option(help: "Numeric strength column (a rating, a watch time): kept per event in values.bin.")
    var value: String?

    @Option(help: "Comma-separated event types to keep (e.g. view,cart); others are dropped.")
    var keepEvents: String?

    @Option(parsing: .unconditional, help: "Drop events rated below this value.")
    var minRating: Double?

    @Option(help: "Unit of integer timestamps: auto (by magnitude), s, ms, us (default: auto).")
    var timeUnit: TimeUnit?

    @Flag(help: "Keep exact duplicate events (same user, item and time); they are dropped by default.")
    var keepDuplicates = false

    @Flag(help: "Collapse consecutive repeats of the same item into one event.")
    var collapseRepeats = false

    @Option(parsing: .unconditional, help: "k-core: drop users (sequences) with fewer events, repeated to the fixed point (default: 1).")
    var minUserEvents: Int?

    @Option(parsing: .unconditional, help: "k-core: drop items with fewer events, repeated to the fixed point (default: 1).")
    var minItemEvents: Int?

    @Option(help: "Cut a user's history at gaps longer than this (e.g. 30m, 2h, 1d); each session becomes its own sequence.")
    var sessionGap: String?

    @Option(parsing: .unconditional, help: "Keep only the most recent N events of each sequence.")
    var maxEvents: Int?

    @Option(help: "Item metadata with titles: MovieLens movies.dat, u.item, or CSV/TSV with id and title columns.")
    var itemMeta: String?

    @Option(help: ArgumentHelp("A categorical item attribute to keep (repeatable): a column of --item-attributes, or of the log itself without it. NAME=COLUMN reads COLUMN (a header name or 1-based index) as NAME; values with '|' are several (Action|Comedy).", valueName: "name[=column]"))
    var attribute: [String] = []

    @Option(help: ArgumentHelp("A table of item attributes (CSV, TSV or MovieLens '::'; item id column first or named in its header) for --attribute.", valueName: "file"))
    var itemAttributes: String?

    @Flag(help: "Stop at the first malformed line (exit 65) instead of skipping and counting it.")
    var strict = false

    @Option(help: ArgumentHelp("Keep the item ids of this existing dataset: its items keep their ids (also those absent from the new log), new items get the next ones, and the manifest records the lineage. Its reading and cleaning settings are the defaults; options given here override them.", valueName: "dataset"))
    var like: String?

    @Flag(help: "Replace the output directory if it exists.")
    var force = false

    @OptionGroup var json: JSONOutputOption

    func validate() throws {
        if let minUserEvents, minUserEvents < 1 { throw ValidationError("--min-user-events must be at least 1") }
        if let minItemEvents, minItemEvents < 1 { throw ValidationError("--min-item-events must be at least 1") }
        if let maxEvents, maxEvents < 1 { throw ValidationError("--max-events must be at least 1") }
        if let minRating, !minRating.isFinite { throw ValidationError("--min-rating must be a finite number, got \(minRating)") }
        for given in attribute { _ = try ItemAttributeSpec(parsing: given) }
        if itemAttributes != nil && attribute.isEmpty { throw ValidationError("--item-attributes needs at least one --attribute NAME to read from it") }
        if let sessionGap, DurationParser.milliseconds(sessionGap) == nil {
            throw ValidationError("--session-gap '\(sessionGap)' is not a duration of up to 10,000 years (e.g. 30m, 90s, 2h, 1d)")
        }
    }

    func run() throws {
        let started = Date()
        let summary = try reportingErrors {
            var preparer = Preparer()
            if let like {
                // A newer log of the same source: read and clean it as the parent was, unless told otherwise.
                let parent = try Manifest.load(directory: like)
                preparer.read = parent.options.read
                preparer.cleaning = parent.options.cleaning
                if itemMeta == nil, let meta = parent.itemMeta, FileManager.default.isReadableFile(atPath: meta) {
                    preparer.itemMeta = meta  // titles for the new items too
                }
                // The parent's attributes for the new items too, from the same table when it is still there.
                if attribute.isEmpty, let inherited = parent.itemAttributes, !inherited.isEmpty {
                    let specs = try inherited.map { try ItemAttributeSpec(parsing: "\($0.name)=\($0.column)") }
                    let tables = Set(inherited.map(\.source))
                    if tables.count == 1, let table = tables.first, !parent.sources.contains(where: { $0.path == table }),
                       FileManager.default.isReadableFile(atPath: table) {
                        (preparer.itemAttributes, preparer.attributes) = (table, specs)
                    } else if tables == [parent.sources.map(\.path).joined(separator: ", ")] {
                        preparer.attributes = specs  // read from the new log's own columns, as the parent's were
                    }
                }
            }
            apply(to: &preparer)
            return try preparer.run(inputs: inputs, output: out)
        }
        let seconds = Date().timeIntervalSince(started)
        if json.enabled {
            print(String(decoding: try summary.manifest.jsonData(), as: UTF8.self))
        } else {
            print(Self.describe(summary, seconds: seconds))
        }
    }

    /// Sets what was given on the command line over the preparer's defaults (or the parent's settings).
    private func apply(to preparer: inout Preparer) {
        if let format { preparer.read.format = format }
        if let delimiter { preparer.read.delimiter = delimiter }
        if let header { preparer.read.header = header }
        if let user { preparer.read.user = ColumnSpec(user) }
        if let item { preparer.read.item = ColumnSpec(item) }
        if let time { preparer.read.time = ColumnSpec(time) }
        if let rating { preparer.read.rating = ColumnSpec(rating) }
        if let event { preparer.read.event = ColumnSpec(event) }
        if let value { preparer.read.value = ColumnSpec(value) }
        if !attribute.isEmpty {
            preparer.attributes = attribute.map { try! ItemAttributeSpec(parsing: $0) }  // checked in validate()
            preparer.itemAttributes = itemAttributes
        }
        if let keepEvents { preparer.read.keepEvents = keepEvents.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let minRating { preparer.read.minRating = minRating }
        if let timeUnit { preparer.read.timeUnit = timeUnit }
        if keepDuplicates { preparer.cleaning.dropDuplicates = false }
        if collapseRepeats { preparer.cleaning.collapseRepeats = true }
        if let minUserEvents { preparer.cleaning.minSequenceEvents = minUserEvents }
        if let minItemEvents { preparer.cleaning.minItemEvents = minItemEvents }
        if let sessionGap { preparer.cleaning.sessionGapMilliseconds = DurationParser.milliseconds(sessionGap) }
        if let maxEvents { preparer.cleaning.maxEventsPerSequence = maxEvents }
        if let itemMeta { preparer.itemMeta = itemMeta }
        preparer.strict = strict
        preparer.force = force
        preparer.like = like
    }
    /// The human summary of a prepare run.
    static func describe(_ summary: PrepareSummary, seconds: Double) -> String {
        let m = summary.manifest
        var lines: [String] = []
        let sequencesLabel = m.sessions ? "sessions (\(m.counts.originalUsers) users)" : "users"
        lines.append("prepared \(summary.directory): \(m.counts.users) \(sequencesLabel), \(m.counts.items) items, \(m.counts.events) events in \(String(format: "%.2f", seconds)) s")
        for source in m.sources {
            let megabytes = String(format: "%.1f", Double(source.bytes) / 1_000_000)
            lines.append("  read \(source.path): \(source.format)\(source.gzip ? ", gzip" : ""), \(source.lines) lines, \(megabytes) MB, \(source.events) events")
        }
        let d = m.dropped
        let drops: [(String, Int)] = [
            ("malformed lines", d.malformedLines), ("below --min-rating", d.belowMinRating),
            ("other event types", d.filteredEventTypes), ("duplicates", d.duplicates), ("repeats collapsed", d.repeats),
            ("over --max-events", d.capped), ("events by k-core", d.coreEvents),
            ("users by k-core", d.coreSequences), ("items by k-core", d.coreItems),
        ]
        let nonZero = drops.filter { $0.1 > 0 }
        lines.append("  dropped: " + (nonZero.isEmpty ? "nothing" : nonZero.map { "\($0.1) \($0.0)" }.joined(separator: ", ")))
        let sourceLines = m.sources.reduce(0) { $0 + $1.lines }
        if d.malformedLines > 0 && d.malformedLines * 2 > sourceLines {
            lines.append("  warning: \(d.malformedLines) of \(sourceLines) lines were malformed: is the input a log of this format (--format, --delimiter)? --strict stops at the first")
        }
        if m.dayResolutionTimes == true {
            lines.append("  times are dates without a time of day: same-day repeats kept (not duplicates); events of one day keep their file order")
        }
        if !m.badLines.isEmpty {
            lines.append("  first malformed lines:")
            for bad in m.badLines { lines.append("    \(bad)") }
        }
        if let types = m.eventTypes {
            lines.append("  event types: " + types.map { "\($0.name) \($0.events)" }.joined(separator: ", "))
        }
        if m.hasValues == true { lines.append("  values: one per event (values.bin)") }
        for attribute in m.itemAttributes ?? [] {
            lines.append("  attribute \(attribute.name): \(attribute.values) values, on \(attribute.itemsWithValues) of \(m.counts.items) items (column \(attribute.column) of \(attribute.source))")
        }
        if let meta = m.itemMeta { lines.append("  titles: \(m.titledItems) of \(m.counts.items) items from \(meta)") }
        if let parent = m.parent {
            let newItems = parent.newItems == 0 ? "no new items" : "\(parent.newItems) new items got ids \(parent.items + 1)…\(m.counts.items)"
            lines.append("  item ids of \(parent.path): \(parent.items) known items keep their ids (\(parent.absentItems) of them absent from this log), \(newItems)")
        }
        return lines.joined(separator: "\n")
    }
}
