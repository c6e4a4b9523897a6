import Foundation
import Logging
import Testing

@testable import ReactorCore
@testable import ReactorLoop
@testable import ReactorSystem
@testable import ReactorPromoter
@testable import ReactorDaemon

/// `systemctl` calls of many resources run as one, each requester answered as if it ran alone.
@Suite struct SystemctlBatchTests {
    @Test func onlySingleUnitCallsOfTheListedVerbsJoin() {
        #expect(SystemctlBatch.prefix(of: ["systemctl", "start", "a.target"]) == ["systemctl", "start"])
        #expect(SystemctlBatch.prefix(of: ["systemctl", "show", "--property=ActiveState", "a.target"])
            == ["systemctl", "show", "--property=ActiveState"])
        #expect(SystemctlBatch.prefix(of: ["systemctl", "reset-failed", "a.target"]) == ["systemctl", "reset-failed"])
        #expect(SystemctlBatch.prefix(of: ["systemctl", "show", "--property=FreezerState", "a.target"]) == nil)
        #expect(SystemctlBatch.prefix(of: ["systemctl", "freeze", "a.service"]) == nil)
        #expect(SystemctlBatch.prefix(of: ["systemctl", "start", "a.target", "b.target"]) == nil)
        #expect(SystemctlBatch.prefix(of: ["systemctl", "daemon-reload"]) == nil)
        #expect(SystemctlBatch.prefix(of: ["sh", "-c", "start"]) == nil)
    }

    /// stderr lines go to the units they name, however systemctl quotes them; the others to everyone.
    @Test func stderrLinesGoToTheUnitsTheyName() {
        let units = ["drbd-services@r0.target", "drbd-services@r1.target", "drbd-services@r10.target"]
        let lines = [
            "Failed to reset failed state of unit drbd-services@r0.target: Unit drbd-services@r0.target not loaded.",
            "Job for drbd-services@r10.target failed because the control process exited with error code.",
            "See \"systemctl status drbd-services@r1.target\" and \"journalctl -xeu drbd-services@r1.target\" for details.",
            "Unit 'drbd-services@r1.target' is masked.",
            "general trouble",
        ]
        let (named, unnamed) = SystemctlBatch.attribute(lines, to: units)
        #expect(named["drbd-services@r0.target"] == [lines[0]])
        #expect(named["drbd-services@r1.target"] == [lines[2], lines[3]])
        #expect(named["drbd-services@r10.target"] == [lines[1]])
        #expect(unnamed == [lines[4]])
    }

    @Test func showIsSplitByUnitInOrder() {
        let b = SystemctlBatch(prefix: ["systemctl", "show", "--property=ActiveState"], units: ["a", "b", "c"])
        let answers = b.answers(stdout: ["ActiveState=active", "", "ActiveState=failed", "", "ActiveState=inactive"],
                                stderr: [], exit: .exited(0))
        #expect(answers.map(\.stdout) == [["ActiveState=active"], ["ActiveState=failed"], ["ActiveState=inactive"]])
        #expect(answers.allSatisfy { $0.exit.success })
        // Output that does not fit the units fails every requester instead of guessing.
        let odd = b.answers(stdout: ["ActiveState=active"], stderr: [], exit: .exited(0))
        #expect(odd.allSatisfy { !$0.exit.success && $0.stdout.isEmpty })
    }

    /// A failed start fails only the requesters whose unit did not get active; each gets the stderr
    /// lines naming its unit (and those naming no unit).
    @Test func aFailedStartFailsOnlyTheUnitsThatAreNotActive() {
        let b = SystemctlBatch(prefix: ["systemctl", "start"], units: ["drbd-services@r0.target", "drbd-services@r1.target"])
        let stderr = ["A dependency job for drbd-services@r1.target failed. See 'journalctl -xe' for details.", "general"]
        let answers = b.answers(stdout: [], stderr: stderr, exit: .exited(1), activeStates: ["active", "inactive"])
        #expect(answers[0] == .init(exit: .exited(0)))
        #expect(answers[1] == .init(stderr: stderr, exit: .exited(1)))
        // Without the states (is-active could not say), everyone gets the failure.
        #expect(b.answers(stdout: [], stderr: [], exit: .exited(1)).allSatisfy { $0.exit == .exited(1) })
        // Stop: a unit that is no longer active was stopped.
        let stop = SystemctlBatch(prefix: ["systemctl", "stop"], units: ["a", "b"])
        #expect(stop.answers(stdout: [], stderr: [], exit: .exited(1), activeStates: ["inactive", "active"]).map(\.exit)
            == [.exited(0), .exited(1)])
    }
}

/// The plugin host runs what its plugins request in one turn as one `systemctl` (the stand-in records
/// each call) and answers each plugin on its own.
@Suite(.serialized) struct PluginHostBatchTests {
    /// A plugin that runs one command per `argv` at start and records what it gets back.
    struct Requester: ChangePlugin {
        let kind = "test"
        let commands: [[String]]
        let environment: [String]
        let box: Box

        final class Box: @unchecked Sendable {
            var exits: [PluginToken: ChildExit] = [:]
            var stdout: [PluginToken: [String]] = [:]
        }

        mutating func handle(_ input: PluginInput, now: Instant) -> [PluginEffect] {
            switch input {
            case .start:
                return commands.enumerated().map { i, argv in .spawn(PluginToken(i + 1), SpawnRequest(argv: argv, environment: environment)) }
            case .childOutput(let t, .stdout, let line): box.stdout[t, default: []].append(line)
            case .childExited(let t, let exit): box.exits[t] = exit
            case .spawnFailed(let t, _): box.exits[t] = .exited(127)
            default: break
            }
            return []
        }
    }

    static let bin = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Support/bin").path

    /// The stand-in by path: children look `systemctl` up in the test process's own PATH.
    static let systemctl = bin + "/systemctl"

    /// Runs `plugins` (each: the commands it requests at start) until every command is answered; `during`
    /// is called on each loop turn with the host (bus reports), `hangVerb` makes the stand-in hang.
    func run(_ plugins: [[[String]]], failVerb: String? = nil, hangVerb: String? = nil, states: [String: String] = [:],
             during: ((PluginHost<Int>, [Requester.Box]) -> Void)? = nil) throws -> (calls: [String], boxes: [Requester.Box]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("systemctl.state"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (unit, state) in states { try "\(state)\n".write(to: dir.appendingPathComponent("systemctl.state/\(unit)"), atomically: true, encoding: .utf8) }
        var env = ["PATH=\(Self.bin):/usr/bin:/bin", "STANDIN_LOG_DIR=\(dir.path)"]
        if let failVerb { env.append("STANDIN_SYSTEMCTL_FAIL=\(failVerb)") }
        if let hangVerb { env.append("STANDIN_SYSTEMCTL_HANG=\(hangVerb)") }
        let loop = try EventLoop(logger: Logger(label: "test"))
        let host = PluginHost<Int>(loop: loop, logger: Logger(label: "test"))
        let boxes = plugins.map { _ in Requester.Box() }
        for (i, commands) in plugins.enumerated() {
            let commands = commands.map { [$0[0] == "systemctl" ? Self.systemctl : $0[0]] + $0.dropFirst() }
            host.start(i, machine: Requester(commands: commands, environment: env, box: boxes[i]), replay: [])
        }
        let expected = plugins.map(\.count).reduce(0, +)
        let deadline = Clock.now() + .seconds(20)
        while boxes.map(\.exits.count).reduce(0, +) < expected && Clock.now() < deadline {
            try loop.runOnce(timeout: .milliseconds(50))
            during?(host, boxes)
        }
        // Whatever still runs (a hanging stand-in) is killed and reaped before the test ends.
        host.killAllChildren()
        while host.runningBatches.contains(where: { $0.child != nil }) && Clock.now() < deadline { try loop.runOnce(timeout: .milliseconds(50)) }
        let calls = (try? String(contentsOf: dir.appendingPathComponent("systemctl.argv"), encoding: .utf8)) ?? ""
        return (calls.split(separator: "\n").map(String.init), boxes)
    }

    @Test func requestsOfOneTurnRunAsOneCallAndEachGetsItsAnswer() throws {
        let (calls, boxes) = try run([
            [["systemctl", "start", "a.target"], ["systemctl", "show", "--property=ActiveState", "x.target"]],
            [["systemctl", "start", "b.target"], ["systemctl", "freeze", "f.service"]],
            [["systemctl", "show", "--property=ActiveState", "y.target"]],
        ], states: ["y.target": "failed"])
        #expect(calls.sorted() == ["freeze f.service", "show --property=ActiveState x.target y.target", "start a.target b.target"])
        #expect(boxes[0].exits == [1: .exited(0), 2: .exited(0)] && boxes[1].exits == [1: .exited(0), 2: .exited(0)])
        #expect(boxes[0].stdout[2] == ["ActiveState=inactive"] && boxes[2].stdout[1] == ["ActiveState=failed"])
    }

    /// A lone request runs exactly as requested.
    @Test func aLoneRequestRunsAsRequested() throws {
        let (calls, boxes) = try run([[["systemctl", "start", "a.target"]]])
        #expect(calls == ["start a.target"])
        #expect(boxes[0].exits == [1: .exited(0)])
    }

    /// A failed batch start: `is-active` tells who got there (here: nobody, the stand-in fails the verb
    /// without changing states, and a.target was already active).
    @Test func aFailedBatchAsksWhichUnitsAreActive() throws {
        let (calls, boxes) = try run([[["systemctl", "start", "a.target"]], [["systemctl", "start", "b.target"]]],
                                     failVerb: "start", states: ["a.target": "active"])
        #expect(calls == ["start a.target b.target", "is-active a.target b.target"])
        #expect(boxes[0].exits == [1: .exited(0)] && boxes[1].exits == [1: .exited(1)])
    }

    /// A hanging unit in the batch holds back no one whose job systemd reported over the bus as ended.
    @Test func busReportsAnswerRequestersOfAHangingBatch() throws {
        var reported = false
        let (calls, boxes) = try run([[["systemctl", "start", "a.target"]], [["systemctl", "start", "b.target"]]],
                                     hangVerb: "start") { host, boxes in
            guard !reported, !host.runningBatches.isEmpty else { return }
            reported = true
            host.deliver(systemd: .jobRemoved(unit: "a.target", result: "done"))
            host.deliver(systemd: .jobRemoved(unit: "b.target", result: "canceled"))  // left to the call itself
            #expect(boxes[0].exits == [1: .exited(0)] && boxes[1].exits.isEmpty)
            host.deliver(systemd: .jobRemoved(unit: "b.target", result: "dependency"))
        }
        #expect(calls == ["start a.target b.target"])
        #expect(boxes[0].exits == [1: .exited(0)] && boxes[1].exits == [1: .exited(1)])
    }
}
