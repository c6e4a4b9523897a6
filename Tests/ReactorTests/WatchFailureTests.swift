import Glibc
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorDaemon

/// When the kernel refuses to change what a connection's fd is watched for, the connection is logged
/// and dropped (never left watched for the wrong events), and the daemon serves the next one.
@Suite struct WatchFailureTests {
    @Test func aMetricsConnectionThatCannotBeWatchedForOutputIsDroppedAndTheNextIsServed() throws {
        let d = try VirtualDaemon(config: DaemonVirtualTests.quiet + "[[prometheus]]\naddress = \"127.0.0.1:9942\"\n")
        try d.daemon.start()
        try d.run(until: { !d.notifier.times("READY=1").isEmpty })
        // A small socket buffer: the response does not fit, so the server must wait for EPOLLOUT.
        d.backend.channelCapacity = 1024
        d.backend.rewatchFailure = Errno(ENOMEM)
        let dropped = try d.scrape(.ipv4("127.0.0.1", 9942))
        #expect(dropped.utf8.count <= 1024, "the rest of the response never went out")
        #expect(d.logged("Failed to watch a /metrics connection: "))
        #expect(d.logged("dropping it"))
        d.backend.rewatchFailure = nil
        let served = try d.scrape(.ipv4("127.0.0.1", 9942))
        #expect(served.hasPrefix("HTTP/1.1 200"))
        #expect(served.contains("drbd_resource_resources 2\n"))
    }
}

