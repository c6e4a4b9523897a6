import ReactorPromoter
import ReactorCore

/// The promoter target drop-ins (`drbd-services@<E>.target.d/reactor.conf`) edited on disk after the
/// last (re)load: systemd and the promoter then disagree about a resource's services until
/// `systemctl reload drbd-reactor` rewrites them. A file modified in the last 20 s is
/// left alone (an edit may be in progress). Pure: the file times come from `modification`.
enum TargetDropInDrift {
    /// How long a modification must be old before it is reported.
    static let settleNanoseconds: Int64 = 20_000_000_000

    /// The drop-in of every systemd-runner promoter resource of `plugins`, under `systemdDirectory`.
    static func paths(_ plugins: [PluginConfig], systemdDirectory: String) -> [String] {
        plugins.flatMap { plugin -> [String] in
            guard case .promoter(let c) = plugin else { return [] }
            return c.resources.filter { $0.runner == .systemd }.map { systemdDirectory + "/" + PromoterUnits.targetFile(resource: $0.name) }
        }
    }

    /// The warnings for the paths modified after `lastReload` and at least 20 s before `now` (wall clock,
    /// ns since the epoch); `modification` is nil for a file that does not exist.
    static func warnings(paths: [String], lastReload: Int64, now: Int64, modification: (String) -> Int64?) -> [String] {
        paths.compactMap { path in
            guard let m = modification(path), m > lastReload, now - m >= settleNanoseconds else { return nil }
            return "systemd target unit \"\(path)\" is newer than the last service reload. 'systemctl reload drbd-reactor' required"
        }
    }
}
