import Glibc
import Testing
import ReactorCore

/// The layers above System name signals without Glibc; the numbers they carry must be the C library's.
@Suite struct SignalTests {
    @Test func namedSignalsAreTheCLibrarysNumbers() {
        #expect(Signal.hangup.rawValue == SIGHUP)
        #expect(Signal.interrupt.rawValue == SIGINT)
        #expect(Signal.kill.rawValue == SIGKILL)
        #expect(Signal.user1.rawValue == SIGUSR1)
        #expect(Signal.terminate.rawValue == SIGTERM)
        #expect(Signal.child.rawValue == SIGCHLD)
    }

    /// Messages keep 1.x's wording: a child's end names the signal by number.
    @Test func aChildKilledBySignalSaysItsNumber() {
        #expect("\(ChildExit.signaled(.kill))" == "signal 9")
        #expect("\(ChildExit.signaled(Signal(rawValue: SIGSEGV)))" == "signal 11")
    }
}
