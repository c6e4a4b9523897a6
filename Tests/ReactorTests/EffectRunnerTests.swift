import Testing
@testable import ReactorCore

/// The one effect runner: FIFO order across instances, no re-entrancy, stopped instances.
@Suite struct EffectRunnerTests {
    enum Input: Equatable { case go(Int), failed(Int), stop }
    enum Effect: Equatable, MachineEffect {
        case spawn(Int), note(String), stopped
        var endsMachine: Bool { self == .stopped }
    }

    /// Spawns `n` and `n + 100` for `.go(n)`; notes failures; stops on `.stop` (with an effect after
    /// the last word that must not run).
    struct Recorder: Machine {
        var seen: [Input] = []
        mutating func handle(_ input: Input, now: Instant) -> [Effect] {
            seen.append(input)
            switch input {
            case .go(let n): return [.spawn(n), .spawn(n + 100)]
            case .failed(let n): return [.note("failed \(n)")]
            case .stop: return [.stopped, .note("after stop")]
            }
        }
    }

    /// A runner whose `perform` records effects and reports every spawn as failed at once, the
    /// situation where the old plugin host re-entered the machine mid-list.
    final class Harness {
        let runner = EffectRunner<Input, Effect>(clock: { Instant(nanoseconds: 7) })
        var performed: [(EffectRunner<Input, Effect>.InstanceID, Effect)] = []
        var drops: [EffectRunner<Input, Effect>.Drop] = []

        func add(failSpawns: Bool = true) -> EffectRunner<Input, Effect>.InstanceID {
            var id: EffectRunner<Input, Effect>.InstanceID!
            id = runner.add(Recorder()) { [unowned self] effect in
                self.performed.append((id, effect))
                if failSpawns, case .spawn(let n) = effect { self.runner.send(.failed(n), to: id) }
            }
            runner.onDrop = { [unowned self] _, kind in self.drops.append(kind) }
            return id
        }
        var effects: [Effect] { performed.map(\.1) }
    }

    @Test func inputsCausedByEffectsWaitForTheCurrentListToFinish() {
        let h = Harness()
        let a = h.add()
        h.runner.send(.go(1), to: a)
        // Both spawns run before either failure is handled; failures come in spawn order.
        #expect(h.effects == [.spawn(1), .spawn(101), .note("failed 1"), .note("failed 101")])
        #expect(!h.runner.isDraining)
    }

    @Test func inputsAcrossInstancesAreHandledInSendOrder() {
        let h = Harness()
        let a = h.add()
        let b = h.add()
        // While a's effects run, b gets an input; it is handled after a's queued failures.
        h.runner.send(.go(1), to: a)
        h.runner.send(.go(2), to: b)
        #expect(h.performed.map { $0.0 } == [a, a, a, a, b, b, b, b])
        #expect(h.effects.suffix(4) == [.spawn(2), .spawn(102), .note("failed 2"), .note("failed 102")])
    }

    @Test func effectsAfterTheLastWordAndLaterInputsAreDroppedAndCounted() {
        let h = Harness()
        let a = h.add()
        h.runner.send(.stop, to: a)
        #expect(h.effects == [.stopped])
        #expect(!h.runner.isRunning(a))
        h.runner.send(.go(3), to: a)
        #expect(h.effects == [.stopped])
        #expect(h.runner.droppedEffects == 1)
        #expect(h.runner.droppedInputs == 1)
        #expect(h.drops == [.effect, .input])
    }

    @Test func anInstanceRemovedByItsOwnEffectRunsNothingMore() {
        let h = Harness()
        var id: EffectRunner<Input, Effect>.InstanceID!
        id = h.runner.add(Recorder()) { [unowned h] effect in
            h.performed.append((id, effect))
            h.runner.remove(id)  // the owner drops it on the first effect
        }
        h.runner.send(.go(5), to: id)
        #expect(h.effects == [.spawn(5)])
        #expect(h.runner.droppedEffects == 1)
    }

    @Test func queuedInputsForAnInstanceStoppedMeanwhileAreDropped() {
        let h = Harness()
        let a = h.add(failSpawns: false)
        var b: EffectRunner<Input, Effect>.InstanceID!
        // b's first effect queues an input for a and then stops a: the queued input is dropped.
        b = h.runner.add(handle: { _, _ in [.note("b")] }) { [unowned h] _ in
            h.runner.send(.go(9), to: a)
            h.runner.send(.stop, to: a)
            h.runner.send(.go(10), to: a)
        }
        h.runner.send(.go(0), to: b)
        #expect(h.effects == [.spawn(9), .spawn(109), .stopped])
        #expect(h.runner.droppedInputs == 1)
        #expect(h.runner.droppedEffects == 1)
    }

    @Test func machinesSeeTheInjectedClock() {
        var seen: [Instant] = []
        var t = Instant(nanoseconds: 1)
        let runner = EffectRunner<Input, Effect>(clock: { t })
        let id = runner.add(handle: { _, now in seen.append(now); return [] }, perform: { _ in })
        runner.send(.go(0), to: id)
        t = Instant(nanoseconds: 42)
        runner.send(.go(0), to: id)
        #expect(seen == [Instant(nanoseconds: 1), Instant(nanoseconds: 42)])
    }

    /// A time passed by the sender is used when the input is handled at once, instead of the clock; an
    /// input that has to wait in the queue (sent by an effect) reads the clock at its turn.
    @Test func aTimeGivenBySenderIsUsedOnlyWhenHandledAtOnce() {
        var seen: [(Input, Instant)] = []
        var t = Instant(nanoseconds: 1)
        let runner = EffectRunner<Input, Effect>(clock: { t })
        var id: EffectRunner<Input, Effect>.InstanceID!
        id = runner.add(
            handle: { input, now in
                seen.append((input, now))
                if case .go(let n) = input { return [.spawn(n)] }
                return []
            },
            perform: { effect in
                // The effect moves the clock on and sends: that input waits for the list to finish.
                if case .spawn(let n) = effect {
                    t = Instant(nanoseconds: 50)
                    runner.send(.failed(n), to: id, at: Instant(nanoseconds: 99))
                }
            })
        runner.send(.go(3), to: id, at: Instant(nanoseconds: 20))
        #expect(seen.map(\.0) == [.go(3), .failed(3)])
        #expect(seen.map(\.1) == [Instant(nanoseconds: 20), Instant(nanoseconds: 50)])
    }
}
