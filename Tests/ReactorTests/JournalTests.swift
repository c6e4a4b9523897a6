import Glibc
import Testing
@testable import Reactor

/// journald's native protocol (the datagram sd_journal_sendv sends) and the watchdog variables' rules.
@Suite struct JournalTests {
    @Test func plainFieldsAreKeyEqualsValueLines() {
        #expect(Journal.datagram(["MESSAGE=hello", "PRIORITY=6", "EMPTY="]) == Array("MESSAGE=hello\nPRIORITY=6\nEMPTY=\n".utf8))
    }

    @Test func valuesWithNewlinesAreLengthPrefixed() {
        let expected = Array("MESSAGE\n".utf8) + [11, 0, 0, 0, 0, 0, 0, 0] + Array("two\nlines=x\nP=1\n".utf8)
        #expect(Journal.datagram(["MESSAGE=two\nlines=x", "P=1"]) == expected)
    }

    @Test func fieldsWithoutEqualsAreSkipped() {
        #expect(Journal.datagram(["NOEQUALS", "A=b"]) == Array("A=b\n".utf8))
    }

    @Test func sendsOneDatagramToTheSocket() throws {
        let dir = TempDir()
        let path = dir.path + "/journal"
        let receiver = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(receiver >= 0)
        defer { close(receiver) }
        var (sun, length) = try Socket.unixAddress(path)
        try Socket.asSockaddr(&sun, length: length) { sa, len in #expect(bind(receiver, sa, len) == 0) }
        let fields = ["MESSAGE=multi\nline", "PRIORITY=4", "DRBD_RESOURCE=r0"]
        try Journal.send(fields, on: try Journal.openSocket(), to: path)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(receiver, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        #expect(Array(buffer.prefix(max(n, 0))) == Journal.datagram(fields))
    }

    /// SO_SNDBUFFORCE/SO_RCVBUFFORCE need CAP_NET_ADMIN, as the daemon has as root.
    @Test(.enabled(if: getuid() == 0)) func entriesLargerThanTheDefaultBufferFit() throws {
        let dir = TempDir()
        let path = dir.path + "/journal"
        let receiver = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(receiver) }
        var big: Int32 = 4 * 1024 * 1024
        _ = setsockopt(receiver, SOL_SOCKET, SO_RCVBUFFORCE, &big, socklen_t(MemoryLayout<Int32>.size))
        var (sun, length) = try Socket.unixAddress(path)
        try Socket.asSockaddr(&sun, length: length) { sa, len in #expect(bind(receiver, sa, len) == 0) }
        try Journal.send(["MESSAGE=" + String(repeating: "x", count: 1_000_000)], on: try Journal.openSocket(), to: path)
    }

    @Test func sendingWithoutAJournalFails() throws {
        #expect(throws: Errno.self) {
            try Journal.send(["MESSAGE=x"], on: try Journal.openSocket(), to: TempDir().path + "/none")
        }
    }

    @Test(arguments: [
        ("1000000", nil, Duration?.some(.seconds(1))),
        ("1000000", "42", .seconds(1)),
        ("1000000", "43", nil),
        ("1000000", "x", nil),
        ("0", nil, nil),
        ("-5", nil, nil),
        ("abc", nil, nil),
    ] as [(String, String?, Duration?)])
    func watchdogVariables(_ usec: String, _ pid: String?, _ expected: Duration?) {
        #expect(Notifier.watchdogInterval(usec: usec, pid: pid, ownPid: 42) == expected)
    }

    @Test func noWatchdogWithoutUsec() {
        #expect(Notifier.watchdogInterval(usec: nil, pid: "42", ownPid: 42) == nil)
    }
}
