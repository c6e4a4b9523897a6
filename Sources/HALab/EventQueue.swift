import ReactorLoop

/// The lab's own schedule: faults, the systemd models' work and node boots, by time (on the loop's own
/// `Heap`); the daemons' timers and children live on their `VirtualBackend`s, and `Simulation.run` jumps
/// to the earliest of all of them. Nothing sleeps, and actions at the same instant run in the order
/// they were scheduled, so a run is a pure function of its seed.
struct EventQueue {
    private struct Entry: Comparable {
        var time: Duration
        var seq: UInt64
        var action: () -> Void
        static func < (a: Entry, b: Entry) -> Bool { a.time < b.time || (a.time == b.time && a.seq < b.seq) }
        static func == (a: Entry, b: Entry) -> Bool { a.time == b.time && a.seq == b.seq }
    }

    private var heap = Heap<Entry>()
    private var seq: UInt64 = 0

    var nextTime: Duration? { heap.min?.time }

    mutating func schedule(at time: Duration, _ action: @escaping () -> Void) {
        seq += 1
        heap.insert(Entry(time: time, seq: seq, action: action))
    }

    /// The earliest action and its time.
    mutating func pop() -> (Duration, () -> Void)? {
        heap.popMin().map { ($0.time, $0.action) }
    }
}
