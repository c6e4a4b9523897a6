import Testing
@testable import ReactorSystem

/// The epoll wrapper against real eventfds, and the layout of the `epoll_event` mirror it reads.
@Suite struct EpollTests {
    /// The kernel writes an array of `struct epoll_event`; Swift indexes the mirror's array by its stride.
    @Test func theMirrorHasTheKernelsLayout() {
        let layout = Epoll.eventLayout
        #if arch(x86_64)
        #expect(layout.size == 12 && layout.stride == 12 && layout.dataOffset == 4, "\(layout)")
        #else
        #expect(layout.size == 16 && layout.stride == 16 && layout.dataOffset == 8, "\(layout)")
        #endif
    }

    /// Several ready fds in one wait: each token and its events come back whole (a wrong stride would
    /// garble every entry after the first).
    @Test func everyReadyRegistrationComesBackWithItsToken() throws {
        let epoll = try Epoll(capacity: 8)
        let fds = try (0..<5).map { _ in try EventFD() }
        let tokens: [UInt64] = [0x0102_0304_0506_0708, 7, 0xFFFF_FFFF_FFFF_FFFE, 1 << 40, 42]
        for (fd, token) in zip(fds, tokens) { try epoll.add(fd.fd, events: .readable, token: token) }
        for fd in fds { try fd.signal() }
        let ready = try epoll.wait(timeoutMilliseconds: 1000)
        #expect(Set(ready.map(\.token)) == Set(tokens))
        #expect(ready.allSatisfy { $0.events == .readable })
        for fd in fds { try epoll.remove(fd.fd) }
        // Removing twice is an error of the caller (ENOENT), reported, not swallowed.
        #expect(throws: Errno.noEntry) { try epoll.remove(fds[0].fd) }
    }
}
