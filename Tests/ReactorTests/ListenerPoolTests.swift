import Logging
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

/// Listening sockets outlive the prometheus instances: passed ones are served, given-back ones kept until
/// `closeIdle`, and only then closed.
@Suite struct ListenerPoolTests {
    let logger = Logger(label: "test")

    func passed(_ address: Socket.Address) throws -> PassedSocket {
        let fd = try Socket.listen(address)
        return PassedSocket(fd: fd, name: "metrics", address: Socket.localAddress(fd))
    }

    @Test func aPassedSocketIsServedInsteadOfBinding() throws {
        let socket = try passed(.ipv4("127.0.0.1", 0))
        let address = try #require(socket.address)
        let pool = ListenerPool(passed: [socket], loop: try EventLoop(logger: logger), notifier: Notifier(), logger: logger)
        #expect(pool.idleAddresses == [address])
        let fd = try pool.listener(for: address)
        #expect(fd === socket.fd)
        #expect(pool.idleAddresses.isEmpty)
        fd.close()
    }

    @Test func anotherAddressIsBoundAnew() throws {
        let socket = try passed(.ipv4("127.0.0.1", 0))
        let pool = ListenerPool(passed: [socket], loop: try EventLoop(logger: logger), notifier: Notifier(), logger: logger)
        let fd = try pool.listener(for: .ipv4("127.0.0.1", 0))
        #expect(fd !== socket.fd)
        #expect(Socket.localPort(fd) != 0)
        #expect(pool.idleAddresses == [socket.address!])
        fd.close()
        pool.closeIdle()
    }

    @Test func aReleasedSocketIsKeptUntilCloseIdle() throws {
        let pool = ListenerPool(passed: [], loop: try EventLoop(logger: logger), notifier: Notifier(), logger: logger)
        let fd = try pool.listener(for: .ipv4("127.0.0.1", 0))
        let address = try #require(Socket.localAddress(fd))
        pool.release(fd, address: address)
        // A reload: the next instance on the same address gets the same socket, still open.
        let again = try pool.listener(for: address)
        #expect(again === fd && fd.isOpen)
        pool.release(again, address: address)
        pool.closeIdle()
        #expect(!fd.isOpen)
        #expect(pool.idleAddresses.isEmpty)
    }

    @Test func somethingThatIsNotAListeningSocketIsClosed() throws {
        let fd = try Socket.listen(.ipv4("127.0.0.1", 0))
        _ = ListenerPool(passed: [PassedSocket(fd: fd, name: "odd", address: nil)], loop: try EventLoop(logger: logger), notifier: Notifier(), logger: logger)
        #expect(!fd.isOpen)
    }

    @Test func storeNamesHaveNoColon() {
        #expect(ListenerPool.storeName(.ipv6("::", 9942)) == "listen-[__]_9942")
        #expect(ListenerPool.storeName(.ipv4("127.0.0.1", 9942)) == "listen-127.0.0.1_9942")
    }
}
