import ReactorCore

/// Identifies a registration with the event loop (io, timer, signal or child); never reused.
public struct SourceID: Hashable, Sendable, CustomStringConvertible {
    public let raw: UInt64
    public init(raw: UInt64) { self.raw = raw }
    public var description: String { "source \(raw)" }
}

/// What a kernel-object wrapper in this layer needs from the loop that drives it: fd watches and
/// one-shot timers. The loop (ReactorLoop, one layer up) conforms; System code such as `SystemdBus`
/// holds it weakly and never names the loop's type, so the dependency points down.
public protocol EventSources: AnyObject {
    /// Watches `fd` for `events`; the caller keeps owning the fd and removes the watch before closing it.
    func addIO(_ fd: FileDescriptor, events: IOEvents, name: String, handler: @escaping (IOEvents) throws -> Void) throws(Errno) -> SourceID
    /// Changes the events watched for a source returned by `addIO`.
    func modifyIO(_ id: SourceID, events: IOEvents) throws(Errno)
    /// Unregisters an io source; unknown ids are ignored.
    func removeIO(_ id: SourceID)
    /// Runs `handler` once at `deadline` (at once if it is past).
    @discardableResult
    func addTimer(at deadline: Instant, name: String, handler: @escaping () throws -> Void) -> SourceID
    /// Cancels a timer; unknown or already fired ids are ignored.
    func cancelTimer(_ id: SourceID)
}
