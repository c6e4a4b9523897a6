import Logging
import ReactorDaemon
import ReactorLog
import ReactorLoop
import ReactorSystem

/// The daemon's command line (`DaemonCommandLine`); everything else lives in the Reactor library.
/// No swift-argument-parser here: it and the FoundationEssentials it pulls in cost resident memory for
/// four options.
@main
enum DrbdReactor {
    static func main() {
        switch DaemonCommandLine.parse(Array(CommandLine.arguments.dropFirst())) {
        case .help:
            RawOutput.write(1, Array(DaemonCommandLine.helpText.utf8))
        case .version:
            RawOutput.write(1, Array((reactorVersion + "\n").utf8))
        case .usageError(let message):
            RawOutput.write(2, Array(DaemonCommandLine.usageError(message).utf8))
            ProcessExit.exit(DaemonCommandLine.usageExitCode)
        case .run(let config, let allowTty):
            do { try run(config: config, allowTty: allowTty) } catch {
                // What ArgumentParser printed for an error escaping `run()`.
                printError("Error: \(error)")
                ProcessExit.exit(1)
            }
        }
    }

    static func run(config: String, allowTty: Bool) throws {
        if !allowTty && (FileSystem.isTerminal(0) || FileSystem.isTerminal(1) || FileSystem.isTerminal(2)) {
            printError("drbd-reactor: refusing to run in a terminal without --allow-tty; it is a daemon for systemd. To inspect or manage it, use drbd-reactorctl.")
            ProcessExit.exit(2)
        }
        // Before anything opens a descriptor of its own: the passed ones start at fd 3.
        let passed = ListenFDs.take()
        let loaded: DaemonConfig
        // Read before the loop exists (its logging is configured here), so from the host directly.
        do { loaded = try ConfigLoader.load(path: config, files: HostFiles()) } catch {
            printError("drbd-reactor: invalid configuration: \(error)")
            ProcessExit.exit(1)
        }
        let sinks: [SinkLogHandler]
        do { sinks = try LogSetup.handlers(for: loaded.logs) } catch {
            printError("drbd-reactor: \(error)")
            ProcessExit.exit(1)
        }
        LogSetup.bootstrap(sinks)
        let logger = Logger(label: "drbd-reactor")
        SignalFD.ignoreSIGPIPE()
        let notifier = Notifier()
        let loop = try EventLoop(logger: logger)
        LogSetup.attach(sinks, to: loop)
        let daemon = Daemon(config: loaded, loop: loop, notifier: notifier, logger: logger, promoterContext: .current(files: loop),
                            passedSockets: passed)
        try daemon.start()
        logger.info("drbd-reactor \(reactorVersion) running with '\(config)'.")
        try loop.run()
        logger.info("Stopped.")
    }
}

func printError(_ message: String) {
    RawOutput.write(2, Array((message + "\n").utf8))
}
