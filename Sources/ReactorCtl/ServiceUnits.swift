import ReactorCore
import ReactorPromoter

/// The systemd units drbd-reactorctl talks to, named exactly as the daemon's promoter names them
/// (`SystemdEscape`, `PromoterUnits.startUnit`), so `status`, `evict` and `start-until` act on the
/// units the daemon starts.
public enum ServiceUnits {
    public static let daemon = "drbd-reactor.service"
    /// When active, it reloads the daemon on every change of the snippets directory by itself.
    public static let reloadPath = "drbd-reactor-reload.path"

    /// `drbd-services@<E>.target`.
    public static func target(_ resource: String) -> String { SystemdEscape.servicesTarget(resource) }

    /// `drbd-promote@<E>.service`.
    public static func promote(_ resource: String) -> String { "drbd-promote@\(SystemdEscape.unitName(resource)).service" }

    /// The unit of each `start` entry (OCF entries as their `ocf.rs@` instance); an entry that cannot be
    /// mapped is shown as written.
    public static func startUnits(_ resource: PromoterResourceConfig) -> [String] {
        resource.start.map { entry in (try? PromoterUnits.startUnit(entry, resource: resource.name).name) ?? entry }
    }

    /// The target's dependencies as `status` lists them: the promote unit, then the start units.
    public static func dependencies(_ resource: PromoterResourceConfig) -> [String] {
        [promote(resource.name)] + startUnits(resource)
    }

    /// The mask of `systemctl mask --runtime <target>`: a symlink in the runtime unit directory.
    public static func runtimeMask(_ resource: String, systemdDirectory: String) -> String {
        systemdDirectory + "/" + target(resource)
    }
}

/// `systemctl` as drbd-reactorctl uses it.
public struct Systemctl {
    let runner: CommandRunner

    public init(_ runner: CommandRunner) { self.runner = runner }

    /// `systemctl show --property=<property> <unit>`: the value, or nil when missing or empty (old
    /// systemd prints `FreezerState=` empty). The value is taken only after the exact `<property>=` prefix.
    public func property(_ property: String, of unit: String) -> String? {
        guard let out = runner.output(["systemctl", "show", "--property=\(property)", unit]) else { return nil }
        for line in out.split(separator: "\n") where line.hasPrefix(property + "=") {
            let value = String(line.dropFirst(property.count + 1))
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// The unit's `ActiveState` (`unknown` when systemctl says nothing).
    public func activeState(_ unit: String) -> String { property("ActiveState", of: unit) ?? "unknown" }

    /// The unit's `FreezerState` (`unknown` when systemctl says nothing).
    public func freezerState(_ unit: String) -> String { property("FreezerState", of: unit) ?? "unknown" }

    /// Reloads the daemon after snippet changes, unless `drbd-reactor-reload.path` is active (it then
    /// reloads by itself). A failing reload is an error (exit status 1, as the original).
    public func reloadDaemonUnlessAutoloaded() throws(CtlError) {
        if runner.quiet(["systemctl", "is-active", "--quiet", ServiceUnits.reloadPath]) { return }
        try runner.require(["systemctl", "reload", ServiceUnits.daemon])
    }
}
