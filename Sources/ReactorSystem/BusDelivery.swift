import ReactorCore

/// What a bus connection hands the loop when it is processed, in the order it happened: a signal that
/// matched one of the connection's rules, the reply to a call (named by the serial the call returned),
/// or the end of the connection (always the last delivery; its owner closes the connection).
public enum BusDelivery: Hashable, Sendable {
    case signal(BusMessage)
    case reply(serial: UInt64, Result<BusMessage, BusCallError>)
    case closed(Errno)
}
