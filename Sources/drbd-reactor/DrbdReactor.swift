import ArgumentParser
import Logging
import Reactor

/// The daemon's command line. Everything else lives in the Reactor library.
@main
struct DrbdReactor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drbd-reactor",
        abstract: "Follow DRBD's state and react to it with plugins (promoter, umh, prometheus, agentx, debugger).",
        discussion: """
            Runs as a systemd service (Type=notify). Manage plugin snippets with drbd-reactorctl; \
            reload with 'systemctl reload drbd-reactor' (SIGHUP), dump the effective configuration \
            to the log with SIGUSR1.
            """,
        version: reactorVersion)

    @Option(name: [.short, .long], help: ArgumentHelp("Main configuration file.", valueName: "path"))
    var config = "/etc/drbd-reactor.toml"

    @Flag(name: .long, help: "Run even when attached to a terminal (for debugging; the daemon is meant to run under systemd).")
    var allowTty = false

    func run() throws {
        if !allowTty && (FileSystem.isTerminal(0) || FileSystem.isTerminal(1) || FileSystem.isTerminal(2)) {
            printError("drbd-reactor: refusing to run in a terminal without --allow-tty; it is a daemon for systemd. To inspect or manage it, use drbd-reactorctl.")
            throw ExitCode(2)
        }
        let loaded: DaemonConfig
        do { loaded = try ConfigLoader.load(path: config) } catch {
            printError("drbd-reactor: invalid configuration: \(error)")
            throw ExitCode(1)
        }
        var problems: [String] = []
        LogSetup.bootstrap(LogSetup.handlers(for: loaded.logs, problems: &problems))
        let logger = Logger(label: "drbd-reactor")
        for p in problems { logger.warning("\(p)") }
        SignalFD.ignoreSIGPIPE()
        let notifier = Notifier()
        let loop = try EventLoop(logger: logger)
        let daemon = Daemon(config: loaded, loop: loop, notifier: notifier, logger: logger, promoterContext: .current())
        try daemon.start()
        logger.info("drbd-reactor \(reactorVersion) running with '\(config)'.")
        try loop.run()
        logger.info("Stopped.")
    }
}

func printError(_ message: String) {
    RawOutput.write(2, Array((message + "\n").utf8))
}
