extension ListenAddress {
    /// The socket addresses of an explicit address (prometheus binds them, agentx connects to them); a
    /// host name is resolved with getaddrinfo, which may block: only done when a plugin starts or, for
    /// agentx, before a connection attempt. `.any` gives nil: what "every address" means is the
    /// caller's choice.
    func socketAddresses() throws(Errno) -> [Socket.Address]? {
        switch self {
        case .any:
            return nil
        case .ipv4(let bytes, let port):
            return [.ipv4(bytes.map(String.init).joined(separator: "."), port)]
        case .ipv6(let bytes, let port):
            return [.ipv6(Socket.ipv6String(bytes), port)]
        case .host(let name, let port):
            let found = try Socket.resolve(host: name, port: port)
            guard !found.isEmpty else { throw Errno.noEntry }  // the name has no address
            return found
        }
    }
}
