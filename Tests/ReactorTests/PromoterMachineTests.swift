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

@Suite struct PromoterMachineTests {
    typealias F = PromoterFixture
    static let target = "drbd-services@r0.target"

    /// A started machine for `r0` whose initial start found a Primary peer (so nothing else runs).
    static func started(_ tweak: (inout PromoterResourceConfig) -> Void = { _ in }) -> PromoterDriver {
        var d = PromoterDriver(F.machine(F.config("r0", tweak)))
        d.feed(.start)
        d.answer(["drbdsetup", "status", "--json", "r0"], stdout: [#"[{"name":"r0","connections":[{"peer-role":"Primary"}]}]"#])
        return d
    }

    @Test func startRunsAdjustThenInitialStartAndArmsTheTicker() {
        var d = PromoterDriver(F.machine(F.config { $0.adjustResourceOnStart = true; $0.preferredNodes = ["x", "n1"] }))
        let first = d.feed(.start)
        #expect(PromoterDriver.commands(first) == [["drbdadm", "sh-ll-dev", "r0"]])
        #expect(d.timers.values.contains(F.t0 + .seconds(20)))
        // The backing device is not there yet: check again every 2 s.
        #expect(PromoterDriver.commands(d.answer(["drbdadm", "sh-ll-dev"], stdout: ["/dev/vg/r0"])) == [["test", "-b", "/dev/vg/r0"]])
        #expect(PromoterDriver.logs(d.effects).last == "adjust_resources: waiting for backing device '/dev/vg/r0' to become ready")
        #expect(PromoterDriver.commands(d.answer(["test", "-b"], exit: 1)).isEmpty)
        #expect(d.timers.values.contains(F.t0 + .seconds(2)))
        #expect(PromoterDriver.commands(d.fireTimer()) == [["test", "-b", "/dev/vg/r0"]])
        let ready = d.answer(["test", "-b"])
        #expect(PromoterDriver.logs(ready) == ["adjust_resources: backing device '/dev/vg/r0' now ready"])
        #expect(PromoterDriver.commands(ready) == [["drbdadm", "adjust", "r0"]])
        // Then the initial start: no peer is Primary, the node is diskless (6 s) and second preferred (1 s).
        #expect(PromoterDriver.commands(d.answer(["drbdadm", "adjust"])) == [["drbdsetup", "status", "--json", "r0"]])
        #expect(PromoterDriver.commands(d.answer(["drbdsetup", "status"], stdout: [#"[{"name":"r0","connections":[]}]"#]))
            == [["drbdadm", "sh-ll-dev", "r0"]])
        d.answer(["drbdadm", "sh-ll-dev"], stdout: ["none"])
        let at = d.now
        #expect(d.timers.values.contains(at + .seconds(7)))
        #expect(PromoterDriver.commands(d.fireTimer()) == [["systemctl", "reset-failed", Self.target]])
        d.startSucceeds()
        #expect(d.running.isEmpty)
    }

    @Test func adjustFailureOnlyWarns() {
        var d = PromoterDriver(F.machine(F.config { $0.adjustResourceOnStart = true }))
        d.feed(.start)
        let out = d.answer(["drbdadm", "sh-ll-dev"], exit: 10)
        #expect(PromoterDriver.logs(out, atLeast: .warning) == ["Could not adjust 'r0': 'drbdadm sh-ll-dev r0' failed: exit status 10"])
        #expect(PromoterDriver.commands(out) == [["drbdsetup", "status", "--json", "r0"]])
    }

    @Test func mayPromoteStartsTheTargetAfterTheDelay() {
        var d = Self.started { $0.preferredNodes = ["x", "n1"] }
        let r = F.resource()
        // The first update detects the policy; updates wait for it.
        #expect(PromoterDriver.commands(d.feed(.update(F.mayPromote(r)))) == [["drbdsetup", "show", "--show-defaults", "--json", "r0"]])
        let detected = d.detect()
        #expect(PromoterDriver.logs(detected) == ["Detected split-brain avoidance policy: 'quorum'", "run: resource 'r0' may promote after 1000ms"])
        #expect(PromoterDriver.commands(detected).isEmpty)
        #expect(d.timers.values.contains(F.t0 + .seconds(1)))
        let fired = d.fireTimer()
        #expect(PromoterDriver.commands(fired) == [["systemctl", "reset-failed", Self.target]])
        #expect(PromoterDriver.commands(d.answer(["systemctl", "reset-failed"])) == [["systemctl", "start", Self.target]])
        #expect(PromoterDriver.commands(d.answer(["systemctl", "start"])) == [["systemctl", "show", "--property=ActiveState", Self.target]])
        let done = d.answer(["systemctl", "show"], stdout: ["ActiveState=active"])
        #expect(PromoterDriver.logs(done, atLeast: .warning).isEmpty && d.running.isEmpty)
    }

    @Test func delayCountsDiskStatePolicyAndFactor() {
        var d = Self.started { $0.sleepBeforePromoteFactor = 2; $0.onQuorumLoss = .freeze }
        d.feed(.update(F.mayPromote(F.resource(disk: .outdated))))
        // Outdated 2 s + freeze policy on a Secondary 2 s, times 2.
        #expect(PromoterDriver.logs(d.detect(json: F.showJSON(onNoQuorum: "suspend-io"))).contains("run: resource 'r0' may promote after 8000ms"))
        var f = Self.started { $0.fencingPromoteDelay = 7 }
        f.feed(.update(F.mayPromote(F.resource(connection: .connecting))))
        let fencing = f.detect(json: F.showJSON(quorum: "off", fencing: "resource-only"))
        #expect(PromoterDriver.logs(fencing).contains("Detected split-brain avoidance policy: 'fencing'"))
        #expect(PromoterDriver.logs(fencing).contains("run: resource 'r0' may promote after 7000ms"))
    }

    @Test func withoutLocalDevicesShLlDevDecidesTheDiskDelay() {
        var d = Self.started()
        d.feed(.update(F.mayPromote(F.resource(disk: nil))))
        #expect(PromoterDriver.commands(d.detect()) == [["drbdadm", "sh-ll-dev", "r0"]])
        #expect(PromoterDriver.logs(d.answer(["drbdadm", "sh-ll-dev"], stdout: ["none"])) == ["run: resource 'r0' may promote after 6000ms"])
    }

    @Test func aPromoteWaitingForShLlDevKeepsItsPlaceBeforeLaterActions() {
        var d = Self.started()
        d.feed(.update(F.mayPromote(F.resource(disk: nil))))
        d.detect()
        let lost = d.feed(.update(F.quorum(F.resource(role: .primary), from: true, to: false)))
        #expect(PromoterDriver.commands(lost).isEmpty)
        let devices = d.answer(["drbdadm", "sh-ll-dev"], stdout: ["/dev/vg/r0"])
        #expect(PromoterDriver.logs(devices) == ["run: resource 'r0' may promote after 0ms"])
        #expect(PromoterDriver.commands(devices) == [["systemctl", "reset-failed", Self.target]])
        d.startSucceeds()
        #expect(d.running.values.first == ["journalctl", "--flush", "--sync"])
    }

    @Test func aFailedStartStops() {
        var d = Self.started()
        d.feed(.update(F.mayPromote(F.resource())))
        d.detect()
        d.answer(["systemctl", "reset-failed"])
        let failed = d.answer(["systemctl", "start"], exit: 1)
        #expect(PromoterDriver.logs(failed, atLeast: .warning) == ["Starting 'r0' failed: 'systemctl start \(Self.target)' failed: exit status 1"])
        #expect(PromoterDriver.logs(failed).contains("stop_actions (could trigger 'on-drbd-demote-failure' actions if configured): r0"))
        #expect(PromoterDriver.commands(failed) == [["journalctl", "--flush", "--sync"]])
        #expect(PromoterDriver.commands(d.answer(["journalctl"])) == [["systemctl", "stop", Self.target]])
        #expect(PromoterDriver.commands(d.answer(["systemctl", "stop"])) == [["drbdsetup", "status", "--json", "r0"]])
        d.answer(["drbdsetup", "status"], stdout: [#"[{"name":"r0","connections":[]}]"#])
        // An inactive target after a successful start is a failure too.
        d.feed(.update(F.mayPromote(F.resource(), from: true, to: false)))
        d.now = d.now + .seconds(30)
        d.feed(.update(F.mayPromote(F.resource())))
        d.answer(["systemctl", "reset-failed"])
        d.answer(["systemctl", "start"])
        let inactive = d.answer(["systemctl", "show"], stdout: ["ActiveState=failed"])
        #expect(PromoterDriver.logs(inactive, atLeast: .warning) == ["Starting 'r0' failed: systemd_start: unit '\(Self.target)' is not active"])
    }

    /// A start that failed because a peer promoted first (the loser's `drbdsetup primary` is refused)
    /// is a lost race, not a start: when that peer hands over seconds later (preferred-node fail-back,
    /// a failing service there), this node must not skip its promote as "too fast", else a node that
    /// is not preferred at all takes the services for good (HA lab seeds 146 and 274).
    @Test(arguments: [true, false])
    func aLostPromoteRaceDoesNotCountForTheStartInterval(peerPrimary: Bool) {
        var d = Self.started()
        d.feed(.update(F.mayPromote(F.resource())))
        d.detect()
        d.answer(["systemctl", "reset-failed"])
        d.answer(["systemctl", "start"], exit: 1)
        d.answer(["journalctl"])
        #expect(PromoterDriver.commands(d.answer(["systemctl", "stop"])) == [["drbdsetup", "status", "--json", "r0"]])
        let peers = peerPrimary ? #"[{"peer-role":"Primary"}]"# : #"[{"peer-role":"Secondary"}]"#
        let checked = d.answer(["drbdsetup", "status"], stdout: [#"[{"name":"r0","connections":\#(peers)}]"#])
        #expect(PromoterDriver.logs(checked, atLeast: .debug) == (peerPrimary ? ["'r0' lost the promote race to a peer; not counted as a start"] : []))
        d.feed(.update(F.mayPromote(F.resource(), from: true, to: false)))
        d.now = d.now + .seconds(5)
        let again = d.feed(.update(F.mayPromote(F.resource())))
        if peerPrimary {
            #expect(PromoterDriver.logs(again) == ["run: resource 'r0' may promote after 0ms"])
            #expect(PromoterDriver.commands(again) == [["systemctl", "reset-failed", Self.target]])
        } else {
            // A start that failed for another reason still counts: no start/stop loop faster than 20 s.
            #expect(PromoterDriver.logs(again, atLeast: .debug) == ["got may_promote but start interval for 'r0' too fast"])
            #expect(PromoterDriver.commands(again).isEmpty)
        }
    }

    /// A promote delay whose `may_promote` went away (a peer promoted) must not start the services at
    /// its deadline, even if `may_promote` is back by then (the peer died): the fresh `may_promote`
    /// brings its own promote with its own delay, and the preferred order decides. Found by the HA lab
    /// (scenario reboot-failback): a stale 2 s delay of the third preferred node ended just after the
    /// Primary was killed, and it took over ahead of the second (1 s). `stays false`: the peer stays
    /// Primary and the stale delay just ends.
    @Test(arguments: [true, false])
    func aPromoteDelayDuringWhichMayPromoteChangedDoesNotStart(comesBack: Bool) {
        var d = Self.started { $0.preferredNodes = ["x", "n1"] }
        d.feed(.update(F.mayPromote(F.resource())))
        #expect(PromoterDriver.logs(d.detect()).contains("run: resource 'r0' may promote after 1000ms"))
        d.now = d.now + .milliseconds(300)
        d.feed(.update(F.mayPromote(F.resource(), from: true, to: false)))
        if comesBack {
            d.now = d.now + .milliseconds(600)
            #expect(PromoterDriver.commands(d.feed(.update(F.mayPromote(F.resource())))).isEmpty)
        }
        let stale = d.fireTimer()
        #expect(stale.contains(.log(.info, "run: resource 'r0': may_promote changed during the promote delay, not starting", resource: "r0")))
        #expect(PromoterDriver.commands(stale).isEmpty)
        if comesBack {
            // The fresh promote, queued behind the stale one, waits its full delay from now.
            #expect(PromoterDriver.logs(stale).last == "run: resource 'r0' may promote after 1000ms")
            #expect(d.timers.values.contains(d.now + .seconds(1)))
            #expect(PromoterDriver.commands(d.fireTimer()) == [["systemctl", "reset-failed", Self.target]])
        } else {
            // Nothing runs and only the 20 s ticker is armed.
            #expect(d.running.isEmpty && d.timers.values.allSatisfy { $0 >= F.t0 + .seconds(20) })
        }
    }

    /// A Primary that lost quorum while the daemon did not watch (drbdsetup respawned, daemon
    /// restarted) shows up without quorum in the first state; there is no transition to see, but its
    /// services must go (or freeze) all the same (HA lab: HALabScenarioTests). Both the events2 stream
    /// of a new drbdsetup and the replay for a plugin started later must do it; a Secondary without
    /// quorum runs nothing and needs nothing.
    @Test(arguments: [(Role.primary, false), (.primary, true), (.secondary, false)])
    func aPrimaryWithoutQuorumAtStartStopsItsServices(role: Role, replay: Bool) throws {
        var world = World()
        var updates: [StateUpdate] = []
        for line in [
            "exists resource name:r0 role:\(role) suspended:no force-io-failures:no write-ordering:flush may_promote:no promotion_score:1",
            "exists device name:r0 volume:0 minor:1000 disk:UpToDate client:no quorum:no size:1 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no",
            "exists -",
        ] { updates += world.apply(try Events2Parser.parse(line)) }
        if replay { updates = world.replay() }
        var d = Self.started()
        d.feed(.update(updates[0]))
        var effects = d.detect()
        for u in updates.dropFirst() { effects += d.feed(.update(u)) }
        if role == .primary {
            #expect(PromoterDriver.logs(effects).contains("run: resource 'r0' is Primary without quorum at start"))
            #expect(PromoterDriver.commands(effects) == [["journalctl", "--flush", "--sync"]])
        } else {
            #expect(PromoterDriver.commands(effects).isEmpty)
        }
    }

    /// Services stopped for an outside reason (here quorum loss) do not hold the next promote back:
    /// the 20 s interval is against a node's own start/stop loops. A preferred node whose services a
    /// short partition stopped must take them back at the fail-back seconds later (HA lab seed 297).
    @Test func aStopOnQuorumLossForgetsTheLastStart() {
        var d = Self.started()
        d.feed(.update(F.mayPromote(F.resource())))
        d.detect()
        d.startSucceeds()
        d.now = d.now + .seconds(3)
        d.feed(.update(F.quorum(F.resource(role: .primary, quorum: false), from: true, to: false)))
        d.answer(["journalctl"])
        d.answer(["systemctl", "stop"])
        #expect(d.running.isEmpty)
        d.now = d.now + .seconds(4)
        let back = d.feed(.update(F.mayPromote(F.resource())))
        #expect(PromoterDriver.logs(back) == ["run: resource 'r0' may promote after 0ms"])
        #expect(PromoterDriver.commands(back) == [["systemctl", "reset-failed", Self.target]])
    }

    @Test func startsOfOneResourceAreRateLimitedButNotOthers() {
        var d = PromoterDriver(F.machine(F.config("r0"), F.config("r1")))
        d.feed(.start)
        d.answer(["drbdsetup", "status", "--json", "r0"], stdout: [#"[{"name":"r0","connections":[{"peer-role":"Primary"}]}]"#])
        d.answer(["drbdsetup", "status", "--json", "r1"], stdout: [#"[{"name":"r1","connections":[{"peer-role":"Primary"}]}]"#])
        d.feed(.update(F.mayPromote(F.resource("r0"))))
        d.detect("r0")
        d.startSucceeds("r0")
        d.feed(.update(F.mayPromote(F.resource("r0"), from: true, to: false)))
        d.now = d.now + .seconds(5)
        let again = d.feed(.update(F.mayPromote(F.resource("r0"))))
        #expect(PromoterDriver.logs(again, atLeast: .debug) == ["got may_promote but start interval for 'r0' too fast"])
        #expect(PromoterDriver.commands(again).isEmpty)
        // r1 has its own last start (the original shared one per instance).
        d.feed(.update(F.mayPromote(F.resource("r1"))))
        #expect(PromoterDriver.commands(d.detect("r1")) == [["systemctl", "reset-failed", "drbd-services@r1.target"]])
    }

    @Test func aHangingSystemctlDelaysOnlyItsOwnResourceAndActionsStayInOrder() {
        var d = PromoterDriver(F.machine(F.config("r0"), F.config("r1")))
        d.feed(.start)
        d.answer(["drbdsetup", "status", "--json", "r0"])
        d.answer(["drbdadm", "sh-ll-dev", "r0"])
        d.answer(["systemctl", "reset-failed", Self.target])
        #expect(d.token(["systemctl", "start", Self.target]) != nil)  // and it never returns
        // r1 proceeds meanwhile.
        #expect(PromoterDriver.commands(d.answer(["drbdsetup", "status", "--json", "r1"])) == [["drbdadm", "sh-ll-dev", "r1"]])
        // r0's quorum loss waits for the running start.
        d.feed(.update(F.quorum(F.resource(role: .primary), from: true, to: true)))
        d.detect("r0")
        let lost = d.feed(.update(F.quorum(F.resource(role: .primary, quorum: false), from: true, to: false)))
        #expect(PromoterDriver.logs(lost) == ["run: resource 'r0' lost quorum"])
        #expect(PromoterDriver.commands(lost).isEmpty)
        d.answer(["systemctl", "start", Self.target])
        let stop = d.answer(["systemctl", "show"], stdout: ["ActiveState=active"])
        #expect(PromoterDriver.commands(stop) == [["journalctl", "--flush", "--sync"]])
        #expect(PromoterDriver.commands(d.answer(["journalctl"])) == [["systemctl", "stop", Self.target]])
    }

    @Test func quorumLossWithFreezeFreezesTheServicesAndThawsOnReturn() {
        var d = Self.started { $0.onQuorumLoss = .freeze }
        let primary = F.resource(role: .primary)
        d.feed(.update(F.quorum(primary, from: true, to: true)))
        d.detect(json: F.showJSON(onNoQuorum: "suspend-io"))
        let lost = d.feed(.update(F.quorum(primary, from: true, to: false)))
        #expect(PromoterDriver.commands(lost) == [["systemctl", "list-dependencies", "--no-pager", "--plain", Self.target]])
        let listed = d.answer(["systemctl", "list-dependencies"], stdout: [
            Self.target, "  drbd-promote@r0.service", "  a.service", "  mnt-data.mount", "  ocf.rs@ip_r0.service",
        ])
        #expect(PromoterDriver.commands(listed) == [["systemctl", "freeze", "a.service"]])
        let tolerated = d.answer(["systemctl", "freeze", "a.service"], exit: 1)
        #expect(PromoterDriver.logs(tolerated, atLeast: .warning).first?.hasPrefix("systemd_freeze_thaw: 'systemctl freeze a.service' failed") == true)
        #expect(PromoterDriver.commands(tolerated) == [["systemctl", "freeze", "ocf.rs@ip_r0.service"]])
        d.answer(["systemctl", "freeze"])
        let back = d.feed(.update(F.quorum(primary, from: false, to: true)))
        #expect(PromoterDriver.logs(back).first == "resource 'r0' gained quorum, thawing Primary")
        let empty = d.answer(["systemctl", "list-dependencies"], stdout: [Self.target, "  drbd-promote@r0.service"])
        #expect(PromoterDriver.logs(empty, atLeast: .warning) == ["Thawing 'r0' failed: services list empty"])
        // Thawed and idle: a demotion now is DRBD's, not our stop's: the services go.
        let demoted = d.feed(.update(F.role(F.resource(), from: .primary, to: .secondary)))
        #expect(PromoterDriver.logs(demoted).first == "resource 'r0' got forced to Secondary while frozen, stopping services")
    }

    /// A Secondary that loses quorum while its start runs has the freeze queued behind that start;
    /// quorum came back before the start ended, still as Secondary, and only a Primary was thawed: the
    /// promote succeeded, the stale freeze ran and the services stayed frozen on a quorate Primary
    /// (HA lab seed 425). Quorum back after a freeze of ours thaws whatever the role.
    @Test func quorumBackOnASecondaryThawsTheFreezeQueuedBehindItsStart() {
        var d = Self.started { $0.onQuorumLoss = .freeze }
        let secondary = F.resource()
        d.feed(.update(F.quorum(secondary, from: true, to: true)))
        d.detect(json: F.showJSON(onNoQuorum: "suspend-io"))
        d.feed(.update(F.mayPromote(secondary)))
        while d.token(["systemctl", "reset-failed"]) == nil { d.fireTimer() }
        d.answer(["systemctl", "reset-failed", Self.target])
        #expect(d.token(["systemctl", "start", Self.target]) != nil)
        let lost = d.feed(.update(F.quorum(F.resource(quorum: false), from: true, to: false)))
        #expect(PromoterDriver.logs(lost) == ["run: resource 'r0' lost quorum"])
        let back = d.feed(.update(F.quorum(secondary, from: false, to: true)))
        #expect(PromoterDriver.logs(back) == ["resource 'r0' gained quorum, thawing Primary"])
        #expect(PromoterDriver.commands(lost + back).isEmpty)  // both wait for the start
        d.answer(["systemctl", "start", Self.target])
        d.answer(["systemctl", "show"], stdout: ["ActiveState=active"])
        d.answer(["systemctl", "list-dependencies"], stdout: [Self.target, "  a.service"])
        d.answer(["systemctl", "freeze", "a.service"])
        d.answer(["systemctl", "list-dependencies"], stdout: [Self.target, "  a.service"])
        #expect(d.token(["systemctl", "thaw", "a.service"]) != nil)
    }

    /// DRBD forces a frozen (suspended) Primary to Secondary once a peer took over: the services go,
    /// also when that is first seen after a drbdsetup respawn (HA lab seed 3822), and whenever the
    /// resource is idle. A demotion while a job of ours runs without our freeze (our own stop demoted) is not that: 1.x stopped again there, and a
    /// stale stop queued behind the next promote killed the services it started (HA lab seed 894).
    @Test(arguments: [true, false])
    func forcedToSecondaryStopsOnlyAfterAFreeze(frozen: Bool) {
        var d = Self.started { $0.onQuorumLoss = .freeze }
        let primary = F.resource(role: .primary)
        d.feed(.update(F.quorum(primary, from: true, to: true)))
        d.detect(json: F.showJSON(onNoQuorum: "suspend-io"))
        if frozen {
            d.feed(.update(F.quorum(primary, from: true, to: false)))
            d.answer(["systemctl", "list-dependencies"], stdout: [Self.target, "  a.service"])
            d.answer(["systemctl", "freeze"])
        } else {
            d.feed(.update(F.mayPromote(F.resource())))  // a job of ours runs (the promote delay)
        }
        // As after a drbdsetup respawn: first seen as Secondary (demoted while nobody watched).
        let demoted = d.feed(.update(F.role(F.resource(), from: frozen ? .unknown : .primary, to: .secondary)))
        if frozen {
            #expect(PromoterDriver.logs(demoted).first == "resource 'r0' got forced to Secondary while frozen, stopping services")
            #expect(PromoterDriver.commands(demoted) == [["journalctl", "--flush", "--sync"]])
        } else {
            #expect(PromoterDriver.logs(demoted).isEmpty && PromoterDriver.commands(demoted).isEmpty)
        }
    }

    /// Forced to Secondary and may promote again in the same update: the stale services are stopped
    /// first, then the promote runs (before, the promote returned early and the services stayed up on
    /// a Secondary; HA lab seed 3822).
    @Test func forcedToSecondaryAndMayPromoteInOneUpdateStopsThenPromotes() {
        var d = Self.started { $0.onQuorumLoss = .freeze }
        let primary = F.resource(role: .primary)
        d.feed(.update(F.quorum(primary, from: true, to: true)))
        d.detect(json: F.showJSON(onNoQuorum: "suspend-io"))
        d.feed(.update(F.quorum(primary, from: true, to: false)))
        d.answer(["systemctl", "list-dependencies"], stdout: [Self.target, "  a.service"])
        d.answer(["systemctl", "freeze"])
        var o = ResourceState(), n = ResourceState()
        o.role = .primary
        n.role = .secondary
        n.mayPromote = true
        let both = d.feed(.update(StateUpdate(eventType: .change, resourceName: "r0", kind: .resource(old: o, new: n), resource: F.resource())))
        #expect(PromoterDriver.logs(both).contains("resource 'r0' got forced to Secondary while frozen, stopping services"))
        #expect(PromoterDriver.commands(both) == [["journalctl", "--flush", "--sync"]])
        d.answer(["journalctl"])
        d.answer(["systemctl", "stop"])
        #expect(PromoterDriver.logs(d.effects).last == "run: resource 'r0' may promote after 2000ms")
    }

    @Test func shellRunnerRunsCommandsInOrderAndCannotFreeze() {
        var d = PromoterDriver(F.machine(F.config { $0.runner = .shell; $0.start = ["one", "two"]; $0.onQuorumLoss = .freeze }))
        d.feed(.start)
        d.answer(["drbdsetup", "status"])
        d.answer(["drbdadm", "sh-ll-dev"])
        #expect(PromoterDriver.commands(d.effects).last == ["sh", "-c", "one"])
        let failed = d.answer(["sh", "-c", "one"])
        #expect(PromoterDriver.commands(failed) == [["sh", "-c", "two"]])
        let stop = d.answer(["sh", "-c", "two"], exit: 2)
        #expect(PromoterDriver.commands(stop) == [["sh", "-c", "two"]])  // stop = start reversed
        d.answer(["sh", "-c", "two"])
        #expect(d.running.values.first == ["sh", "-c", "one"])
        d.answer(["sh", "-c", "one"])
        d.answer(["drbdsetup", "status", "--json", "r0"])  // the lost-race check after a failed start
        d.feed(.update(F.quorum(F.resource(role: .primary), from: true, to: true)))
        d.detect(json: F.showJSON(onNoQuorum: "suspend-io"))
        let lost = d.feed(.update(F.quorum(F.resource(role: .primary), from: true, to: false)))
        #expect(PromoterDriver.logs(lost, atLeast: .warning) == ["Freezing 'r0' failed: Shell runner can not not freeze/thaw services, use systemd"])
    }

    @Test func fencingIgnoresDeviceEvents() {
        var d = Self.started()
        d.feed(.update(F.quorum(F.resource(role: .primary), from: true, to: true)))
        d.detect(json: F.showJSON(quorum: "off", fencing: "resource-and-stonith"))
        #expect(d.feed(.update(F.quorum(F.resource(role: .primary), from: true, to: false))).isEmpty)
    }

    @Test func detectionFailureDropsTheUpdatesAndRetries() {
        var d = Self.started()
        d.feed(.update(F.mayPromote(F.resource())))
        let failed = d.detect(json: F.showJSON(quorum: "off"))
        #expect(PromoterDriver.logs(failed, atLeast: .error) == ["IGNORING resource 'r0': quorum is 'off', but also fencing is 'dont-care'"])
        #expect(PromoterDriver.commands(failed).isEmpty)
        #expect(PromoterDriver.commands(d.feed(.update(F.mayPromote(F.resource(), from: true, to: true))))
            == [["drbdsetup", "show", "--show-defaults", "--json", "r0"]])
        // Options that do not fit the policy are warned about once.
        let warned = d.detect(json: F.showJSON(onNoQuorum: "suspend-io"))
        #expect(PromoterDriver.logs(warned, atLeast: .warning) == [
            "resource 'r0': DRBD option 'on-no-quorum' should be 'io-error', but is 'suspend-io'",
            "resource 'r0': DRBD option 'on-no-data-accessible' should be 'io-error', but is 'suspend-io'",
        ])
    }

    @Test func createAndDestroyAndOtherResourcesAreIgnored() {
        var d = Self.started()
        #expect(d.feed(.update(F.mayPromote(F.resource(), event: .create))).isEmpty)
        #expect(d.feed(.update(F.mayPromote(F.resource(), event: .destroy))).isEmpty)
        #expect(d.feed(.update(F.mayPromote(F.resource("other")))).isEmpty)
    }

    @Test func aDestroyedResourceIsNoLongerStartedByTheTicker() {
        var d = Self.started()
        d.feed(.update(F.mayPromote(F.resource())))
        d.detect()
        d.startSucceeds()
        d.feed(.update(F.mayPromote(F.resource(), from: true, to: false, event: .destroy)))
        #expect(PromoterDriver.commands(d.fireTimer()).isEmpty)
    }

    @Test func diskDetachFailsOverOnlyWithAnUpToDatePeer() {
        var d = Self.started { $0.onDiskDetach = .failOver }
        d.feed(.update(F.disk(F.resource(role: .primary), from: .upToDate, to: .upToDate)))
        d.detect()
        let over = d.feed(.update(F.disk(F.resource(role: .primary, disk: .diskless), from: .upToDate, to: .diskless)))
        #expect(PromoterDriver.logs(over).contains("resource 'r0' lost local disk, found UpToDate peer"))
        #expect(PromoterDriver.commands(over) == [["journalctl", "--flush", "--sync"]])
        var i = Self.started { $0.onDiskDetach = .failOver }
        i.feed(.update(F.disk(F.resource(role: .primary), from: .upToDate, to: .upToDate)))
        i.detect()
        let alone = i.feed(.update(F.disk(F.resource(role: .primary, disk: .diskless, peerDisk: .outdated), from: .upToDate, to: .diskless)))
        #expect(PromoterDriver.logs(alone).last == "resource 'r0' lost local disk, did not find UpToDate peer")
        #expect(PromoterDriver.commands(alone).isEmpty)
    }

    @Test func aBetterPreferredPeerGetsTheServicesBack() {
        var d = Self.started { $0.preferredNodes = ["peer-a", "n1"] }
        let primary = F.resource(role: .primary)
        d.feed(.update(F.peerDisk(primary, from: .upToDate, to: .upToDate)))
        d.detect()
        let back = d.feed(.update(F.peerDisk(primary, from: .inconsistent, to: .upToDate)))
        #expect(PromoterDriver.logs(back).first == "run: resource 'r0' has a new preferred node ('peer-a'), stopping services locally ('n1')")
        #expect(PromoterDriver.commands(back) == [["journalctl", "--flush", "--sync"]])
        var s = Self.started { $0.preferredNodes = ["peer-a", "n1"]; $0.preferredNodesPolicy = .startOnly }
        s.feed(.update(F.peerDisk(primary, from: .upToDate, to: .upToDate)))
        s.detect()
        #expect(s.feed(.update(F.peerDisk(primary, from: .inconsistent, to: .upToDate))).isEmpty)
    }

    /// A plugin started while this node is Primary and a more preferred peer is UpToDate already (its
    /// resync ended while the daemon restarted) hands over: the replay brings the peer devices before
    /// the role, so the usual rule never sees both (HA lab seed 4825). Our own promotion (from
    /// Secondary) does not: winning a race against that peer must not become a loop.
    @Test(arguments: [true, false])
    func aReplayedPrimaryHandsOverToABetterPreferredPeer(replay: Bool) throws {
        var d = Self.started { $0.preferredNodes = ["peer-a", "n1"] }
        var o = ResourceState(), n = ResourceState()
        o.role = replay ? .unknown : .secondary
        n.role = .primary
        d.feed(.update(StateUpdate(eventType: .change, resourceName: "r0", kind: .resource(old: o, new: n), resource: F.resource(role: .primary))))
        let seen = d.detect()
        if replay {
            #expect(PromoterDriver.logs(seen).contains("run: resource 'r0' has a new preferred node ('peer-a'), stopping services locally ('n1')"))
            #expect(PromoterDriver.commands(seen) == [["journalctl", "--flush", "--sync"]])
        } else {
            #expect(PromoterDriver.commands(seen).isEmpty)
        }
    }

    @Test func tickerRestartsAnInactiveTargetWhileMayPromote() {
        var d = Self.started()
        d.feed(.update(F.mayPromote(F.resource())))
        d.detect()
        d.startSucceeds()
        let tick = d.fireTimer()
        #expect(d.now == F.t0 + .seconds(20))
        #expect(PromoterDriver.commands(tick) == [["systemctl", "show", "--property=ActiveState", Self.target]])
        #expect(d.timers.values.contains(F.t0 + .seconds(40)))
        #expect(PromoterDriver.commands(d.answer(["systemctl", "show"], stdout: ["ActiveState=inactive"])) == [["systemctl", "reset-failed", Self.target]])
        d.startSucceeds()
        let quiet = d.fireTimer()
        #expect(PromoterDriver.commands(d.answer(["systemctl", "show"], stdout: ["ActiveState=active"])).isEmpty)
        #expect(PromoterDriver.commands(quiet).count == 1)
    }

    @Test func stopTerminatesRunningCommandsAndStopsServicesOnExitWhenAsked() {
        var plain = Self.started()
        plain.feed(.update(F.mayPromote(F.resource())))
        plain.detect()
        let token = plain.token(["systemctl", "reset-failed"])!
        let stop = plain.feed(.stop)
        #expect(stop.contains(.signal(token, 15)) && !stop.contains(.stopped))
        #expect(plain.feed(.update(F.mayPromote(F.resource()))).isEmpty)
        #expect(plain.answer(["systemctl", "reset-failed"], exit: 143).last == .stopped)

        var exit = Self.started { $0.stopServicesOnExit = true }
        let out = exit.feed(.stop)
        #expect(out.contains(.removeFile("/sd/drbd-services@r0.target.d/reactor-50-before.conf")))
        #expect(PromoterDriver.commands(out) == [["systemctl", "daemon-reload"]])
        #expect(PromoterDriver.commands(exit.answer(["systemctl", "daemon-reload"])) == [["journalctl", "--flush", "--sync"]])
        exit.answer(["journalctl"])
        #expect(exit.answer(["systemctl", "stop", Self.target]).last == .stopped)
        #expect(exit.feed(.stop).isEmpty)
    }

    @Test func stopServicesOnExitWaitsForTheTerminatedCommand() {
        var d = Self.started { $0.stopServicesOnExit = true }
        d.feed(.update(F.mayPromote(F.resource())))
        d.detect()
        d.answer(["systemctl", "reset-failed"])
        let hanging = d.token(["systemctl", "start"])!
        let stop = d.feed(.stop)
        #expect(stop.contains(.signal(hanging, 15)) && PromoterDriver.commands(stop).isEmpty)
        let exit = d.answer(["systemctl", "start"], exit: 143)
        #expect(exit.first == .removeFile("/sd/drbd-services@r0.target.d/reactor-50-before.conf"))
        #expect(PromoterDriver.commands(exit) == [["systemctl", "daemon-reload"]])
    }

    @Test func stopWithNothingRunningIsImmediate() {
        var d = Self.started()
        #expect(d.feed(.stop).contains(.stopped))
    }
}
