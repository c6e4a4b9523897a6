import ReactorCore
import ReactorLoop
import ReactorSystem

/// The real watch: a child `drbdsetup events2 <resource>` whose lines go through the daemon's parser
/// into a `World`, so a take-over is seen the moment DRBD reports it (no `drbdsetup status` every
/// second). SIGINT and SIGTERM are blocked and read from a signalfd. If drbdsetup cannot be started or
/// ends, the countdown still runs, and the outcome is what `drbdsetup status` says at the end
/// (`followed` is false).
public final class Events2Watch: RoleWatch {
    let resource: String
    let nodeName: String
    let child: ChildProcess?
    let signals: SignalFD?
    var world = World()
    var lines = LineBuffer()
    var reported: PrimaryNode?
    var tickEnd = Clock.now()
    var open: Bool
    /// The initial state is complete (`exists -` was read); changes are reported only from then on.
    var dumped = false

    public var followed: Bool { open && dumped }

    public init(resource: String, nodeName: String, environment: [String]) {
        self.resource = resource
        self.nodeName = nodeName
        signals = try? SignalFD(signals: [.interrupt, .terminate])
        child = try? ChildProcess.spawn(
            argv: ["drbdsetup", "events2", resource], environment: environment, stdio: .init(captureStdout: true, captureStderr: false))
        open = child?.stdout != nil
    }

    /// Stops drbdsetup: SIGTERM, and SIGKILL if it is still there after a second; always reaped.
    deinit {
        guard let child else { return }
        func gone() -> Bool {
            do { return try child.reap() != nil } catch { return true }  // a reap error: nothing left to wait for
        }
        try? child.send(signal: Signal.terminate)
        for _ in 0..<200 {
            if gone() { return }
            Blocking.sleep(milliseconds: 5)
        }
        try? child.send(signal: Signal.kill)
        while !gone() { Blocking.sleep(milliseconds: 5) }
    }

    public func startTick() { tickEnd = Clock.now() + .seconds(1) }

    public func next() -> WatchEvent {
        while true {
            let now = Clock.now()
            guard now < tickEnd else { return .tickEnded }
            let ms = Int32(clamping: ((tickEnd - now).nanosecondsClamped + 999_999) / 1_000_000)
            var fds: [FileDescriptor] = []
            if let signals { fds.append(signals.fd) }
            if open, let out = child?.stdout { fds.append(out) }
            guard !fds.isEmpty else {
                Blocking.sleep(milliseconds: Int(ms))
                continue
            }
            for i in Blocking.readable(fds, milliseconds: ms) {
                if let signals, fds[i].rawValue == signals.fd.rawValue {
                    _ = try? signals.readAll()
                    return .interrupted
                }
                if let event = readLines(fds[i]) { return event }
            }
        }
    }

    /// Reads what drbdsetup wrote, applies whole lines; a change of the Primary, if any.
    func readLines(_ fd: FileDescriptor) -> WatchEvent? {
        var chunk: [UInt8] = []
        let result = (try? fd.read(appendingTo: &chunk)) ?? .endOfFile
        if result == .endOfFile { open = false }
        lines.append(chunk)
        lines.consumeLines { line in
            if line.elementsEqual("exists -".utf8) { dumped = true }
            _ = try? world.apply(line: line)
        }
        guard dumped else { return nil }
        let now = PrimaryNode.of(world.resources[resource], nodeName: nodeName)
        guard now != reported else { return nil }
        reported = now
        return .changed(now)
    }
}
