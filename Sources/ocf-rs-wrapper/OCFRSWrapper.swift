import Logging
import OCFWrapper
import ReactorLog
import ReactorLoop
import ReactorSystem

/// `ocf-rs-wrapper start-and-monitor|stop <unit>`: runs an OCF resource agent as a systemd service
/// (`ocf.rs@.service`). The decisions live in `OCFWrapperMachine`, the process work in `OCFWrapperDriver`.
@main
enum OCFRSWrapper {
    static func main() {
        let invocation: OCFInvocation
        do {
            invocation = try OCFInvocation.parse(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessEnvironment.get)
        } catch {
            RawOutput.write(2, Array("\(error)\n".utf8))
            ProcessExit.exit(1)
        }
        // The original's format on stdout (the unit's journal): `INFO [ocf_rs_wrapper] message`.
        // One output (one queue, one descriptor) for every logger; it waits for stdout on the loop.
        let stdout = FileOutput(fd: 1)
        LoggingSystem.bootstrap { _ in SinkLogHandler(level: .info, output: stdout) }
        var logger = Logger(label: "ocf-rs-wrapper")
        logger[metadataKey: "plugin"] = "ocf_rs_wrapper"
        SignalFD.ignoreSIGPIPE()
        let notifier = Notifier()
        do {
            let loop = try EventLoop(logger: logger)
            stdout.attach(to: loop)
            let machine = OCFWrapperMachine(invocation: invocation, jitter: UInt64.random(in: 0...UInt64.max))
            ProcessExit.exit(try OCFWrapperDriver(machine: machine, loop: loop, notifier: notifier, logger: logger).run())
        } catch {
            logger.error("\(invocation.id): \(error)")
            ProcessExit.exit(1)
        }
    }
}
