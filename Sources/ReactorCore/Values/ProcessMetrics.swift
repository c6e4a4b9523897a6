/// The standard `process_*` metrics of the daemon itself, as Prometheus client libraries export them.
///
/// The value is pure; `ProcessStats.current()` in System/ reads /proc and fills it through the parsers
/// below, which are separate so they are tested on fixed text.
public struct ProcessMetrics: Hashable, Sendable {
    public var residentMemoryBytes: UInt64
    public var virtualMemoryBytes: UInt64
    /// User plus system CPU time.
    public var cpuSeconds: Double
    public var openFDs: UInt64
    /// The soft RLIMIT_NOFILE.
    public var maxFDs: UInt64
    /// Start of the process in seconds since the Unix epoch.
    public var startTimeSeconds: Double

    public init(
        residentMemoryBytes: UInt64, virtualMemoryBytes: UInt64, cpuSeconds: Double, openFDs: UInt64,
        maxFDs: UInt64, startTimeSeconds: Double
    ) {
        self.residentMemoryBytes = residentMemoryBytes
        self.virtualMemoryBytes = virtualMemoryBytes
        self.cpuSeconds = cpuSeconds
        self.openFDs = openFDs
        self.maxFDs = maxFDs
        self.startTimeSeconds = startTimeSeconds
    }

    /// The fields of `/proc/self/stat` we need, in the kernel's units.
    public struct Stat: Hashable, Sendable {
        public var userTicks: UInt64
        public var systemTicks: UInt64
        /// Ticks after boot at which the process started.
        public var startTicks: UInt64
        public var virtualBytes: UInt64
        public var residentPages: UInt64
    }

    /// Parses `/proc/<pid>/stat` (proc(5)). The command name in parentheses may contain spaces and
    /// parentheses, so fields are counted after the last `)`: there the state is field 3, utime 14,
    /// stime 15, starttime 22, vsize 23, rss 24.
    public static func parseStat(_ text: String) -> Stat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state).
        func field(_ n: Int) -> UInt64? { n - 3 < fields.count ? UInt64(fields[n - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23),
            let rss = field(24)
        else { return nil }
        return Stat(userTicks: utime, systemTicks: stime, startTicks: start, virtualBytes: vsize, residentPages: rss)
    }

    /// The `btime` line of `/proc/stat`: boot time in seconds since the epoch.
    public static func parseBootTime(_ text: String) -> UInt64? {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return UInt64(line.dropFirst(6).drop { $0 == " " })
        }
        return nil
    }

    /// Combines the parsed pieces with the system's units (`sysconf(_SC_PAGESIZE)`, `sysconf(_SC_CLK_TCK)`).
    public init(stat: Stat, bootTime: UInt64, pageSize: UInt64, ticksPerSecond: UInt64, openFDs: UInt64, maxFDs: UInt64) {
        let hz = Double(max(ticksPerSecond, 1))
        self.init(
            residentMemoryBytes: stat.residentPages &* pageSize,
            virtualMemoryBytes: stat.virtualBytes,
            cpuSeconds: Double(stat.userTicks + stat.systemTicks) / hz,
            openFDs: openFDs,
            maxFDs: maxFDs,
            startTimeSeconds: Double(bootTime) + Double(stat.startTicks) / hz)
    }
}
