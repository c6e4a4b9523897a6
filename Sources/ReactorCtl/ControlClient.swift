import ReactorCore
import ReactorLoop
import ReactorSystem

/// drbd-reactorctl's side of the daemon's control socket (JSON lines, see `ControlMessages`).
public struct ControlClient {
    public let path: String

    public init(path: String) { self.path = path }

    /// The daemon's answer to one request (`status`, `maintenance`): the first line, parsed; nil when
    /// no daemon answers within `milliseconds` (not running, no socket, not root).
    public func request(_ command: String, milliseconds: Int32 = 2000) -> JSONValue? {
        var answer: JSONValue?
        _ = try? stream(command, until: { line in
            answer = try? JSONValue.parse(line)
            return false
        }, idleMilliseconds: milliseconds, signals: nil)
        return answer
    }

    /// Sends `command` and hands every line to `onLine` until it returns false, the daemon hangs up
    /// (true), a signal of `signals` arrives (false), or nothing came for `idleMilliseconds` (nil: wait
    /// for ever). Throws when the socket cannot be reached.
    @discardableResult
    public func stream(
        _ command: String, until onLine: (String) -> Bool, idleMilliseconds: Int32?, signals: SignalFD?
    ) throws(CtlError) -> Bool {
        let fd: FileDescriptor
        do { fd = try Socket.connect(.unix(path)) } catch { throw .control(path: path, "\(error)") }
        defer { fd.close() }
        let request = Array(JSONText.object([("command", .string(command))]).text.utf8) + [10]
        var sent = 0
        var lines = LineBuffer()
        while true {
            var fds = [fd]
            if let signals { fds.append(signals.fd) }
            if sent < request.count {
                do { sent += try fd.write(request, from: sent) } catch { throw .control(path: path, "\(error)") }
            }
            let ready = Blocking.readable(fds, milliseconds: idleMilliseconds ?? -1)
            if ready.isEmpty {
                if idleMilliseconds != nil { throw .control(path: path, "no answer") }
                continue
            }
            if ready.contains(1) { return false }
            var bytes: [UInt8] = []
            let result: FileDescriptor.ReadResult
            do { result = try fd.read(appendingTo: &bytes) } catch { throw .control(path: path, "\(error)") }
            lines.append(bytes)
            var more = true
            lines.consumeLines { line in if more { more = onLine(String(decoding: line, as: UTF8.self)) } }
            if !more { return false }
            if result == .endOfFile { return true }
        }
    }
}
