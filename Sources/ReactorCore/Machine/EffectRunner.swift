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
///   test's virtual) time.
///
/// The runner owns no loop sources; whoever registers an instance carries out its effects in
/// `perform` and sends the inputs the loop produces back through `send`, naming the instance by its
/// `InstanceID` (a value: a late loop callback for a gone instance is simply dropped).
public final class EffectRunner<Input, Effect: MachineEffect> {
    /// Names one registered instance; never reused within a runner.
    public struct InstanceID: Hashable, Sendable, CustomStringConvertible {
        public let raw: UInt64
        public var description: String { "instance \(raw)" }
    }

    /// Why an input or effect was not carried out (for the log).
    public enum Drop: Equatable, Sendable {
        /// An input for an instance that has stopped or was removed.
        case input
        /// An effect a machine returned after its last word.
        case effect
    }

    private struct Slot {
        let handle: (Input, Instant) -> [Effect]
        let perform: (Effect) -> Void
    }

    private let clock: () -> Instant
    private let logger: Logger?
    private var slots: [InstanceID: Slot] = [:]
    private var nextID: UInt64 = 0
    private var queue: [(InstanceID, Input)] = []
    private var head = 0
    private var draining = false

    /// Inputs dropped because their instance had stopped or was removed.
    public private(set) var droppedInputs: UInt64 = 0
    /// Effects dropped because the machine had already returned its last word.
    public private(set) var droppedEffects: UInt64 = 0
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
        let id = InstanceID(raw: nextID)
        slots[id] = Slot(handle: handle, perform: perform)
        return id
    }

    /// Registers a machine value the runner keeps: `perform` carries out one effect.
    public func add<M: Machine>(_ machine: M, perform: @escaping (Effect) -> Void) -> InstanceID
    where M.Input == Input, M.Effect == Effect {
        let box = MachineBox(machine)
        return add(handle: { box.machine.handle($0, now: $1) }, perform: perform)
    }

    /// Whether `id` is registered and has not stopped.
    public func isRunning(_ id: InstanceID) -> Bool { slots[id] != nil }

    /// Forgets an instance: its queued and later inputs are dropped.
    public func remove(_ id: InstanceID) { slots[id] = nil }

    /// Whether an input is being handled right now (its effects are being carried out).
    public var isDraining: Bool { draining }

    /// Queues `input` for `id`; handles the queue now unless a drain is already running.
    public func send(_ input: Input, to id: InstanceID) {
        queue.append((id, input))
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while head < queue.count {
            let (target, next) = queue[head]
            head += 1
            run(next, for: target)
        }
        queue.removeAll(keepingCapacity: true)
        head = 0
    }

    private func run(_ input: Input, for id: InstanceID) {
        guard let slot = slots[id] else {
            drop(.input, id)
            return
        }
        let effects = slot.handle(input, clock())
        for (i, effect) in effects.enumerated() {
            // An earlier effect may have removed the instance (its owner stopped it).
            guard slots[id] != nil else {
                for _ in i..<effects.count { drop(.effect, id) }
                return
            }
            slot.perform(effect)
            if effect.endsMachine {
                slots[id] = nil
                for _ in (i + 1)..<effects.count { drop(.effect, id) }
                return
            }
        }
    }

    private func drop(_ kind: Drop, _ id: InstanceID) {
        switch kind {
        case .input: droppedInputs += 1
        case .effect: droppedEffects += 1
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
