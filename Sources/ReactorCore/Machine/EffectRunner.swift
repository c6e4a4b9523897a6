import Logging

/// Design note: the one effect runner every machine is driven by.
///
/// Rules, the same for every machine (plugins, the AgentX client, the OCF wrapper):
/// - FIFO: inputs are handled in the order they were sent, one at a time, across all instances.
/// - Never re-entrant: an input sent while effects are being carried out (a spawn that fails at once
///   and reports it, an effect that stops another instance) waits in the queue until the current
///   effect list is done; `send` returns without handling it. Outside of a drain, `send` handles the
///   input and everything it causes before it returns, so a caller sees the effects done.
/// - Stopped instances: after an effect whose `endsMachine` is true, the rest of that effect list and
///   every later input for the instance are dropped, counted and logged at debug level; the same
///   for an instance removed with `remove` (its owner is gone).
/// - Time: `now` is read once per input from the injected clock, so a machine sees the loop's (or a
///   test's virtual) time; a sender of many inputs in one turn may pass the time it read instead.
///
/// The runner owns no loop sources; whoever registers an instance carries out its effects in
/// `perform` and sends the inputs the loop produces back through `send`, naming the instance by its
/// `InstanceID` (a value: a late loop callback for a gone instance is simply dropped).
///
/// Performance: `send` and what it calls are `@inlinable`, so each client module gets them specialized
/// for its input and effect types (a generic queue of tuples otherwise costs runtime metadata lookups
/// on every input, a third of the daemon's time on an events2 burst through two plugins). The state
/// `send` touches per input is `@exclusivity(unchecked)`: a runner lives on one thread, and each of
/// those accesses is a short read or store that never spans a call into a machine or an effect, so
/// they cannot overlap; the dynamic checks cost five calls into the runtime per input.
public final class EffectRunner<Input, Effect: MachineEffect> {
    /// Names one registered instance; never reused within a runner.
    public struct InstanceID: Hashable, Sendable, CustomStringConvertible {
        public let raw: UInt64
        @inlinable init(raw: UInt64) { self.raw = raw }
        public var description: String { "instance \(raw)" }
    }

    /// Why an input or effect was not carried out (for the log).
    public enum Drop: Equatable, Sendable {
        /// An input for an instance that has stopped or was removed.
        case input
        /// An effect a machine returned after its last word.
        case effect
    }

    /// A class, so that looking an instance up per input costs one reference count, not one per closure.
    @usableFromInline final class Slot {
        @usableFromInline let handle: (Input, Instant) -> [Effect]
        @usableFromInline let perform: (Effect) -> Void
        @inlinable init(handle: @escaping (Input, Instant) -> [Effect], perform: @escaping (Effect) -> Void) {
            self.handle = handle
            self.perform = perform
        }
    }

    /// An input waiting for its turn.
    @usableFromInline struct Pending {
        @usableFromInline let id: InstanceID
        @usableFromInline let input: Input
        @inlinable init(id: InstanceID, input: Input) {
            self.id = id
            self.input = input
        }
    }

    @usableFromInline let clock: () -> Instant
    @usableFromInline let logger: Logger?
    // The state below marked `@exclusivity(unchecked)` is touched per input; why that is safe: the type's
    // Performance note (one thread, no access spans a call).
    /// By id (ids count up from 1 and are never reused, so an array: no hashing per input); nil once gone.
    @usableFromInline @exclusivity(unchecked) var slots: [Slot?] = []
    private var nextID: UInt64 = 0
    @usableFromInline @exclusivity(unchecked) var queue: [Pending] = []
    @usableFromInline @exclusivity(unchecked) var head = 0
    @usableFromInline @exclusivity(unchecked) var draining = false
    /// Bumped whenever an instance goes away, so the effect loop looks its instance up again only then.
    @usableFromInline @exclusivity(unchecked) var removals: UInt64 = 0
    @usableFromInline var inputsDropped: UInt64 = 0
    @usableFromInline var effectsDropped: UInt64 = 0

    /// Inputs dropped because their instance had stopped or was removed.
    public var droppedInputs: UInt64 { inputsDropped }
    /// Effects dropped because the machine had already returned its last word.
    public var droppedEffects: UInt64 { effectsDropped }
    /// Told about every dropped input or effect.
    public var onDrop: ((InstanceID, Drop) -> Void)?

    /// `clock` is read once per input; drops are logged to `logger` at debug level.
    public init(clock: @escaping () -> Instant, logger: Logger? = nil) {
        self.clock = clock
        self.logger = logger
    }

    /// Registers an instance: `handle` runs its machine, `perform` carries out one effect.
    public func add(
        handle: @escaping (Input, Instant) -> [Effect], perform: @escaping (Effect) -> Void
    ) -> InstanceID {
        nextID += 1
        slots.append(Slot(handle: handle, perform: perform))
        return InstanceID(raw: nextID)
    }

    /// Registers a machine value the runner keeps: `perform` carries out one effect.
    public func add<M: Machine>(_ machine: M, perform: @escaping (Effect) -> Void) -> InstanceID
    where M.Input == Input, M.Effect == Effect {
        let box = MachineBox(machine)
        return add(handle: { box.machine.handle($0, now: $1) }, perform: perform)
    }

    /// Whether `id` is registered and has not stopped.
    public func isRunning(_ id: InstanceID) -> Bool { slot(id) != nil }

    /// Forgets an instance: its queued and later inputs are dropped.
    public func remove(_ id: InstanceID) {
        guard slot(id) != nil else { return }
        slots[Int(id.raw) - 1] = nil
        removals &+= 1
    }

    /// Whether an input is being handled right now (its effects are being carried out).
    public var isDraining: Bool { draining }

    /// Queues `input` for `id`; handles the queue now unless a drain is already running.
    @inlinable
    public func send(_ input: Input, to id: InstanceID) { send(input, to: id, at: nil) }

    /// `send` for a sender that has read the clock already: several inputs of one loop turn (the
    /// diffs of one events2 line for every plugin), for which the clock says the same each time.
    /// `now` is used only if the input is handled at once; a queued one reads the clock at its turn.
    @inlinable
    public func send(_ input: Input, to id: InstanceID, at now: Instant?) {
        if draining {
            queue.append(Pending(id: id, input: input))
            return
        }
        draining = true
        defer { draining = false }
        run(input, for: id, slot(id), at: now ?? clock())
        if head < queue.count { drainQueue() }  // usually empty: no call (it is not always inlined)
    }

    /// Handles what effects queued, in order, then empties the queue (keeping its storage).
    @inlinable
    func drainQueue() {
        while head < queue.count {
            let next = queue[head]
            head += 1
            run(next.input, for: next.id, slot(next.id), at: clock())
        }
        if head > 0 {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
    }

    /// Handles one input at `now` with `id`'s slot as looked up by the caller (nil: gone).
    @inlinable
    func run(_ input: Input, for id: InstanceID, _ slot: Slot?, at now: Instant) {
        guard let slot else {
            drop(.input, id)
            return
        }
        let effects = slot.handle(input, now)
        var i = 0
        while i < effects.count {
            let effect = effects[i]
            i += 1
            let before = removals
            slot.perform(effect)
            if effect.endsMachine {
                remove(id)
            } else if removals == before || self.slot(id) != nil {
                continue
            }
            // The instance is gone (its last word, or its owner removed it): nothing more of it runs.
            while i < effects.count {
                drop(.effect, id)
                i += 1
            }
        }
    }

    /// The instance's slot, nil when it is gone (or the id is not this runner's).
    @inlinable
    func slot(_ id: InstanceID) -> Slot? {
        let i = Int(id.raw) - 1
        return i >= 0 && i < slots.count ? slots[i] : nil
    }

    @usableFromInline
    func drop(_ kind: Drop, _ id: InstanceID) {
        switch kind {
        case .input: inputsDropped += 1
        case .effect: effectsDropped += 1
        }
        logger?.debug("Dropped an \(kind == .input ? "input" : "effect") for \(id), which has stopped.")
        onDrop?(id, kind)
    }
}

/// Holds a machine value so the runner's closure can mutate it in place.
private final class MachineBox<M: Machine> {
    var machine: M
    init(_ machine: M) { self.machine = machine }
}
