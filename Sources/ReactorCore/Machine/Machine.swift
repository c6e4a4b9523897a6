/// Design note: the machine protocol.
///
/// Everything in the daemon that reacts to the outside world is a machine: a value that takes one input
/// and the current time and returns the effects it wants carried out, in order. A machine never touches a
/// file descriptor, the clock or the environment, so a unit test drives it by feeding inputs and reading
/// effects. Its effects are carried out by one `EffectRunner`, which also delivers the inputs the effects
/// cause later (a child's exit, a timer, bytes on a connection) and, when an effect fails at once (a spawn
/// that cannot start), after the current effects: a machine never sees an input in the middle of its own
/// effect list.
public protocol Machine {
    associatedtype Input
    associatedtype Effect: MachineEffect
    /// Handles one input at `now` (the loop's clock, or a test's): the effects to carry out, in order.
    mutating func handle(_ input: Input, now: Instant) -> [Effect]
}

/// What the runner needs to know about an effect without knowing the machine: whether it is the
/// machine's last word (`stopped`). Effects a machine returns after it, and inputs that arrive for it
/// later, are dropped and counted, never carried out.
public protocol MachineEffect {
    /// Whether this effect ends the machine: nothing after it runs.
    var endsMachine: Bool { get }
}
