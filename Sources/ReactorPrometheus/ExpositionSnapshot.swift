import ReactorCore

/// The DRBD section of the exposition for one World generation, evaluated but not yet written out.
///
/// Design note: with `enums = true` and 1000 resources the text is 8.5 MB, about 20 times what the
/// evaluated objects take (their label sets and values, see `ScopeTable`). So the cache keeps the
/// objects, not the text, and every plain response writes the text in chunks of ~96 KiB as the client's
/// socket takes them (`ExpositionStream`): a scrape costs one chunk of memory, not the whole body, and
/// the first bytes leave before the last are written. The snapshot is immutable, so a response that is
/// still being sent when the World changes goes on with the generation it started with, and any number
/// of clients stream from one snapshot. Its exact length is known up front (`byteCount`, from the same
/// writing code run over a counter), so responses keep their Content-Length.
public final class ExpositionSnapshot: Sendable {
    let layout: ExpositionLayout
    /// The length of the whole section in bytes.
    public let byteCount: Int

    init(_ layout: ExpositionLayout) {
        self.layout = layout
        var counter = ExpositionByteCounter()
        var cursor = ExpositionLayout.Cursor()
        _ = layout.write(from: &cursor, to: &counter, until: .max)
        byteCount = counter.count
    }
}

/// Evaluated scopes and the families to write for them, in output order: a prelude (already text), then
/// per scope its state family (if any) and each plain family. A family without objects is left out
/// entirely, as in the original.
struct ExpositionLayout: Sendable {
    let prelude: [UInt8]
    private var tables: [ScopeTable] = []
    private var parts: [Part] = []

    private enum Part: Sendable {
        /// One series per known state value for each object of a table.
        case state(table: Int, StateFamilyHeader)
        /// One series per object of a table: the family's value column in that table.
        case family(table: Int, column: Int, MetricFamily)
    }

    /// Where writing stopped: before the prelude, or at an object of a part.
    struct Cursor: Hashable, Sendable {
        var part = -1
        var object = 0
    }

    init(prelude: [UInt8]) { self.prelude = prelude }

    /// Adds a scope: its state family (if any), then its plain families.
    mutating func add<Object>(_ table: ScopeTable, state: StateFamilyHeader?, _ families: [ObjectFamily<Object>]) {
        guard table.count > 0 else { return }
        let t = tables.count
        tables.append(table)
        if let state { parts.append(.state(table: t, state)) }
        for (column, family) in families.enumerated() { parts.append(.family(table: t, column: column, family.family)) }
    }

    /// Writes from `cursor` on until `out` holds `limit` bytes or more (checked between objects; at
    /// least one object is written per call) or everything is written; advances `cursor` and returns
    /// whether everything is written. Every table has objects (see `add`).
    func write<Output: ExpositionOutput>(from cursor: inout Cursor, to out: inout Output, until limit: Int) -> Bool {
        if cursor.part < 0 {
            out.write(prelude)
            cursor = Cursor(part: 0, object: 0)
        }
        while cursor.part < parts.count {
            guard out.count < limit else { return false }
            var o = cursor.object
            switch parts[cursor.part] {
            case .family(let t, let column, let family):
                let table = tables[t]
                if o == 0 { out.header(family) }
                let name = family.nameBytes
                // At least one sample per call, so a header never ends a chunk (and is never repeated).
                repeat {
                    out.sample(name, labels: table.labels(o), table.value(o, column))
                    o += 1
                } while o < table.count && out.count < limit
                if o < table.count {
                    cursor.object = o
                    return false
                }
            case .state(let t, let state):
                let table = tables[t]
                if o == 0 { out.header(state.family) }
                repeat {
                    writeStates(of: o, in: table, state, to: &out)
                    o += 1
                } while o < table.count && out.count < limit
                if o < table.count {
                    cursor.object = o
                    return false
                }
            }
            cursor = Cursor(part: cursor.part + 1, object: 0)
        }
        return true
    }

    /// One series per known state value (1 for the current one, 0 otherwise); a value DRBD printed that
    /// we do not know gets its own series with 1, so the current state is never invisible.
    @inline(__always)
    private func writeStates<Output: ExpositionOutput>(
        of o: Int, in table: ScopeTable, _ state: StateFamilyHeader, to out: inout Output
    ) {
        let name = state.family.nameBytes
        let current = table.state(o)
        let labels = table.labels(o)
        for (k, label) in state.knownLabels.enumerated() {
            out.sample(name, labels: labels, extra: label, .bool(k == current.index))
        }
        if current.index == nil {
            out.sample(name, labels: labels, extra: ExpositionWriter.label(state.family.name, current.text), .unsigned(1))
        }
    }
}

/// A snapshot's text handed out in chunks, each starting where the previous one ended. A value: a copy
/// goes on from the same point independently of the original.
public struct ExpositionStream: Sequence, IteratorProtocol, Sendable {
    /// Chunks stop growing past this size (at the next object boundary). Below glibc's mmap threshold
    /// (see `Allocator`), so chunks come from and go back to the heap without a syscall or page faults.
    public static let chunkBytes = 96 * 1024

    public let snapshot: ExpositionSnapshot
    private var cursor = ExpositionLayout.Cursor()
    private var finished = false

    public init(_ snapshot: ExpositionSnapshot) { self.snapshot = snapshot }

    /// The next chunk, or nil when everything has been handed out.
    public mutating func next() -> [UInt8]? { next(limit: Self.chunkBytes) }

    /// The next chunk of about `limit` bytes (tests cut the text at every object with a tiny limit).
    mutating func next(limit: Int) -> [UInt8]? {
        guard !finished else { return nil }
        // Room for one more object's lines past the soft limit, so the buffer is allocated only once.
        var w = ExpositionWriter(capacity: Swift.min(limit, Self.chunkBytes) + 8 * 1024)
        finished = snapshot.layout.write(from: &cursor, to: &w, until: limit)
        return w.bytes.isEmpty ? nil : w.bytes
    }

    /// All the remaining text in one buffer.
    public var joined: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(snapshot.byteCount)
        var rest = self
        while let chunk = rest.next() { out += chunk }
        return out
    }
}
