import Glibc
import Testing
@testable import ReactorCore
@testable import ReactorSystem

/// One owner per fd: owners close theirs when they go, a borrowed fd is never closed by its borrower.
/// (An owned fd dropped open stops a debug build at its deinit, so every test run checks for leaks.)
@Suite struct FileDescriptorOwnershipTests {
    @Test func ownersCloseTheirFdWhenTheyGo() throws {
        // The owners are gone at the end of the closure; their fds, still referenced here, must be closed.
        let fds: [FileDescriptor] = try {
            [try EventFD().fd, try TimerFD().fd, try SignalFD(signals: [Signal(rawValue: SIGUSR2)]).fd]
        }()
        #expect(fds.allSatisfy { !$0.isOpen })
    }

    @Test func closingTwiceIsHarmlessAndTheFdIsGone() throws {
        let (r, w) = try FileDescriptor.pipe(nonBlocking: true)
        w.close()
        w.close()
        #expect(!w.isOpen)
        var buffer: [UInt8] = []
        #expect(try r.read(appendingTo: &buffer) == .endOfFile, "the only write end was closed once")
        r.close()
    }

    @Test func aBorrowedFdIsNeverClosedByItsBorrower() throws {
        let (r, w) = try FileDescriptor.pipe(nonBlocking: true)
        let borrowed = FileDescriptor.borrowing(w.rawValue)
        borrowed.close()
        #expect(!borrowed.isOpen)
        #expect(try w.write(Array("x".utf8)) == 1, "the owner's fd still works")
        r.close()
        w.close()
    }

    @Test func aChildProcessClosesThePipesNobodyClosed() throws {
        let fds: [FileDescriptor] = try {
            let child = try ChildProcess.spawn(
                argv: ["/bin/true"], environment: [], stdio: .init(pipeStdin: true, captureStdout: true, captureStderr: true))
            while try child.reap() == nil { _ = Blocking.waitReadable(child.pidfd, milliseconds: 100) }
            return [child.pidfd, child.stdin, child.stdout, child.stderr].compactMap { $0 }
        }()
        #expect(fds.count == 4)
        #expect(fds.allSatisfy { !$0.isOpen }, "closed by the ChildProcess, not leaked to its last reference")
    }

    @Test func aFailedSpawnLeavesNoFdOpen() throws {
        #expect(throws: Errno.noEntry) {
            try ChildProcess.spawn(argv: ["/nonexistent/program"], environment: [], stdio: .init(pipeStdin: true))
        }
        // No leak assertion fired: every pipe end made for the failed spawn was closed.
    }
}
