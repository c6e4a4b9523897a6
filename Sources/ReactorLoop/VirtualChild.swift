import ReactorCore
import ReactorSystem

/// A child of the `VirtualBackend`: what its program sees and does.
public final class VirtualChild {
    public let pid: Int32
    public let argv: [String]
    public let environment: [String]
    /// Set once the child has exited or died.
    public private(set) var exit: ChildExit?
    /// Every signal sent to the child, in order.
    public private(set) var signals: [Signal] = []
    /// Called with what the parent wrote to stdin (nil: the bytes stay in the pipe, which fills up).
    public var onInput: (([UInt8]) -> Void)?
    /// Called once when the parent closed stdin.
    public var onEndOfInput: (() -> Void)?
    /// Called for a signal other than SIGKILL instead of dying of it (nil: every signal kills).
    public var onSignal: ((Signal) -> Void)?
    /// Whether the output pipes stay open after the exit (a grandchild that inherited them).
    public var outputOutlivesExit = false

    var stdin: VirtualChannel?
    var stdout: VirtualChannel?
    var stderr: VirtualChannel?
    private var inputEnded = false
    private unowned let backend: VirtualBackend

    init(pid: Int32, argv: [String], environment: [String], backend: VirtualBackend) {
        self.pid = pid
        self.argv = argv
        self.environment = environment
        self.backend = backend
    }

    /// The virtual time now.
    public var now: Instant { backend.now }

    /// Writes `text` to stdout (or stderr); dropped when the parent does not capture it or closed it.
    public func write(_ text: String, to stream: OutputStream = .stdout) {
        guard exit == nil || outputOutlivesExit, let c = stream == .stdout ? stdout : stderr, c.readerOpen, c.writerOpen else { return }
        c.bytes += Array(text.utf8)
    }

    /// Writes each line followed by a newline.
    public func print(_ lines: String..., to stream: OutputStream = .stdout) {
        for l in lines { write(l + "\n", to: stream) }
    }

    /// Runs `work` `delay` from now, unless the child has ended by then.
    public func after(_ delay: Duration, _ work: @escaping () -> Void) {
        backend.schedule(after: delay) { [weak self] in
            guard let self, self.exit == nil else { return }
            work()
        }
    }

    /// Exits with `status`.
    public func exit(_ status: Int32) { end(.exited(status)) }

    /// Closes stdout (and stderr) while running on.
    public func closeOutput() {
        stdout?.writerOpen = false
        stderr?.writerOpen = false
    }

    func receive(_ signal: Signal) {
        guard exit == nil else { return }
        signals.append(signal)
        if signal != Signal.kill, let onSignal { onSignal(signal) } else { end(.signaled(signal)) }
    }

    private func end(_ status: ChildExit) {
        guard exit == nil else { return }
        exit = status
        stdin?.readerOpen = false
        stdin?.bytes.removeAll()
        if !outputOutlivesExit { closeOutput() }
    }

    func deliverInput() {
        guard exit == nil, let c = stdin else { return }
        if let onInput, !c.bytes.isEmpty {
            let bytes = c.bytes
            c.bytes.removeAll()
            onInput(bytes)
        }
        if !c.writerOpen && c.bytes.isEmpty && !inputEnded {
            inputEnded = true
            onEndOfInput?()
        }
    }
}
