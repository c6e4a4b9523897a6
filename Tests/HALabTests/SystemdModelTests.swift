import Testing

@testable import HALab
import HALab
import ReactorCore
import ReactorSystem
import ReactorPromoter

/// The systemd model against the promoter's drop-ins as `PromoterUnits` generates them and the
/// drbd-utils units as they ship.
@Suite struct SystemdModelTests {
    /// A node without DRBD: records what systemd runs; `failing` programs exit 1.
    final class FakeNode {
        var files: [String: String]
        var ran: [String] = []
        var failing: Set<String> = []
        var later: [() -> Void] = []
        var actions: [String] = []
        lazy var systemd = SystemdModel(host: .init(
            files: { [unowned self] in self.files },
            run: { [unowned self] argv in
                let line = argv.joined(separator: " ")
                self.ran.append(line)
                return self.failing.contains(line) ? 1 : 0
            },
            after: { [unowned self] _, action in self.later.append(action) },
            failureAction: { [unowned self] in self.actions.append($0) },
            trace: { _ in }))

        init(_ config: PromoterResourceConfig) throws {
            files = VendorUnits.files(services: config.start)
            for f in try PromoterUnits.files(for: config).files { files["/run/systemd/system/" + f.path] = f.contents }
        }

        func systemctl(_ args: String...) -> (Int32, [String]) {
            var result: (Int32, [String]) = (-1, [])
            systemd.systemctl(args) { result = ($0, $1) }
            return result
        }
    }

    static func config(targetAs: SystemdDependency = .requires) -> PromoterResourceConfig {
        var c = PromoterResourceConfig(name: "r0")
        c.start = ["svc-r0-a.service", "svc-r0-b.service"]
        c.targetAs = targetAs
        return c
    }

    static let shim = "/usr/lib/drbd/scripts/drbd-service-shim.sh"

    @Test func startPromotesThenStartsTheServicesInOrder() throws {
        let node = try FakeNode(Self.config())
        #expect(node.systemctl("start", "drbd-services@r0.target").0 == 0)
        #expect(node.systemd.activeUnits() == [
            "drbd-promote@r0.service", "drbd-services@r0.target", "drbd@r0.service", "drbd@r0.target",
            "svc-r0-a.service", "svc-r0-b.service",
        ])
        #expect(node.ran.filter { $0.contains("shim") } == ["\(Self.shim) adjust r0", "\(Self.shim) primary r0"])
        #expect(node.ran.last == "/usr/bin/sleep infinity")
        #expect(node.systemctl("show", "--property=ActiveState", "drbd-services@r0.target").1 == ["ActiveState=active"])
    }

    @Test func dropInsCountOnlyAfterTheyAreLoaded() throws {
        let node = try FakeNode(Self.config())
        let written = node.files
        node.files = VendorUnits.files(services: [])
        node.systemd.daemonReload()
        node.files = written  // written after the last daemon-reload
        #expect(node.systemctl("start", "drbd-services@r0.target").0 == 0)
        #expect(!node.systemd.isActive("svc-r0-a.service"))
        #expect(node.systemctl("daemon-reload").0 == 0)
        #expect(node.systemctl("start", "drbd-services@r0.target").0 == 0)
        #expect(node.systemd.isActive("svc-r0-a.service"))
    }

    @Test func aFailedPromoteConditionFailsTheStartAndStartsNoService() throws {
        let node = try FakeNode(Self.config())
        node.failing = ["\(Self.shim) primary r0"]
        #expect(node.systemctl("start", "drbd-services@r0.target").0 == 1)
        #expect(!node.systemd.isActive("svc-r0-a.service"))
        #expect(!node.systemd.isActive("drbd-services@r0.target"))
        #expect(node.systemd.state("drbd-promote@r0.service") == .inactive)
    }

    @Test func stopStopsTheServicesThenDemotesWithTheDropInsExecStop() throws {
        let node = try FakeNode(Self.config())
        _ = node.systemctl("start", "drbd-services@r0.target")
        node.ran = []
        #expect(node.systemctl("stop", "drbd-services@r0.target").0 == 0)
        #expect(node.ran == ["\(Self.shim) secondary-secondary-force r0"])
        #expect(node.systemd.activeUnits() == ["drbd@r0.service", "drbd@r0.target"])
    }

    @Test(arguments: [SystemdDependency.requires, .bindsTo])
    func aCrashedServiceStopsTheTargetOnlyWhenBound(targetAs: SystemdDependency) throws {
        let node = try FakeNode(Self.config(targetAs: targetAs))
        _ = node.systemctl("start", "drbd-services@r0.target")
        node.ran = []
        node.systemd.crash("svc-r0-a.service")
        #expect(node.systemd.state("svc-r0-a.service") == .failed)
        if targetAs == .bindsTo {
            #expect(node.ran == ["\(Self.shim) secondary-secondary-force r0"])
            #expect(!node.systemd.isActive("svc-r0-b.service"))
        } else {
            #expect(node.ran.isEmpty)
            #expect(node.systemd.isActive("drbd-services@r0.target"))
        }
    }

    @Test func aHangingStartRepliesAfterTheTimeoutWithAFailure() throws {
        let node = try FakeNode(Self.config())
        node.systemd.startFaults["svc-r0-b.service"] = .hang
        var reply: Int32?
        node.systemd.systemctl(["start", "drbd-services@r0.target"]) { rc, _ in reply = rc }
        #expect(reply == nil)
        #expect(node.systemd.state("svc-r0-b.service") == .activating)
        for action in node.later { action() }
        #expect(reply == 1)
        #expect(node.systemd.state("svc-r0-b.service") == .failed)
        #expect(!node.systemd.isActive("drbd-services@r0.target"))
    }

    @Test func aStopCancelsAHangingStart() throws {
        let node = try FakeNode(Self.config())
        node.systemd.startFaults["svc-r0-a.service"] = .hang
        var reply: Int32?
        node.systemd.systemctl(["start", "drbd-services@r0.target"]) { rc, _ in reply = rc }
        _ = node.systemctl("stop", "drbd-services@r0.target")
        #expect(reply == 1)
        #expect(node.systemd.state("svc-r0-a.service") == .inactive)
        #expect(!node.systemd.isActive("drbd-promote@r0.service"))
    }

    @Test func listDependenciesFreezeAndThaw() throws {
        let node = try FakeNode(Self.config())
        _ = node.systemctl("start", "drbd-services@r0.target")
        let deps = node.systemctl("list-dependencies", "--no-pager", "--plain", "drbd-services@r0.target").1
        #expect(deps == ["drbd-services@r0.target", "  drbd-promote@r0.service", "  svc-r0-a.service", "  svc-r0-b.service"])
        #expect(node.systemctl("freeze", "svc-r0-a.service").0 == 0)
        #expect(node.systemd.frozen == ["svc-r0-a.service"])
        #expect(node.systemctl("thaw", "svc-r0-a.service").0 == 0)
        #expect(node.systemd.frozen.isEmpty)
        #expect(node.systemctl("freeze", "drbd-services@r0.target").0 == 1)
    }

    @Test func aFailedDemoteEscalatesThroughOnFailure() throws {
        var c = Self.config()
        c.onDrbdDemoteFailure = .reboot
        let node = try FakeNode(c)
        _ = node.systemctl("start", "drbd-services@r0.target")
        node.failing = ["\(Self.shim) secondary-secondary-force r0", "\(Self.shim) secondary-secondary-force-or-escalate r0"]
        _ = node.systemctl("stop", "drbd-services@r0.target")
        #expect(node.systemd.state("drbd-promote@r0.service") == .failed)
        #expect(node.actions == ["reboot"])
    }
}
