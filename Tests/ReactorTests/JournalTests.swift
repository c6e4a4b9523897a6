import Glibc
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

/// The journal entry as the log queue keeps it (fields packed for sd_journal_sendv's iovecs) and the
/// probe that tells whether journald's receive queue has room.
@Suite struct JournalTests {
    @Test func packedFieldsAreLengthPrefixedAndRoundTrip() {
        let fields = ["MESSAGE=two\nlines=x", "PRIORITY=6", "EMPTY=", "DRBD_RESOURCE=r0"]
        let packed = Journal.pack(fields)
        #expect(Array(packed.prefix(4)) == [19, 0, 0, 0])
        #expect(packed.count == fields.reduce(0) { $0 + 4 + $1.utf8.count })
        #expect(Journal.unpack(packed) == fields)
    }

    @Test func fieldsWithoutEqualsAreSkipped() {
        #expect(Journal.unpack(Journal.pack(["NOEQUALS", "A=b"])) == ["A=b"])
    }

    /// A receiver that never reads, with the smallest queue the kernel allows; the probe is connected to it.
    struct Receiver {
        let dir = TempDir()
        let socket: FileDescriptor
        var fd: Int32 { socket.rawValue }
        let probe: FileDescriptor

        init() throws {
            let path = dir.path + "/journal"
            socket = try Socket.bindDatagram(path)
            probe = try Journal.openSocket()
            try Journal.connect(probe, to: path)
        }

        func close() {
            socket.close()
            probe.close()
        }
    }

    @Test func theProbeSeesRoomUntilTheReceiversQueueIsFull() throws {
        let r = try Receiver()
        defer { r.close() }
        #expect(try Journal.hasRoom(r.probe))
        // Fill journald's stand-in from another socket, as other processes' log entries would.
        let other = try Journal.openSocket()
        defer { other.close() }
        try Journal.connect(other, to: r.dir.path + "/journal")
        var sent = 0
        while send(other.rawValue, "MESSAGE=x", 9, Int32(MSG_DONTWAIT)) == 9 { sent += 1 }
        #expect(sent > 0)
        #expect(try !Journal.hasRoom(r.probe))
        // journald reads one: room again.
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(recv(r.fd, &buffer, buffer.count, 0) == 9)
        #expect(try Journal.hasRoom(r.probe))
    }

    @Test func sendDoesNotDeliverWithoutRoom() throws {
        let r = try Receiver()
        defer { r.close() }
        let other = try Journal.openSocket()
        defer { other.close() }
        try Journal.connect(other, to: r.dir.path + "/journal")
        while send(other.rawValue, "MESSAGE=x", 9, Int32(MSG_DONTWAIT)) == 9 {}
        var delivered = 0
        let sent = try Journal.send(Journal.pack(["MESSAGE=y"]), probe: r.probe) { _, _ throws(Errno) in delivered += 1 }
        #expect(!sent)
        #expect(delivered == 0)
    }

    @Test func connectingWithoutAJournalFails() throws {
        let probe = try Journal.openSocket()
        defer { probe.close() }
        #expect(throws: Errno.self) { try Journal.connect(probe, to: TempDir().path + "/none") }
    }
}
