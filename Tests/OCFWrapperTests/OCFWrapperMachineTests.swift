import Testing
@testable import OCFWrapper
import OCFWrapper
import ReactorCore
import ReactorSystem

@Suite struct OCFWrapperMachineTests {
    static let monitoring = "IPaddr2:ip1_r0: monitoring every 30 seconds"
    static let stopping = "IPaddr2:ip1_r0: about to exec stop"

    func machine(_ verb: String, _ extra: [String: String] = [:], jitter: UInt64 = 3) throws -> OCFWrapperMachine {
        OCFWrapperMachine(invocation: try OCFInvocation.parse(arguments: [verb], environment: unitEnvironment(extra)), jitter: jitter)
    }

    func stopEffects() -> [OCFWrapperEffect] {
        [.log(.info, Self.stopping), .notify("STOPPING=1\nSTATUS=\(Self.stopping)"), .run(.stop)]
    }

    @Test func startThenReadyThenMonitorEveryInterval() throws {
        var m = try machine("start-and-monitor")
        #expect(m.handle(.begin) == [.run(.start)])
        #expect(m.handle(.agentEnded(.start, .finished(.exited(0)))) == [
            .log(.info, Self.monitoring), .notify("READY=1\nSTATUS=\(Self.monitoring)"), .sleep(.seconds(33)),
        ])
        #expect(m.handle(.sleepEnded) == [.run(.monitor)])
        #expect(m.handle(.agentEnded(.monitor, .finished(.exited(0)))) == [.sleep(.seconds(30))])
        #expect(m.handle(.sleepEnded) == [.run(.monitor)])
    }

    @Test func failedStartExitsWithItsCode() throws {
        var m = try machine("start-and-monitor")
        _ = m.handle(.begin)
        let message = "IPaddr2:ip1_r0,s-a-m,start: FAILED with exit code 6"
        #expect(m.handle(.agentEnded(.start, .finished(.exited(6)))) == [.log(.error, message), .notify("STATUS=\(message)"), .exit(6)])
        #expect(m.handle(.terminationRequested) == [])
    }

    @Test func failedMonitorLogsItsOutputAndExitsWithItsCode() throws {
        var m = try machine("start-and-monitor")
        _ = m.handle(.begin)
        _ = m.handle(.agentEnded(.start, .finished(.exited(0))))
        _ = m.handle(.sleepEnded)
        let message = "IPaddr2:ip1_r0,s-a-m,monitor: FAILED with exit code 7"
        #expect(m.handle(.agentEnded(.monitor, .finished(.exited(7), stdout: "not running", stderr: "")))
            == [.log(.error, message), .notify("STATUS=\(message)"), .log(.error, "stdout: 'not running'; stderr: ''"), .exit(7)])
    }

    @Test func agentKilledOrMissingIsExitOne() throws {
        var m = try machine("start-and-monitor")
        _ = m.handle(.begin)
        let effects = m.handle(.agentEnded(.start, .finished(.signaled(9))))
        #expect(effects.first == .log(.error, "IPaddr2:ip1_r0,s-a-m,start: FAILED, killed by signal 9"))
        #expect(effects.last == .exit(1))
        var n = try machine("start-and-monitor")
        _ = n.handle(.begin)
        #expect(n.handle(.agentEnded(.start, .notStarted(Errno(2)))).last == .exit(1))
    }

    @Test func signalWhileSleepingStopsAtOnce() throws {
        var m = try machine("start-and-monitor")
        _ = m.handle(.begin)
        _ = m.handle(.agentEnded(.start, .finished(.exited(0))))
        #expect(m.handle(.terminationRequested) == stopEffects())
        #expect(m.handle(.sleepEnded) == [])  // the cancelled sleep's late report
        #expect(m.handle(.terminationRequested) == [])  // the running stop is let finish
        #expect(m.handle(.agentEnded(.stop, .finished(.exited(0)))) == [.exit(0)])
    }

    @Test func signalWhileAgentRunsStopsAfterIt() throws {
        var m = try machine("start-and-monitor")
        _ = m.handle(.begin)
        #expect(m.handle(.terminationRequested) == [])
        #expect(m.handle(.agentEnded(.start, .finished(.exited(0)))) == [
            .log(.info, Self.monitoring), .notify("READY=1\nSTATUS=\(Self.monitoring)"),
        ] + stopEffects())
        #expect(m.handle(.agentEnded(.stop, .finished(.exited(1)))) == [.exit(1)])

        var failing = try machine("start-and-monitor")
        _ = failing.handle(.begin)
        _ = failing.handle(.agentEnded(.start, .finished(.exited(0))))
        _ = failing.handle(.sleepEnded)
        _ = failing.handle(.terminationRequested)
        #expect(failing.handle(.agentEnded(.monitor, .finished(.signaled(15)))) == stopEffects())
    }

    @Test func stopRunsTheAgentUnlessTheMainProcessExitedCleanly() throws {
        var m = try machine("stop", ["EXIT_CODE": "killed", "EXIT_STATUS": "KILL"])
        #expect(m.handle(.begin) == stopEffects())
        #expect(m.handle(.agentEnded(.stop, .finished(.exited(5)))) == [.exit(5)])
        var clean = try machine("stop", ["EXIT_CODE": "exited", "EXIT_STATUS": "0"])
        #expect(clean.handle(.begin) == [.exit(0)])
        var killed = try machine("stop")
        _ = killed.handle(.begin)
        #expect(killed.handle(.agentEnded(.stop, .finished(.signaled(9)))) == [.log(.error, "IPaddr2:ip1_r0,stop: FAILED, killed by signal 9"), .exit(1)])
    }

    @Test func ignoresInputsThatDoNotBelongToTheState() throws {
        var m = try machine("start-and-monitor")
        #expect(m.handle(.sleepEnded) == [])
        _ = m.handle(.begin)
        #expect(m.handle(.begin) == [])
        #expect(m.handle(.agentEnded(.monitor, .finished(.exited(1)))) == [])
    }
}
