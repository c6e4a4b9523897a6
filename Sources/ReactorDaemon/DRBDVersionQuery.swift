import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Asks `drbdadm --version` for the DRBD kernel module and utils versions, as a child of the loop
/// (never blocking it). Shared by the prometheus (`drbd_version`) and agentx (ModuleVersion,
/// UtilsVersion) plugins, which each run it when they start.
enum DRBDVersionQuery {
    /// Spawns the query; `completion` gets the versions (`0.0.0` for what drbdadm did not say). Returns
    /// the child's id (to kill it on stop), or nil when it could not be started (logged; the versions
    /// stay unknown and `completion` is not called).
    static func start(loop: EventLoop, logger: Logger, completion: @escaping (DRBDVersions) -> Void) -> EventLoop.SourceID? {
        var output = ""
        do {
            return try loop.spawn(
                argv: ["drbdadm", "--version"], environment: ChildProcess.inheritedEnvironment(),
                stdio: .init(pipeStdin: false, captureStdout: true, captureStderr: false), name: "drbdadm --version",
                onLine: { _, line in output += String(decoding: line, as: UTF8.self) + "\n" }
            ) { exit in
                if !exit.success { logger.warning("'drbdadm --version' ended with \(exit); DRBD versions may be unknown.") }
                completion(DRBDVersions(drbdadmVersionOutput: output))
            }.id
        } catch {
            logger.warning("Failed to run 'drbdadm --version': \(error); reporting DRBD version 0.0.0.")
            return nil
        }
    }
}
