import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Design note: host names are resolved without blocking the loop.
///
/// getaddrinfo(3) blocks for as long as the resolver takes (a dead DNS server: seconds per try), and the
/// daemon has one thread, so it never calls it. Numeric addresses need no resolver. `localhost` is
/// 127.0.0.1 and ::1 without asking anyone (what every /etc/hosts says and RFC 6761 reserves). Any
/// other name is resolved by a child, `getent ahosts NAME` (glibc's NSS, so /etc/hosts, DNS and the
/// rest as configured), whose output the loop reads like any child's; past `timeout` the child is
/// killed and the resolution fails.
///
/// Ownership: a `HostResolution` owns its child and timer until it completes or is cancelled; the
/// completion is called at most once, never after `cancel()`.
final class HostResolution {
    /// Why a name has no addresses.
    enum Failure: Error, CustomStringConvertible, Equatable {
        case notFound
        case timedOut(Duration)
        case failed(String)

        var description: String {
            switch self {
            case .notFound: "the name has no address"
            case .timedOut(let d): "no answer from the resolver within \(d)"
            case .failed(let why): why
            }
        }
    }

    /// How long the resolver child may take.
    /// Below the AgentX handshake timeout (10 s), so a stalled resolver is reported as such.
    static let defaultTimeout = Duration.seconds(5)
    /// getent's output kept at most (a name with a few hundred addresses fits).
    static let outputLimit = 64 * 1024

    private let loop: EventLoop
    private var child: EventLoop.SourceID?
    private var timer: EventLoop.SourceID?
    private var completion: ((Result<[Socket.Address], Failure>) -> Void)?

    /// Starts resolving `name`; `completion` gets its addresses (with `port`), in the resolver's order.
    /// `getent` is looked up in PATH (tests put a stand-in there or name one).
    init(
        _ name: String, port: UInt16, loop: EventLoop, timeout: Duration = HostResolution.defaultTimeout,
        getent: String = "getent", completion: @escaping (Result<[Socket.Address], Failure>) -> Void
    ) {
        self.loop = loop
        self.completion = completion
        if name == "localhost" {
            loop.deferWork { [weak self] in self?.finish(.success([.ipv4("127.0.0.1", port), .ipv6("::1", port)])) }
            return
        }
        var output = ChildOutput(limit: Self.outputLimit)
        do {
            child = try loop.spawn(
                argv: [getent, "ahosts", name], environment: ChildProcess.inheritedEnvironment(),
                stdio: .init(pipeStdin: false, captureStdout: true, captureStderr: false), name: "getent ahosts \(name)",
                onLine: { _, line in output.append(line) }
            ) { [weak self] exit in
                guard let self else { return }
                self.child = nil
                let found = Self.addresses(fromAhosts: output.text, port: port)
                if !found.isEmpty {
                    self.finish(.success(found))
                } else {
                    // getent exits 2 for an unknown name; anything else is the resolver failing.
                    self.finish(.failure(exit == .exited(2) ? .notFound : .failed("'getent ahosts' ended with \(exit)")))
                }
            }.id
        } catch {
            loop.deferWork { [weak self] in self?.finish(.failure(.failed("cannot run 'getent': \(error)"))) }
            return
        }
        timer = loop.addTimer(at: loop.now + timeout, name: "resolve \(name)") { [weak self] in
            self?.timer = nil
            self?.finish(.failure(.timedOut(timeout)))
        }
    }

    /// Stops the resolution; the completion is not called.
    func cancel() {
        completion = nil
        cleanUp()
    }

    private func finish(_ result: Result<[Socket.Address], Failure>) {
        let done = completion
        completion = nil
        cleanUp()
        done?(result)
    }

    private func cleanUp() {
        if let t = timer { loop.cancelTimer(t) }
        timer = nil
        if let c = child { loop.signal(c, Signal.kill) }
        child = nil
    }

    /// The addresses in `getent ahosts` output (`ADDRESS  STREAM|DGRAM|RAW  [name]` lines, each address
    /// once per socket type), each once, in order.
    static func addresses(fromAhosts output: String, port: UInt16) -> [Socket.Address] {
        var out: [Socket.Address] = []
        for line in output.split(separator: "\n") {
            guard let first = line.split(separator: " ", omittingEmptySubsequences: true).first else { continue }
            let text = String(first)
            let address: Socket.Address
            if Socket.isIPv4(text) {
                address = .ipv4(text, port)
            } else if Socket.isIPv6(text) {
                address = .ipv6(text, port)
            } else {
                continue
            }
            if !out.contains(address) { out.append(address) }
        }
        return out
    }
}

/// The executor of a machine's `.resolve` effect, shared by the AgentX client (`ConnectMachine`) and the
/// `/metrics` server (`ListenerMachine`): at most one resolution at a time, a new one replacing the
/// pending one, and no answer after `cancel()` (the machine's `.cancelResolve`, or its owner stopping).
final class HostResolver {
    /// What the machine hears: `.resolved(addresses)` or `.resolveFailed(reason)`.
    enum Answer {
        case resolved([Socket.Address])
        case failed(String)
    }

    private let loop: EventLoop
    private var pending: HostResolution?

    init(loop: EventLoop) { self.loop = loop }

    /// Resolves `name` (addresses with `port`); `answer` is called once, on a later loop turn.
    func resolve(_ name: String, port: UInt16, answer: @escaping (Answer) -> Void) {
        cancel()
        pending = HostResolution(name, port: port, loop: loop) { [weak self] result in
            self?.pending = nil
            switch result {
            case .success(let list): answer(.resolved(list))
            case .failure(let failure): answer(.failed("\(failure)"))
            }
        }
    }

    /// Drops the pending resolution (its child is killed); its answer never comes.
    func cancel() {
        pending?.cancel()
        pending = nil
    }
}

extension ListenAddress {
    /// What a socket needs for this address: every address (`.any`), numeric addresses, or a name to
    /// resolve first (`HostResolution`).
    enum Target {
        case any
        case addresses([Socket.Address])
        case name(String, port: UInt16)
    }

    var target: Target {
        switch self {
        case .any: .any
        case .ipv4(let bytes, let port): .addresses([.ipv4(bytes.map(String.init).joined(separator: "."), port)])
        case .ipv6(let bytes, let port): .addresses([.ipv6(Socket.ipv6String(bytes), port)])
        case .host(let name, let port): .name(name, port: port)
        }
    }
}
