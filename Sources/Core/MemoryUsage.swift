import Foundation

/// Resident memory of this process, for progress reports and memory checks.
public enum MemoryUsage {
    /// Current and peak resident set size in bytes (from /proc/self/status), or nil where unavailable.
    public static func residentBytes() -> (current: Int, peak: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        var current = 0, peak = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kib = Int(parts[1]) else { continue }
            if line.hasPrefix("VmRSS:") { current = kib * 1024 }
            if line.hasPrefix("VmHWM:") { peak = kib * 1024 }
        }
        return (current, peak)
    }

    /// Writes the current memory use to stderr when TRAJECTORY_TRACE_MEMORY is set.
    public static func trace(_ stage: @autoclosure () -> String) {
        guard ProcessInfo.processInfo.environment["TRAJECTORY_TRACE_MEMORY"] != nil, let usage = residentBytes() else { return }
        FileHandle.standardError.write(Data("memory \(stage()): rss \(usage.current >> 20) MiB, peak \(usage.peak >> 20) MiB\n".utf8))
    }
}
