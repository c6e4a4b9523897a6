import ReactorCore

/// A sorted, immutable set of (OID, value) pairs: what the subagent serves until the next rebuild.
///
/// Lookups are binary searches; `next` implements the GetNext search of RFC 2741 7.2.3.1 and `bulk`
/// the GetBulk repetition of 7.2.3.2, so a walk sees one consistent snapshot.
public struct MIBSnapshot: Sendable {
    public let entries: [VarBind]
    /// Prefixes of objects that exist (scalars and table columns): a Get below one of them that finds
    /// no instance answers `noSuchInstance`, anything else `noSuchObject`.
    public let objects: [OID]

    /// `entries` must be sorted by name without duplicates (checked in debug builds).
    public init(entries: [VarBind], objects: [OID]) {
        assert(zip(entries, entries.dropFirst()).allSatisfy { $0.name < $1.name }, "MIB entries must be sorted")
        self.entries = entries
        self.objects = objects
    }

    /// The index of the first entry whose name is >= `oid` (> when `strictly`).
    private func lowerBound(_ oid: OID, strictly: Bool) -> Int {
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let name = entries[mid].name
            if name < oid || (strictly && name == oid) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Get: the exact instance, or why there is none.
    public func get(_ oid: OID) -> VarBind {
        let i = lowerBound(oid, strictly: false)
        if i < entries.count, entries[i].name == oid { return entries[i] }
        return VarBind(oid, objects.contains(where: { oid.hasPrefix($0) && oid != $0 }) ? .noSuchInstance : .noSuchObject)
    }

    /// GetNext for one search range: the first entry after `start` (or at it, when included) and before
    /// a non-null `end`; else `endOfMibView` named by the range's start.
    public func next(_ range: SearchRange) -> VarBind {
        let i = lowerBound(range.start, strictly: !range.include)
        if i < entries.count, range.end.isNull || entries[i].name < range.end { return entries[i] }
        return VarBind(range.start, .endOfMibView)
    }

    /// GetBulk: the first `nonRepeaters` ranges once, then up to `maxRepetitions` rounds over the rest,
    /// each continuing after the previous round's answer, at most `limit` varbinds in all. Stops early
    /// once every repeater has reached the end of the view.
    public func bulk(nonRepeaters: Int, maxRepetitions: Int, _ ranges: [SearchRange], limit: Int) -> [VarBind] {
        let split = min(max(nonRepeaters, 0), ranges.count)
        var out = ranges[..<split].map(next)
        var repeaters = Array(ranges[split...])
        guard !repeaters.isEmpty else { return out }
        for _ in 0..<max(maxRepetitions, 0) {
            guard out.count + repeaters.count <= limit else { break }
            let round = repeaters.map(next)
            out += round
            if round.allSatisfy({ $0.value == .endOfMibView }) { break }
            for (i, vb) in round.enumerated() where vb.value != .endOfMibView {
                repeaters[i] = SearchRange(start: vb.name, include: false, end: repeaters[i].end)
            }
        }
        return out
    }
}
