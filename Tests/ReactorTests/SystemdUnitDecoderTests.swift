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

/// systemd's signals as plain bus messages (sd-bus's or the virtual bus's), turned into promoter events.
struct SystemdUnitDecoderTests {
    static func propertiesChanged(_ path: String, _ interface: String, _ changed: [(String, String)]) -> BusMessage {
        BusMessage(
            path: path, interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged",
            arguments: [
                .string(interface), .array(changed.map { .structure([.string($0.0), .variant(.string($0.1))]) } + [
                    .structure([.string("InactiveExitTimestamp"), .variant(.integer(12))])
                ]), .array([]),
            ])
    }

    @Test func unitPathsAreUnescaped() {
        #expect(SystemdUnitDecoder.unitName(path: "/org/freedesktop/systemd1/unit/drbd_2dpromote_40r0_2eservice") == "drbd-promote@r0.service")
        #expect(SystemdUnitDecoder.unitName(path: "/org/freedesktop/systemd1/unit/drbd_2dservices_40r_5f0_2etarget") == "drbd-services@r_0.target")
        #expect(SystemdUnitDecoder.unitName(path: "/org/freedesktop/systemd1/unit/bad_2") == nil)
        #expect(SystemdUnitDecoder.unitName(path: "/org/freedesktop/systemd1/job/7") == nil)
        #expect(SystemdUnitDecoder.unitName(path: "/org/freedesktop/systemd1/unit/a/b") == nil)
    }

    @Test func jobRemovedBecomesJobResult() {
        var d = SystemdUnitDecoder()
        let m = BusMessage(
            path: "/org/freedesktop/systemd1", interface: "org.freedesktop.systemd1.Manager", member: "JobRemoved",
            arguments: [.integer(7), .string("/org/freedesktop/systemd1/job/7"), .string("drbd-services@r0.target"), .string("dependency")])
        #expect(d.decode(m) == .jobRemoved(unit: "drbd-services@r0.target", result: "dependency"))
        #expect(d.decode(BusMessage(path: nil, interface: nil, member: "JobRemoved", arguments: [.integer(7)])) == nil)
    }

    @Test func serviceResultRidesOnTheFollowingUnitChange() {
        var d = SystemdUnitDecoder()
        let path = "/org/freedesktop/systemd1/unit/drbd_2dpromote_40r0_2eservice"
        // systemd's order: the type's interface first, then the generic Unit interface.
        #expect(d.decode(Self.propertiesChanged(path, "org.freedesktop.systemd1.Service", [("Result", "exit-code")])) == nil)
        #expect(d.decode(Self.propertiesChanged(path, "org.freedesktop.systemd1.Unit", [("ActiveState", "failed"), ("SubState", "failed")]))
            == .unitState(unit: "drbd-promote@r0.service", activeState: "failed", subState: "failed", result: "exit-code"))
        // The result was used up: the next change of the unit carries none.
        #expect(d.decode(Self.propertiesChanged(path, "org.freedesktop.systemd1.Unit", [("ActiveState", "activating"), ("SubState", "start")]))
            == .unitState(unit: "drbd-promote@r0.service", activeState: "activating", subState: "start", result: nil))
    }

    @Test func otherMessagesMeanNothing() {
        var d = SystemdUnitDecoder()
        #expect(d.decode(Self.propertiesChanged("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", [("ActiveState", "x")])) == nil)
        #expect(d.decode(Self.propertiesChanged("/org/freedesktop/systemd1/unit/a_2eservice", "org.freedesktop.systemd1.Unit", [("Id", "a")])) == nil)
        #expect(d.decode(BusMessage(path: "/", interface: "x", member: "NameOwnerChanged", arguments: [])) == nil)
    }

    @Test func systemdSignalsBuildWhatTheDecoderReads() {
        var d = SystemdUnitDecoder()
        #expect(SystemdSignals.unitPath("drbd-promote@r0.service") == "/org/freedesktop/systemd1/unit/drbd_2dpromote_40r0_2eservice")
        #expect(d.decode(SystemdSignals.jobRemoved(id: 3, unit: "a.service", result: "failed")) == .jobRemoved(unit: "a.service", result: "failed"))
        let failed = SystemdSignals.unitChanged("drbd-promote@r_0.service", activeState: "failed", subState: "failed", result: "exit-code")
        #expect(failed.count == 2)
        #expect(failed.first?.arguments.first?.string == "org.freedesktop.systemd1.Service")
        #expect(failed.map { d.decode($0) } == [
            nil, .unitState(unit: "drbd-promote@r_0.service", activeState: "failed", subState: "failed", result: "exit-code"),
        ])
        #expect(SystemdSignals.unitChanged("t.target", activeState: "active", subState: "active").count == 1)
    }
}
