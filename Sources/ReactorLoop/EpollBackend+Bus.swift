import ReactorCore
import ReactorSystem

/// The epoll backend's bus: sd-bus connections (`SystemdBus`), named by their socket, which the loop
/// watches like any fd.
extension EpollBackend {
    public func busEndpoints() -> [BusEndpoint]? { SystemdBus.currentEndpoints() }

    public func busOpen(_ endpoint: BusEndpoint) throws(Errno) -> FileDescriptor {
        let bus = try SystemdBus(endpoint)
        let fd = try bus.fd()
        buses[fd.rawValue] = bus
        return fd
    }

    public func busAddMatch(_ bus: FileDescriptor, rule: String) throws(Errno) {
        try connection(bus).match(rule)
    }

    public func busCall(_ bus: FileDescriptor, _ call: BusMethodCall) throws(Errno) -> UInt64 {
        try connection(bus).call(call)
    }

    public func busProcess(_ bus: FileDescriptor) -> [BusDelivery] {
        buses[bus.rawValue]?.process() ?? []
    }

    public func busInterest(_ bus: FileDescriptor) throws(Errno) -> (events: IOEvents, deadline: Instant?) {
        try connection(bus).interest()
    }

    public func busClose(_ bus: FileDescriptor) {
        buses.removeValue(forKey: bus.rawValue)?.close()
    }

    private func connection(_ fd: FileDescriptor) throws(Errno) -> SystemdBus {
        guard let bus = buses[fd.rawValue] else { throw Errno.badDescriptor }
        return bus
    }
}
