/// The client side of `exec`, `ctl` and the drbdsetup/drbdadm personalities: sends one request to
/// `drbd-sim serve`, relays the answer to stdout/stderr and returns its exit status; for a streaming
/// `events2` it also relays stdin lines (`n`: poll) to the server. One event loop, as everywhere.
import DRBDSim
import Glibc
import Logging
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

    init(socketPath: String, request: [String], relayStdin: Bool, logger: Logger) throws {
        loop = try EventLoop(logger: logger)
        socket = try Self.connect(socketPath)
        pendingOutput = Array(WireProtocol.request(request).utf8)
        socketSource = try loop.addIO(socket, events: [.readable, .writable], name: "server") { [unowned self] events in
            try self.serviceSocket(events)
        }
        if relayStdin { relayStandardInput() }
    }

    /// Connects to the server. A full listen backlog is EAGAIN for a non-blocking unix socket (a
    /// blocking one would wait): hundreds of calls at once (100 promoters starting on each of three HA
    /// lab nodes) must wait their turn, not fail with "cannot reach the server". Retried for about 10 s,
    /// backing off from 1 ms to 50 ms; nothing else runs in this client yet, so sleeping blocks nothing.
    static func connect(_ socketPath: String) throws -> FileDescriptor {
        var pause: UInt32 = 1_000
        var waited: UInt32 = 0
        while true {
            let attempt = Result { () throws(Errno) in try Socket.connect(.unix(socketPath)) }
            guard case .failure(let error) = attempt, error == .wouldBlock, waited < 10_000_000 else {
                return try attempt.get()
            }
            usleep(pause)
            waited += pause
            pause = min(pause * 2, 50_000)
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
        guard let stdin = try? FileDescriptor.openForReading("/dev/stdin"), (try? stdin.setNonBlocking(true)) != nil
        else { return }
        var source: EventLoop.SourceID?
        source = try? loop.addIO(stdin, events: .readable, name: "stdin") { [unowned self] _ in
            var bytes: [UInt8] = []
            let result = try stdin.read(appendingTo: &bytes)
            self.pendingOutput.append(contentsOf: bytes)
            try self.flush()
            if !self.pendingOutput.isEmpty, let s = self.socketSource { try self.loop.modifyIO(s, events: [.readable, .writable]) }
            if result == .endOfFile, let source { self.loop.removeIO(source) }
        }
    }
}

/// Blocking writes to this process's stdout/stderr (a client's own output, never the server's).
enum Output {
    static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { continue }
                return
            }
            bytes = bytes.dropFirst(n)
        }
    }
}
