import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorUMH
@testable import ReactorDebugger
@testable import ReactorAgentX
@testable import ReactorPrometheus
@testable import ReactorDaemon

/// Which mappings may be dropped after start: clean, read-only, file-backed ones only.
@Suite struct ResidentPagesTests {
    static let smaps = """
        55d0a0000000-55d0a0100000 r-xp 00000000 08:01 100 /usr/sbin/drbd-reactor
        Size:               1024 kB
        Rss:                 640 kB
        Anonymous:             0 kB
        55d0a0100000-55d0a0110000 r--p 00100000 08:01 100 /usr/sbin/drbd-reactor
        Rss:                  64 kB
        Anonymous:            64 kB
        55d0a0110000-55d0a0120000 rw-p 00110000 08:01 100 /usr/sbin/drbd-reactor
        Rss:                  64 kB
        Anonymous:             8 kB
        55d0a1000000-55d0a1021000 rw-p 00000000 00:00 0 [heap]
        Rss:                 132 kB
        Anonymous:           132 kB
        7f0000000000-7f0000020000 r--p 00000000 08:01 200 /usr/lib/x86_64-linux-gnu/libgcrypt.so.20.4.1
        Rss:                 128 kB
        Anonymous:             0 kB
        7f0000100000-7f0000101000 r--p 00000000 00:00 0
        Rss:                   4 kB
        Anonymous:             0 kB
        7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0 [vdso]
        Rss:                   8 kB
        Anonymous:             0 kB
        """

    @Test func onlyCleanReadOnlyFileMappingsAreReleasable() {
        #expect(ResidentPages.releasable(smaps: Self.smaps) == [
            .init(start: 0x55d0_a000_0000, end: 0x55d0_a010_0000, residentKiB: 640),
            .init(start: 0x7f00_0000_0000, end: 0x7f00_0002_0000, residentKiB: 128),
        ])
    }

    /// On this test process itself: its pages go and come back as the code runs on.
    @Test func releasingKeepsTheProcessWorking() throws {
        let released = ResidentPages.releaseCleanFileMappings()
        #expect(released > 0)
        let again = ResidentPages.releasable(smaps: String(decoding: try FileSystem.readFile("/proc/self/smaps"), as: UTF8.self))
        #expect(!again.isEmpty)
        // Code and tables used after the release are mapped again on use.
        let record = try Events2Parser.parse(Array("exists -".utf8)[...])
        #expect(record.object == .endOfInitialState)
    }
}
