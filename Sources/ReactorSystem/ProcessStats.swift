import Glibc
import ReactorCore

/// Reads the daemon's own process metrics from /proc, for the `process_*` families.
///
/// Everything read here is a procfs file or a cheap syscall that never blocks, so it runs inside the
/// loop at scrape time. Parsing is done by the pure functions of `ProcessMetrics`.
public enum ProcessStats {
    /// The current metrics, or nil when /proc is not mounted or unreadable.
    public static func current() -> ProcessMetrics? {
        guard let statText = readSmallFile("/proc/self/stat"), let stat = ProcessMetrics.parseStat(statText),
            let procStat = readSmallFile("/proc/stat"), let bootTime = ProcessMetrics.parseBootTime(procStat),
            let openFDs = countOpenFDs()
        else { return nil }
        return ProcessMetrics(
            stat: stat, bootTime: bootTime, pageSize: UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 1)),
            ticksPerSecond: UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1)), openFDs: openFDs, maxFDs: maxFDs())
    }

    /// The soft limit on open files (getrlimit(2), RLIMIT_NOFILE); 0 if unavailable.
    static func maxFDs() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        return UInt64(limit.rlim_cur)
    }

    /// Entries of /proc/self/fd (opendir(3)/readdir(3)), minus `.`, `..` and the directory's own fd.
    static func countOpenFDs() -> UInt64? {
        guard let dir = opendir("/proc/self/fd") else { return nil }
        defer { closedir(dir) }
        var count: UInt64 = 0
        while let entry = readdir(dir) {
            // fd names are digits; only `.` and `..` start with a dot.
            if UInt8(bitPattern: entry.pointee.d_name.0) != UInt8(ascii: ".") { count += 1 }
        }
        return count > 0 ? count - 1 : 0
    }

    /// The whole content of a procfs file of at most 64 KiB (open(2)/read(2) with EINTR retried).
    /// procfs files report size 0, so this reads until EOF instead of trusting stat(2).
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var content: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while content.count < 64 * 1024 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            content += buffer[..<n]
        }
        return String(decoding: content, as: UTF8.self)
    }
}
