import Logging
import ReactorLoop
import ReactorSystem
import ReactorCore

/// Design note: listening sockets outlive the plugin instances that serve on them.
///
/// The pool owns every listening socket that no running `[[prometheus]]` instance holds at the moment:
/// those systemd passed at start (a socket unit, or the daemon's own file descriptor store after a
/// restart) and those a stopped instance gave back during a reload. An instance asks for its address
/// and gets the idle socket bound there, so a reload that changes a `[[prometheus]]` table never closes
/// the port (scrapers wait in the backlog for a moment instead of being refused), and a socket unit's
/// socket is served instead of bound a second time. A socket the daemon binds itself is also handed to
/// systemd's store (`FDSTORE=1`), so it comes back through `LISTEN_FDS` after a restart. After a start
/// or reload, `closeIdle()` closes what nobody took and takes it out of the store.
public final class ListenerPool {
    private struct Idle {
        let fd: FileDescriptor
        let address: Socket.Address
    }

    private let loop: EventLoop
    private let notifier: any ServiceNotifier
    private let logger: Logger
    private var idle: [Idle] = []

    /// Takes ownership of the passed sockets; ones that are not listening stream sockets are closed.
    public init(passed: [PassedSocket], loop: EventLoop, notifier: any ServiceNotifier, logger: Logger) {
        self.loop = loop
        self.notifier = notifier
        self.logger = logger
        for socket in passed {
            guard let address = socket.address else {
                logger.warning("systemd passed '\(socket.name)' (\(socket.fd)), which is not a listening stream socket; closing it.")
                loop.close(socket.fd)
                continue
            }
            logger.info("systemd passed a listening socket on \(address) ('\(socket.name)').")
            idle.append(Idle(fd: socket.fd, address: address))
        }
    }

    /// The idle sockets are the pool's: at exit they are closed, and stay in systemd's store for the next
    /// start (unlike `closeIdle`, which takes them out).
    deinit {
        for socket in idle { loop.close(socket.fd) }
    }

    /// The addresses of the idle sockets (for tests and the log).
    public var idleAddresses: [Socket.Address] { idle.map(\.address) }

    /// The name a socket bound at `address` is stored under: `FDNAME=` allows no `:`.
    static func storeName(_ address: Socket.Address) -> String {
        "listen-" + String(address.description.map { $0 == ":" ? "_" : $0 })
    }

    /// A listening socket for `address`: the idle one bound there, or a new one (bound, then stored).
    public func listener(for address: Socket.Address) throws(Errno) -> FileDescriptor {
        if let i = idle.firstIndex(where: { $0.address == address }) {
            return idle.remove(at: i).fd
        }
        let fd = try loop.listen(address)
        do { try notifier.store(fd, name: Self.storeName(address)) } catch {
            logger.warning("Failed to store the listening socket on \(address) with systemd: \(error), ignoring.")
        }
        return fd
    }

    /// Takes a socket back from an instance that stops; it stays open until `closeIdle()`.
    public func release(_ fd: FileDescriptor, address: Socket.Address) {
        idle.append(Idle(fd: fd, address: address))
    }

    /// Closes every idle socket and removes it from systemd's store: no instance wants it any more.
    public func closeIdle() {
        for socket in idle {
            logger.info("Closing the listening socket on \(socket.address): no [[prometheus]] uses it.")
            try? notifier.removeStored(name: Self.storeName(socket.address))
            loop.close(socket.fd)
        }
        idle.removeAll()
    }
}
