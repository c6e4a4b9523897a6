import ReactorCore

/// What systemd said about a unit over the bus (the daemon's systemd watch decodes it; promoters react
/// to it). Plain values, so the promoter machine is tested with them without a bus.
public enum SystemdUnitEvent: Hashable, Sendable {
    /// A job of `unit` ended (the manager's `JobRemoved` signal); `result` is systemd's word for how:
    /// `done`, `canceled`, `timeout`, `failed`, `dependency` or `skipped`.
    case jobRemoved(unit: String, result: String)
    /// The unit's `ActiveState`/`SubState` changed (`PropertiesChanged` of `org.freedesktop.systemd1.Unit`);
    /// `result` is the service's `Result` (`exit-code`, `signal`, `timeout`, ...) when it sent one just before.
    case unitState(unit: String, activeState: String, subState: String, result: String?)
}
