import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Design note: the DRBD kernel module and drbd-utils versions, asked of `drbdadm --version` once and
/// shared by everyone who shows or checks them: the prometheus plugins (`drbd_version`), the agentx
/// plugins (ModuleVersion, UtilsVersion) and the promoter launcher (which refuses DRBD versions the
/// promoter cannot work with).
///
/// The query is a child of the loop (never blocking it). Whoever asks while it runs waits for the same
/// answer; once it answered, later askers get it at once. The answer is forgotten when it may have
/// changed: on a reload (drbd-utils updated, the operator asks for a fresh look) and when drbdsetup went
/// away (the module may have been reloaded). An answer from a drbdadm that failed, or that could not be
/// started (`DRBDVersions.unknown`), is handed out but not kept, so the next asker tries again.
///
/// Ownership: the source owns its query child; `stop` kills it (the daemon is stopping) and nobody is
/// answered any more.
public final class DRBDVersionSource {
    private let loop: EventLoop
    private let logger: Logger
    private let argv: [String]
    private let environment: () -> [String]
    private var known: DRBDVersions?
    private var query: EventLoop.SourceID?
    private var waiting: [(DRBDVersions) -> Void] = []
    private var stopped = false
    /// Whether `forget` was called while the running query ran: its answer is handed out, not kept.
    private var staleQuery = false

    /// `argv` and `environment` are drbdadm's; tests name a stand-in.
    public init(
        loop: EventLoop, logger: Logger, argv: [String] = ["drbdadm", "--version"],
        environment: @escaping () -> [String] = ChildProcess.inheritedEnvironment
    ) {
        self.loop = loop
        self.logger = logger
        self.argv = argv
        self.environment = environment
    }

    /// Calls `completion` with the versions: at once when they are known, else when the query (started
    /// now unless one runs) ends. Never called after `stop`.
    public func request(_ completion: @escaping (DRBDVersions) -> Void) {
        guard !stopped else { return }
        if let known { return completion(known) }
        waiting.append(completion)
        if query == nil { start() }
    }

    /// The versions may have changed: the next request asks drbdadm again (a running query still answers
    /// its askers).
    public func forget() {
        known = nil
        staleQuery = query != nil
    }

    /// Kills a running query; nobody is answered any more.
    public func stop() {
        stopped = true
        waiting = []
        if let q = query { loop.signal(q, .kill) }
    }

    private func start() {
        var output = ChildOutput(limit: 64 * 1024)
        do {
            query = try loop.spawn(
                argv: argv, environment: environment(),
                stdio: .init(pipeStdin: false, captureStdout: true, captureStderr: false), name: "drbdadm --version",
                onLine: { _, line in output.append(line) }
            ) { [weak self] exit in
                guard let self else { return }
                if !exit.success { self.logger.warning("'drbdadm --version' ended with \(exit); DRBD versions may be unknown.") }
                let versions = DRBDVersions(drbdadmVersionOutput: output.text)
                self.answer(versions, keep: exit.success)
            }.id
        } catch {
            logger.warning("Failed to run 'drbdadm --version': \(error); reporting DRBD version 0.0.0.")
            // Answered from the loop, not from inside the asker's own call.
            loop.deferWork { [weak self] in self?.answer(.unknown, keep: false) }
        }
    }

    private func answer(_ versions: DRBDVersions, keep: Bool) {
        if keep && !staleQuery { known = versions }
        query = nil
        staleQuery = false
        let answered = waiting
        waiting = []
        for completion in answered { completion(versions) }
    }
}
