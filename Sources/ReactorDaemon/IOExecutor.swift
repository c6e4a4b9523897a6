import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Design note: the one executor of the I/O vocabulary (`IOEffect` in, `IOInput` out).
///
/// It owns the sockets a machine speaks of by `ConnectionID` and carries out every effect through the
/// loop without blocking: reads as the socket becomes readable (`.received`, then `.peerClosed` at end
/// of input, after which the socket is no longer watched for input), writes what the socket takes and
/// waits for EPOLLOUT for the rest (`.drained` when all is out), closes (`.closed` when it closed on its
/// own: an error, or everything sent after `.closeWhenSent`). Files are written atomically through
/// the loop's backend (the kernel's file system, or the virtual one), counters go to the daemon's tally, notify messages to the service manager. Inputs go
/// to `onInput`, which sends them through the machine's `EffectRunner` (so an input caused by an effect
/// waits until the current effect list is done).
public final class IOExecutor<Bytes: OutgoingBytes> {
    /// One socket and its unsent output.
    private final class Connection {
        let fd: FileDescriptor
        var source: EventLoop.SourceID?
        /// Buffers ready to send; `written` bytes of the first one are already sent.
        var output: [[UInt8]] = []
        var written = 0
        /// Output after `output`, asked for a buffer at a time once the socket took everything before.
        var later: [Bytes] = []
        var hasPendingOutput: Bool { !output.isEmpty || !later.isEmpty }
        var closeWhenSent = false
        var reading = true
        var watchingWritable = false
        init(fd: FileDescriptor) { self.fd = fd }
    }

    /// Why a file or notify effect failed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let loop: EventLoop
    private let logger: Logger
    /// Names the sockets in log messages ("/metrics connection").
    private let what: String
    /// Names each socket's loop source ("prometheus client").
    private let sourceName: String
    private let counter: (ReactorCounter, UInt64) -> Void
    private let notifier: ServiceNotifier?
    private var connections: [ConnectionID: Connection] = [:]
    private var lastConnection: UInt64 = 0
    /// Told what happened on a connection.
    public var onInput: (IOInput) -> Void = { _ in }

    public init(loop: EventLoop, logger: Logger, what: String, sourceName: String, notifier: ServiceNotifier? = nil,
                count: @escaping (ReactorCounter, UInt64) -> Void = { _, _ in }) {
        self.loop = loop
        self.logger = logger
        self.what = what
        self.sourceName = sourceName
        self.notifier = notifier
        self.counter = count
    }

    /// The number of open connections.
    public var connectionCount: Int { connections.count }

    /// Bytes handed out for `id` and not sent yet (0 for an unknown id).
    public func pendingBytes(_ id: ConnectionID) -> Int {
        guard let c = connections[id] else { return 0 }
        return c.output.reduce(0) { $0 + $1.count } - c.written + c.later.reduce(0) { $0 + $1.count }
    }

    /// Whether `id` is open.
    public func isOpen(_ id: ConnectionID) -> Bool { connections[id] != nil }

    /// Watches an accepted socket under a new id and reports `.accepted`; nil (the socket closed) when
    /// it cannot be watched.
    @discardableResult
    public func adopt(_ fd: FileDescriptor) -> ConnectionID? {
        lastConnection += 1
        let id = ConnectionID(raw: lastConnection)
        let connection = Connection(fd: fd)
        do {
            connection.source = try loop.addIO(fd, events: .readable, name: sourceName) { [unowned self] events in
                self.ready(id, events)
            }
        } catch {
            logger.warning("Failed to watch a \(what): \(error)")
            loop.close(fd)
            return nil
        }
        connections[id] = connection
        onInput(.accepted(id))
        return id
    }

    /// Carries out one effect. Connection effects never fail here (a socket error closes the connection
    /// and is reported as `.closed`); a file or notify effect that failed returns why.
    public func perform(_ effect: IOEffect<Bytes>) -> Failure? {
        switch effect {
        case .send(let id, let bytes):
            connections[id]?.later.append(bytes)
            flush(id)
        case .closeWhenSent(let id):
            connections[id]?.closeWhenSent = true
            flush(id)
        case .close(let id):
            close(id)
        case .stopReading(let id):
            stopReading(id)
        case .writeFile(let path, let contents, let mode):
            do { try loop.writeFile(path, contents, mode: mode) } catch {
                return Failure(description: "cannot write '\(path)': \(error.description)")
            }
        case .removeFile(let path):
            do { try loop.removeFile(path) } catch {
                return Failure(description: "cannot remove '\(path)': \(error.description)")
            }
        case .count(let counter, let n):
            self.counter(counter, n)
        case .notify(let message):
            do { try notifier?.send(message) } catch {
                return Failure(description: "cannot notify the service manager (\(message.prefix(20))...): \(error.description)")
            }
        }
        return nil
    }

    /// Closes every connection without reporting (the owner stops).
    public func closeAll() {
        for id in connections.keys.sorted() { close(id) }
    }

    // MARK: sockets

    private func ready(_ id: ConnectionID, _ events: IOEvents) {
        if events.contains(.writable) || events.contains(.error) { flush(id) }
        guard connections[id] != nil else { return }
        if events.contains(.readable) || events.contains(.hangup) { read(id) }
    }

    private func read(_ id: ConnectionID) {
        guard let c = connections[id], c.reading else { return }
        var bytes: [UInt8] = []
        var eof = false
        do {
            switch try loop.read(c.fd, appendingTo: &bytes, maximum: 16384) {
            case .bytes, .wouldBlock: break
            case .endOfFile: eof = true
            }
        } catch {
            closed(id)  // reset by peer and the like: nothing to answer
            return
        }
        if !bytes.isEmpty { onInput(.received(id, bytes)) }
        guard eof, connections[id] != nil else { return }
        onInput(.peerClosed(id))
        // Stop polling for input that will never come; only output remains.
        stopReading(id)
    }

    private func stopReading(_ id: ConnectionID) {
        guard let c = connections[id], c.reading else { return }
        c.reading = false
        rewatch(id)
    }

    /// Writes what the socket takes; waits for EPOLLOUT for the rest; reports when all is sent.
    private func flush(_ id: ConnectionID) {
        guard let c = connections[id] else { return }
        let hadOutput = c.hasPendingOutput
        do {
            while refill(c) {
                var n = try loop.write(c.fd, gathering: c.output, from: c.written)
                guard n > 0 else { break }
                // Drop what went out; a buffer is released (or left to its cache) once fully sent.
                while n > 0, !c.output.isEmpty, n >= c.output[0].count - c.written {
                    n -= c.output[0].count - c.written
                    c.output.removeFirst()
                    c.written = 0
                }
                c.written += n
            }
        } catch {
            closed(id)
            return
        }
        if c.hasPendingOutput {
            watchWritable(id, true)
            return
        }
        c.written = 0
        guard watchWritable(id, false) else { return }
        if c.closeWhenSent {
            closed(id)
        } else if hadOutput {
            onInput(.drained(id))
        }
    }

    /// Makes sure there is a buffer to send while output remains (the next one of the first `later`
    /// value, which is dropped once empty). Returns whether there is something to send.
    private func refill(_ c: Connection) -> Bool {
        guard c.output.isEmpty else { return true }
        while !c.later.isEmpty {
            if let buffer = c.later[0].nextBuffer() {
                c.output.append(buffer)
                return true
            }
            c.later.removeFirst()
        }
        return false
    }

    /// Watches a connection for EPOLLOUT while output waits; false when that failed and it was dropped.
    @discardableResult
    private func watchWritable(_ id: ConnectionID, _ on: Bool) -> Bool {
        guard let c = connections[id], c.watchingWritable != on else { return true }
        c.watchingWritable = on
        return rewatch(id)
    }

    /// Watches the socket for what the connection waits for. If epoll refuses (nothing but a bug of ours
    /// makes it refuse a socket it watches already), the connection is logged and dropped rather than
    /// left watched for the wrong events (a response that never goes out, or a busy loop); false then.
    @discardableResult
    private func rewatch(_ id: ConnectionID) -> Bool {
        guard let c = connections[id], let source = c.source else { return true }
        var events: IOEvents = []
        if c.reading { events.insert(.readable) }
        if c.watchingWritable { events.insert(.writable) }
        do { try loop.modifyIO(source, events: events) } catch {
            logger.warning("Failed to watch a \(what): \(error); dropping it.")
            closed(id)
            return false
        }
        return true
    }

    /// The socket is gone on this side (an error, or closed after sending): reported as `.closed`.
    private func closed(_ id: ConnectionID) {
        close(id)
        onInput(.closed(id))
    }

    private func close(_ id: ConnectionID) {
        guard let c = connections.removeValue(forKey: id) else { return }
        if let s = c.source { loop.removeIO(s) }
        loop.close(c.fd)
    }
}
