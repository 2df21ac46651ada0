import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Output that appears whole or not at all: files and directories are built under a
/// temporary name beside their destination, synced, then renamed into place.
public enum AtomicOutput {
    /// Writes `bytes` to `path` in full and flushes it to disk.
    public static func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer) throws {
        try writeFile(path) { write in try write(bytes) }
    }

    /// Creates `path`, lets `body` write it piece by piece, and flushes it to disk.
    public static func writeFile(_ path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileError.writeFailed(path: path, reason: systemErrorMessage()) }
        defer { close(fd) }
        try body { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, min(bytes.count - offset, 1 << 30))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError.writeFailed(path: path, reason: systemErrorMessage())
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw FileError.writeFailed(path: path, reason: systemErrorMessage()) }
    }

    /// Writes an array's raw little-endian bytes to `path`.
    public static func writeArray<T>(_ path: String, _ values: [T]) throws {
        try values.withUnsafeBytes { try writeFile(path, $0) }
    }

    /// Writes text as UTF-8 to `path`.
    public static func writeText(_ path: String, _ text: String) throws {
        var text = text
        try text.withUTF8 { try writeFile(path, UnsafeRawBufferPointer($0)) }
    }

    /// Writes a file through a temporary name and renames it over `path`.
    public static func replaceFile(_ path: String, _ bytes: UnsafeRawBufferPointer) throws {
        let temp = path + ".partial-\(getpid())"
        do {
            try writeFile(temp, bytes)
            guard rename(temp, path) == 0 else { throw FileError.writeFailed(path: path, reason: systemErrorMessage()) }
            syncDirectory(of: path)
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// A fresh, empty temporary directory beside `destination`, named so that it is clearly
    /// unfinished (`.NAME.partial-PID`). Stale ones of dead processes are removed first.
    public static func makeTemporaryDirectory(for destination: String) throws -> String {
        let url = URL(fileURLWithPath: destination)
        let parent = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: parent) {
            do { try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
                throw FileError.writeFailed(path: parent, reason: error.localizedDescription)
            }
        }
        let prefix = ".\(name).partial-"
        for entry in (try? fileManager.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(prefix) {
            if let pid = Int32(entry.dropFirst(prefix.count)), kill(pid, 0) != 0 && errno == ESRCH {
                try? fileManager.removeItem(atPath: parent + "/" + entry)
            }
        }
        let temp = parent + "/" + prefix + String(getpid())
        try? fileManager.removeItem(atPath: temp)
        guard mkdir(temp, 0o755) == 0 else { throw FileError.writeFailed(path: temp, reason: systemErrorMessage()) }
        return temp
    }

    /// Checks that `--force` may replace `destination`: it is absent, an empty directory, or a
    /// directory that Trajectory made (it holds `marker`, e.g. a dataset's manifest.json) holding
    /// nothing but the files Trajectory writes there (`ownedNames`), and none of `inputs` lies
    /// inside it. Anything else (a user's folder, a file, the input log itself, a note a user put
    /// into a dataset) is refused: `--force` deletes only what Trajectory wrote.
    public static func checkReplaceable(_ destination: String, marker: String, kind: String, ownedNames: Set<String>,
                                        inputs: [String] = []) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw FileError.notReplaceable(path: destination, reason: "it is a file, not a \(kind) directory; --force replaces only a \(kind) Trajectory wrote")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? []
        guard entries.isEmpty || entries.contains(marker) else {
            throw FileError.notReplaceable(path: destination, reason: "it has no \(marker), so it is not a \(kind) directory; --force replaces only a \(kind) Trajectory wrote (choose another --out or remove it yourself)")
        }
        let root = URL(fileURLWithPath: destination).standardizedFileURL.resolvingSymlinksInPath().path + "/"
        for input in inputs {
            let path = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
            if path.hasPrefix(root) {
                throw FileError.notReplaceable(path: destination, reason: "it holds the input \(input), which replacing it would delete")
            }
        }
        let foreign = entries.filter { !ownedNames.contains($0) }.sorted()
        guard foreign.isEmpty else {
            throw FileError.notReplaceable(path: destination, reason: "it holds files Trajectory did not write (\(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", …" : "")); move them out first")
        }
    }

    /// Moves the finished `temporary` directory to `destination`; an existing destination is
    /// replaced only when `force` is set, and is removed only after the new one is in place.
    public static func commitDirectory(_ temporary: String, to destination: String, force: Bool) throws {
        // Crash-safety tests kill the process at the worst moment: all files written, nothing renamed.
        if ProcessInfo.processInfo.environment["TRAJECTORY_FAILPOINT"] == "before-commit" { kill(getpid(), SIGKILL) }
        let fileManager = FileManager.default
        var old: String?
        if fileManager.fileExists(atPath: destination) {
            guard force else { throw FileError.exists(path: destination) }
            let aside = temporary + ".old"
            guard rename(destination, aside) == 0 else { throw FileError.writeFailed(path: destination, reason: systemErrorMessage()) }
            old = aside
        }
        guard rename(temporary, destination) == 0 else {
            let reason = systemErrorMessage()
            if let old { rename(old, destination) }
            throw FileError.writeFailed(path: destination, reason: reason)
        }
        syncDirectory(of: destination)
        if let old { try? fileManager.removeItem(atPath: old) }
    }

    /// Flushes the directory entry of `path` so a rename survives a crash.
    static func syncDirectory(of path: String) {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = open(parent, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
