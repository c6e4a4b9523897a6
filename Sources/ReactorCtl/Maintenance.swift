import ReactorDaemon
import ReactorPromoter
import ReactorSystem

/// `maintenance on|off`.
public enum MaintenanceAction: String, Sendable, CaseIterable {
    case on, off
}

extension CtlContext {
    /// `maintenance [on|off] [RES...]`: `on` puts this node (no RES) or the resources in maintenance,
    /// `off` takes the resources out of it, or (no RES) everything; no action shows the state. The state
    /// is the file `file` (see `PromoterMaintenance.text`), written atomically; a running daemon is told
    /// to read it (its control socket, else `systemctl reload drbd-reactor.service`, whose failure is an
    /// error), a stopped one reads it when it starts. Returns the new state.
    @discardableResult
    public func maintenance(_ action: MaintenanceAction?, resources: [String], file: String) throws(CtlError) -> PromoterMaintenance {
        var state = PromoterMaintenance()
        if Blocking.exists(file) {
            do { state = PromoterMaintenance.parse(String(decoding: try FileSystem.readFile(file), as: UTF8.self)) } catch {
                throw .io(path: file, error)
            }
        }
        guard let action else {
            console.line(Self.describe(state))
            return state
        }
        let old = state
        switch (action, resources.isEmpty) {
        case (.on, true): state.node = true
        case (.on, false): state.resources.formUnion(resources)
        case (.off, true): state = PromoterMaintenance()
        case (.off, false): state.resources.subtract(resources)
        }
        if action == .off, !resources.isEmpty, old.node {
            console.warn("this node stays in maintenance ('maintenance off' without resources ends it)")
        }
        do {
            try FileSystem.createDirectories(SnippetDirectory.parent(of: file))
            try FileSystem.writeAtomically(file, state.text)
        } catch { throw .io(path: file, error) }
        console.line(Self.describe(state))
        guard state != old else { return state }
        // The daemon's control socket re-reads it without reloading the configuration; without an
        // answer there, a reload (SIGHUP) does.
        if ControlClient(path: RuntimeDirectory.controlSocket(runDirectory)).request("maintenance") != nil { return state }
        if runner.quiet(["systemctl", "is-active", "--quiet", ServiceUnits.daemon]) {
            try runner.require(["systemctl", "reload", ServiceUnits.daemon])
        } else {
            console.info("\(ServiceUnits.daemon) is not running; it reads this when it starts")
        }
        return state
    }

    /// One line saying what is in maintenance.
    static func describe(_ m: PromoterMaintenance) -> String {
        if m.node { return "Maintenance: this node (no promoter resource is started or stopped here)" + (m.resources.isEmpty ? "" : "; also listed: " + m.resources.sorted().joined(separator: ", ")) }
        if m.resources.isEmpty { return "Maintenance: none" }
        return "Maintenance: " + m.resources.sorted().joined(separator: ", ") + " (neither started nor stopped here)"
    }
}
