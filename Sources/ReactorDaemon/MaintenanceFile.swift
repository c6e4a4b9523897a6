import ReactorCore
import ReactorLoop
import ReactorPromoter
import ReactorSystem

/// The maintenance state file as the daemon reads it: missing means no maintenance; unreadable is
/// logged and also means none (the daemon must not refuse to run over it).
public enum MaintenanceFile {
    /// The state in `path`, read through `files` (the daemon's loop), and what to warn about.
    public static func read(_ path: String, files: some FileReading) -> (PromoterMaintenance, String?) {
        let bytes: [UInt8]
        do { bytes = try files.readFile(path) } catch {
            if error == Errno.noEntry { return (PromoterMaintenance(), nil) }
            return (PromoterMaintenance(), "Could not read the maintenance state '\(path)': \(error); assuming no maintenance")
        }
        return (PromoterMaintenance.parse(String(decoding: bytes, as: UTF8.self)), nil)
    }
}
