import CSystemd
import Glibc
import ReactorCore

/// A listening socket that systemd passed at start: from a socket unit (socket activation) or back from
/// the daemon's own file descriptor store after a restart.
public struct PassedSocket {
    public let fd: FileDescriptor
    /// `FileDescriptorName=` of the socket unit, or the `FDNAME=` it was stored under.
    public let name: String
    /// Where it listens (getsockname); nil for something that is not a listening stream socket.
    public let address: Socket.Address?
}

/// Socket activation: the descriptors of `LISTEN_FDS`/`LISTEN_FDNAMES`, taken once at start.
public enum ListenFDs {
    /// sd_listen_fds_with_names(3), unsetting `LISTEN_*` so no child sees them. Each descriptor is made
    /// non-blocking (the loop accepts on it; systemd passes blocking ones unless `NonBlocking=yes`);
    /// libsystemd has already made them CLOEXEC.
    public static func take() -> [PassedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer {
            if let names {
                for i in 0..<Int(count) { free(names[i]) }
                free(names)
            }
        }
        return (0..<count).map { i in
            let raw = SD_LISTEN_FDS_START + i
            let name = names?[Int(i)].map { String(cString: $0) } ?? "unknown"
            let flags = fcntl(raw, F_GETFL)
            if flags >= 0 { _ = fcntl(raw, F_SETFL, flags | O_NONBLOCK) }
            let listening = sd_is_socket(raw, AF_UNSPEC, Int32(SOCK_STREAM.rawValue), 1) > 0
            let fd = FileDescriptor(owning: raw)
            return PassedSocket(fd: fd, name: name, address: listening ? Socket.localAddress(fd) : nil)
        }
    }
}
