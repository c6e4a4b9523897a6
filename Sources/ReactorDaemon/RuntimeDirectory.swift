import ReactorSystem
import ReactorCore

/// Where the daemon and drbd-reactorctl meet at run time: `/run/drbd-reactor` (or
/// `$DRBD_REACTOR_RUN_DIR`, for tests and unusual setups), holding the maintenance state file and the
/// control socket.
public enum RuntimeDirectory {
    public static let variable = "DRBD_REACTOR_RUN_DIR"
    public static let standard = "/run/drbd-reactor"

    /// The directory of this process.
    public static func current() -> String {
        let dir = ProcessEnvironment.get(variable) ?? ""
        return dir.isEmpty ? standard : dir
    }

    /// `drbd-reactorctl maintenance`'s state file (see `PromoterMaintenance.text`).
    public static func maintenanceFile(_ dir: String) -> String { dir + "/maintenance" }

    /// The daemon's control socket.
    public static func controlSocket(_ dir: String) -> String { dir + "/control.sock" }
}
