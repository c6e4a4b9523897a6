/// The client side of `exec`, `ctl` and the drbdsetup/drbdadm personalities: sends one request to
/// `drbd-sim serve`, relays the answer to stdout/stderr and returns its exit status; for a streaming
/// `events2` it also relays stdin lines (`n`: poll) to the server. One event loop, as everywhere.
import DRBDSim
import Glibc
import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

final class SimClient {
    /// Exit status when the server cannot be reached or goes away without an answer.
    static let unreachable: Int32 = 20

    let loop: EventLoop
    let socket: FileDescriptor
    var socketSource: EventLoop.SourceID?
    var pendingOutput: [UInt8]
    var input = LineBuffer()
    var status: Int32?
    /// The relayed stdin (streaming events2 only) and its watch.
    var stdin: (fd: FileDescriptor, source: EventLoop.SourceID?)?

    init(socketPath: String, request: [String], relayStdin: Bool, logger: Logger) throws {
        loop = try EventLoop(logger: logger)
        socket = try Self.connect(socketPath)
        pendingOutput = Array(WireProtocol.request(request).utf8)
        socketSource = try loop.addIO(socket, events: [.readable, .writable], name: "server") { [unowned self] events in
            try self.serviceSocket(events)
        }
        if relayStdin { relayStandardInput() }
    }

    /// The client owns its socket and the relayed stdin: unwatched and closed with it.
    deinit {
        if let s = socketSource { loop.removeIO(s) }
        loop.close(socket)
        if let stdin {
            if let s = stdin.source { loop.removeIO(s) }
            loop.close(stdin.fd)
        }
    }

    /// Connects to the server. A full listen backlog is EAGAIN for a non-blocking unix socket (a
    /// blocking one would wait): hundreds of calls at once (100 promoters starting on each of three HA
    /// lab nodes) must wait their turn, not fail with "cannot reach the server". Retried for about 10 s,
    /// backing off from 1 ms to 50 ms; nothing else runs in this client yet, so sleeping blocks nothing.
    static func connect(_ socketPath: String) throws -> FileDescriptor {
        var backoff = Backoff(first: .milliseconds(1), limit: .milliseconds(50))
        var waited: Duration = .zero
        while true {
            let attempt = Result { () throws(Errno) in try Socket.connect(.unix(socketPath)) }
            guard case .failure(let error) = attempt, error == .wouldBlock, waited < .seconds(10) else {
                return try attempt.get()
            }
            let pause = backoff.next()
            usleep(UInt32(pause.nanosecondsClamped / 1000))
            waited += pause
        }
    }

    /// Runs until the server sent the exit status (or went away); returns it.
    func run() throws -> Int32 {
        while status == nil { try loop.runOnce(timeout: nil) }
        return status ?? Self.unreachable
    }

    func serviceSocket(_ events: IOEvents) throws {
        if events.contains(.writable) { try flush() }
        guard events.contains(.readable) || events.contains(.hangup) || events.contains(.error) else { return }
        var bytes: [UInt8] = []
        let result = try socket.read(appendingTo: &bytes)
        input.append(bytes)
        input.consumeLines { line in handle(String(decoding: line, as: UTF8.self)) }
        if result == .endOfFile, status == nil {
            Output.write(2, "drbd-sim: the server closed the connection\n")
            status = Self.unreachable
        }
    }

    func handle(_ line: String) {
        guard let tab = line.firstIndex(of: "\t") else { return }
        let text = String(line[line.index(after: tab)...])
        switch line[..<tab] {
        case "o": Output.write(1, text + "\n")
        case "O": Output.write(1, text)
        case "e": Output.write(2, text + "\n")
        case "E": Output.write(2, text)
        case "x": status = Int32(text) ?? 1
        default: break
        }
    }

    func flush() throws {
        while !pendingOutput.isEmpty {
            do {
                pendingOutput.removeFirst(try socket.write(pendingOutput))
            } catch {
                if error == .wouldBlock { return }
                throw error
            }
        }
        if let source = socketSource { try loop.modifyIO(source, events: .readable) }
    }

    /// Forwards stdin lines to the server (best effort: a stdin epoll cannot watch, such as /dev/null,
    /// is simply not relayed).
    func relayStandardInput() {
        // A new open file description of our stdin (a pipe, usually), so O_NONBLOCK stays ours.
        guard let fd = try? FileDescriptor.openForReading("/dev/stdin") else { return }
        stdin = (fd, nil)
        guard (try? fd.setNonBlocking(true)) != nil else { return }
        stdin?.source = try? loop.addIO(fd, events: .readable, name: "stdin") { [unowned self] _ in
            var bytes: [UInt8] = []
            let result = try fd.read(appendingTo: &bytes)
            self.pendingOutput.append(contentsOf: bytes)
            try self.flush()
            if !self.pendingOutput.isEmpty, let s = self.socketSource { try self.loop.modifyIO(s, events: [.readable, .writable]) }
            if result == .endOfFile, let source = self.stdin?.source {
                self.loop.removeIO(source)
                self.stdin?.source = nil
            }
        }
    }
}

/// Blocking writes to this process's stdout/stderr (a client's own output, never the server's).
enum Output {
    static func write(_ fd: Int32, _ text: String) { RawOutput.write(fd, Array(text.utf8)) }
}
