import Glibc
import Testing
@testable import ReactorCore
@testable import ReactorSystem

/// The one errno path: a call that fails with EINTR is made again, other errors are thrown typed,
/// EAGAIN is a value where the fd is non-blocking, and `systemCall` alone never retries.
@Suite struct ErrnoTests {
    /// A fake system call: fails with each errno of `failures` in turn, then returns `result`.
    final class Script {
        var failures: [Int32]
        var calls = 0
        let result: Int
        init(_ failures: [Int32], then result: Int) {
            self.failures = failures
            self.result = result
        }
        func call() -> Int {
            calls += 1
            guard !failures.isEmpty else { return result }
            errno = failures.removeFirst()
            return -1
        }
    }

    @Test func interruptedCallsAreMadeAgain() throws {
        let s = Script([EINTR, EINTR], then: 5)
        #expect(try retryingEINTR(s.call) == 5)
        #expect(s.calls == 3)
    }

    @Test func otherErrorsAreThrownAtOnce() {
        let s = Script([EBADF, EINTR], then: 5)
        #expect(throws: Errno(EBADF)) { try retryingEINTR(s.call) }
        #expect(s.calls == 1)
    }

    @Test func wouldBlockIsAValueForNonBlockingCalls() throws {
        let s = Script([EINTR, EAGAIN], then: 5)
        #expect(try retryingEINTRNonBlocking(s.call) == nil)
        #expect(s.calls == 2)
    }

    @Test func aSingleCallReportsEINTRInsteadOfRetrying() {
        let s = Script([EINTR], then: 5)
        #expect(systemCall(s.call) == .failure(.interrupted))
        #expect(systemCall(s.call) == .success(5))
    }

    /// A stream that shares a non-blocking description: a full pipe makes RawOutput wait, not drop.
    @Test func rawOutputWaitsForAFullNonBlockingPipeInsteadOfDroppingTheRest() throws {
        let dir = TempDir()
        let out = dir.path + "/out"
        // The reader starts reading only after a while: the first 64 KiB fill the pipe, the rest must wait.
        let child = try ChildProcess.spawn(
            argv: ["/bin/sh", "-c", "sleep 0.3; cat > '\(out)'"], environment: ["PATH=/usr/bin:/bin"],
            stdio: .init(pipeStdin: true, captureStdout: false, captureStderr: false))
        let stdin = try #require(child.stdin)  // non-blocking, as `spawn` makes it
        let bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        RawOutput.write(stdin.rawValue, bytes)
        stdin.close()
        var exit: ChildExit?
        while exit == nil {
            _ = Blocking.waitReadable(child.pidfd, milliseconds: 1000)
            exit = try child.reap()
        }
        #expect(exit == .exited(0))
        #expect(try FileSystem.readFile(out).count == bytes.count)
        child.pidfd.close()
    }
}
