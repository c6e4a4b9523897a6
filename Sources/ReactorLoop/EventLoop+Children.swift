import Logging
import ReactorCore
import ReactorSystem

/// Design note: children of the loop. A child's pidfd is a `.high` priority source, so its exit is
/// handled before the output pipes' events of the same turn; the exit handler drains the pipes first,
/// so `onExit` always comes after every line the child wrote. Pipes and pidfd belong to the loop and
/// are closed through the backend when the child is gone.
extension EventLoop {
    /// One output pipe of a child; a class so its buffer is mutated in place, never copied.
    final class Pipe {
        let stream: OutputStream
        let fd: FileDescriptor
        var source: SourceID?
        var buffer = LineBuffer()
        /// Over-long lines already reported, and when the last report was (one per minute at most).
        var reportedDrops = 0
        var lastDropReport: Instant?
        init(stream: OutputStream, fd: FileDescriptor) {
            self.stream = stream
            self.fd = fd
        }
    }

    /// At most this many bytes are read from one pipe per readiness event, so a child that writes
    /// without pause cannot monopolise the loop (epoll is level-triggered: the rest comes next round).
    static let maxReadPerEvent = 1 << 20
    /// The size of one read from a child's pipe.
    static let readChunk = 65536

    /// A running child watched by the loop.
    final class ChildWatch {
        let process: SpawnedChild
        let name: String
        var pidSource: SourceID?
        var pipes: [Pipe] = []
        let onLine: ((OutputStream, ArraySlice<UInt8>) -> Void)?
        let onExit: (ChildExit) -> Void
        var onStreamEnd: ((OutputStream) -> Void)?
        /// Told after the lines of each read were handed out (a reader that tallies per chunk, not per line).
        var onChunkEnd: ((OutputStream) -> Void)?
        init(process: SpawnedChild, name: String, onLine: ((OutputStream, ArraySlice<UInt8>) -> Void)?, onExit: @escaping (ChildExit) -> Void) {
            self.process = process
            self.name = name
            self.onLine = onLine
            self.onExit = onExit
        }
    }

    /// Spawns a child and watches it: its output lines go to `onLine` as they arrive, its exit status to
    /// `onExit` exactly once, after the output it wrote before exiting. The child is reaped (no zombie).
    /// stdin, when piped, is returned for the caller to write to (and close). `onChunkEnd` is told after
    /// the lines of each read (at most `readChunk` bytes) were handed to `onLine`.
    @discardableResult
    public func spawn(
        argv: [String], environment: [String], stdio: ChildProcess.Stdio = .init(), name: String,
        onLine: ((OutputStream, ArraySlice<UInt8>) -> Void)?, onChunkEnd: ((OutputStream) -> Void)? = nil,
        onStreamEnd: ((OutputStream) -> Void)? = nil, onExit: @escaping (ChildExit) -> Void
    ) throws(Errno) -> (id: SourceID, process: SpawnedChild) {
        let process = try backend.spawn(argv: argv, environment: environment, stdio: stdio)
        let token = newToken()
        let watch = ChildWatch(process: process, name: name, onLine: onLine, onExit: onExit)
        watch.onStreamEnd = onStreamEnd
        watch.onChunkEnd = onChunkEnd
        children[token] = watch
        for (stream, fd) in [(OutputStream.stdout, process.stdout), (.stderr, process.stderr)] {
            guard let fd else { continue }
            let pipe = Pipe(stream: stream, fd: fd)
            pipe.source = try addIO(fd, events: .readable, name: "\(name) \(stream)") { [unowned self] _ in
                self.drain(token, stream: stream, final: false)
            }
            watch.pipes.append(pipe)
        }
        watch.pidSource = try addIO(process.pidfd, events: .readable, priority: .high, name: "\(name) pidfd") { [unowned self] _ in
            try self.childExited(token)
        }
        return (SourceID(raw: token), process)
    }

    /// Sends a signal to a watched child (ignored once it is gone).
    public func signal(_ id: SourceID, _ signal: Signal) {
        guard let watch = children[id.raw] else { return }
        do { try backend.send(signal, to: watch.process) } catch {
            logger.warning("Failed to send signal \(signal) to '\(watch.name)' (pid \(watch.process.pid)): \(error)")
        }
    }

    /// The number of children still running.
    public var runningChildren: Int { children.count }

    /// Reads what a pipe has (bounded per call unless `final`), handing out complete lines after each
    /// chunk so the buffer stays small however fast the child writes.
    func drain(_ token: UInt64, stream: OutputStream, final: Bool) {
        guard let watch = children[token], let index = watch.pipes.firstIndex(where: { $0.stream == stream }) else { return }
        let pipe = watch.pipes[index]
        var eof = false
        var total = 0
        readLoop: while final || total < Self.maxReadPerEvent {
            do {
                switch try backend.read(pipe.fd, appendingTo: &pipe.buffer.bytes, maximum: Self.readChunk) {
                case .bytes(let n): total += n
                case .wouldBlock: break readLoop
                case .endOfFile: eof = true; break readLoop
                }
            } catch {
                logger.warning("Failed to read \(stream) of '\(watch.name)': \(error)")
                eof = true
                break readLoop
            }
            if let onLine = watch.onLine {
                pipe.buffer.consumeLines { onLine(stream, $0) }
                watch.onChunkEnd?(stream)
            } else {
                pipe.buffer.bytes.removeAll(keepingCapacity: true)  // nobody listens: do not accumulate
            }
        }
        if let onLine = watch.onLine, eof || final {
            pipe.buffer.consumeRemainder { onLine(stream, $0) }
            watch.onChunkEnd?(stream)
        }
        reportDroppedLines(pipe, of: watch.name)
        guard eof || final else { return }
        if let source = pipe.source { removeIO(source) }
        backend.close(pipe.fd)
        watch.pipes.remove(at: index)
        if eof && !final { watch.onStreamEnd?(stream) }
    }

    /// Interval between two warnings about over-long lines of one pipe.
    static let droppedLineReportInterval = Duration.seconds(60)

    /// Warns about over-long lines a pipe dropped, at most once per `droppedLineReportInterval`.
    func reportDroppedLines(_ pipe: Pipe, of name: String) {
        let new = pipe.buffer.droppedLines - pipe.reportedDrops
        guard new > 0 else { return }
        if let last = pipe.lastDropReport, now < last + Self.droppedLineReportInterval { return }
        logger.warning(
            "Dropped \(new) line(s) of more than \(pipe.buffer.maxLineLength) bytes from the \(pipe.stream) of '\(name)'.")
        pipe.reportedDrops = pipe.buffer.droppedLines
        pipe.lastDropReport = now
    }

    func childExited(_ token: UInt64) throws {
        guard let watch = children[token] else { return }
        guard let exit = try backend.reap(watch.process) else { return }
        // Output written before the exit is already in the pipes: hand it out, then stop listening
        // (a grandchild holding the pipe open must not delay the exit report).
        for stream in watch.pipes.map(\.stream) { drain(token, stream: stream, final: true) }
        if let s = watch.pidSource { removeIO(s) }
        backend.close(watch.process.pidfd)
        if let stdin = watch.process.stdin { backend.close(stdin) }
        children.removeValue(forKey: token)
        watch.onExit(exit)
    }
}
