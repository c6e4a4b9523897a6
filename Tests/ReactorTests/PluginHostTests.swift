import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorDaemon

/// The plugin host on a real loop: the runner's order and stop rules as a plugin sees them.
@Suite(.serialized) struct PluginHostTests {
    /// What happened, in order: inputs handled by the plugin and log effects carried out by the host.
    final class Journal {
        var entries: [String] = []
    }

    /// A plugin whose behaviour per input is scripted; it writes every input it handles to the journal.
    struct Scripted: ChangePlugin {
        let journal: Journal
        let script: (PluginInput) -> [PluginEffect]
        var kind: String { "scripted" }

        mutating func handle(_ input: PluginInput, now: Instant) -> [PluginEffect] {
            journal.entries.append("handle \(Self.name(input))")
            return script(input)
        }

        static func name(_ input: PluginInput) -> String {
            switch input {
            case .start: "start"
            case .stop: "stop"
            case .update: "update"
            case .spawnFailed(let t, _): "spawnFailed \(t)"
            case .childExited(let t, let exit): "exited \(t) \(exit)"
            case .childOutput(let t, _, let line): "output \(t) \(line)"
            case .timer(let t): "timer \(t)"
            }
        }
    }

    let loop: EventLoop
    let host: PluginHost<String>
    let journal = Journal()

    init() throws {
        loop = try EventLoop(logger: Logger(label: "test"))
        host = PluginHost<String>(loop: loop, logger: Logger(label: "test"))
        host.onResourceLog = { [journal] _, _, message, _ in journal.entries.append("log \(message)") }
    }

    static let missing = SpawnRequest(argv: ["/nonexistent/drbd-reactor-test-program"], environment: [])

    /// Steps the loop until `done` or a 5 s bound.
    func run(until done: () -> Bool) throws {
        let end = Clock.now() + .seconds(5)
        while !done() && Clock.now() < end { try loop.runOnce(timeout: .milliseconds(50)) }
        #expect(done(), "condition not reached within 5 s")
    }

    /// A spawn that fails at once is handled after the rest of the effect list, not in the middle of it
    /// (the host used to feed it back re-entrantly, between the two logs).
    @Test func aSpawnFailureWaitsForTheCurrentEffects() {
        host.start("p", machine: Scripted(journal: journal) { input in
            guard case .start = input else { return [] }
            return [.spawn(1, Self.missing), .log(.info, "between", resource: "r"), .spawn(2, Self.missing), .log(.info, "end", resource: "r")]
        }, replay: [])
        #expect(journal.entries == ["handle start", "log between", "log end", "handle spawnFailed 1", "handle spawnFailed 2"])
    }

    /// After `.stopped` nothing more runs: not the rest of the list, not a later input; both are counted.
    @Test func nothingReachesAStoppedPlugin() {
        var allStopped = false
        host.onAllStopped = { allStopped = true }
        host.start("p", machine: Scripted(journal: journal) { input in
            guard case .stop = input else { return [] }
            return [.stopped, .log(.info, "too late", resource: "r")]
        }, replay: [])
        host.stop()
        #expect(allStopped)
        #expect(host.instances.isEmpty)
        host.deliver([UMHFixture.resourceUpdate()])
        #expect(journal.entries == ["handle start", "handle stop"])
        #expect(host.dropped.effects == 1)
    }

    /// Child output, exit and timers come back through the runner as inputs, in order; `.count`
    /// effects reach the daemon's tally.
    @Test func loopCallbacksBecomeInputsAndCountsReachTheTally() throws {
        var stats = ReactorStats()
        host.onCount = { stats.count($0) }
        let now = loop.now
        host.start("p", machine: Scripted(journal: journal) { input in
            switch input {
            case .start:
                return [.spawn(1, SpawnRequest(argv: ["/bin/sh", "-c", "echo hi"], environment: [])), .count(.umhCommandsRun)]
            case .childExited: return [.startTimer(7, at: now + .milliseconds(5))]
            default: return []
            }
        }, replay: [])
        try run { journal.entries.last == "handle timer 7" }
        #expect(journal.entries == ["handle start", "handle output 1 hi", "handle exited 1 exit status 0", "handle timer 7"])
        #expect(stats.umhCommandsRun == 1)
    }
}
