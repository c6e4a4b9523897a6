/// A D-Bus signal or method reply as plain values: what sd-bus decodes, and what the virtual bus
/// carries as it is. Decoders above the System layer (systemd's signals for the promoters) read this.
public struct BusMessage: Hashable, Sendable {
    /// The unique or well-known name of the sender (nil on a direct connection such as systemd's
    /// private socket).
    public var sender: String?
    public var path: String?
    public var interface: String?
    public var member: String?
    public var arguments: [BusValue]

    public init(sender: String? = nil, path: String?, interface: String?, member: String?, arguments: [BusValue]) {
        self.sender = sender
        self.path = path
        self.interface = interface
        self.member = member
        self.arguments = arguments
    }
}

/// A method call with string arguments (all the daemon sends: systemd's `Subscribe`, and tests').
public struct BusMethodCall: Hashable, Sendable {
    public var destination: String
    public var path: String
    public var interface: String
    public var member: String
    public var arguments: [String]

    public init(destination: String, path: String, interface: String, member: String, arguments: [String] = []) {
        self.destination = destination
        self.path = path
        self.interface = interface
        self.member = member
        self.arguments = arguments
    }
}

/// A method error reply: the D-Bus error name and its message.
public struct BusCallError: Error, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var message: String

    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }

    public var description: String { message.isEmpty ? name : "\(name): \(message)" }
}
