/// A map for a handful of entries: (key, value) pairs in one array, sorted by key.
///
/// Why not `Dictionary`: every model object below a resource holds a few children (two volumes, two
/// peers, one path), and a `Dictionary` of two entries is a hash table of four buckets with its own
/// header, so at 1000 resources the per-object dictionaries were most of the World's heap. One array of
/// pairs is a single allocation of exactly the entries; a lookup is a binary search over two or three
/// keys, as fast as hashing them. The order is by key, so iteration is already the order renderers
/// and announcements want.
///
/// The API is the part of `Dictionary` the model uses (subscript by key, `index(forKey:)`,
/// `removeValue(forKey:)`, `keys`, `values`), plus `subscript(valueAt:)` to change a value in place
/// without a second search. Inserting or removing is linear in the count: meant for small maps only.
public struct SmallMap<Key: Comparable, Value> {
    /// The entries, strictly ascending by key.
    private var entries: [(key: Key, value: Value)] = []

    public init() {}

    /// The number of entries.
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// A position of an entry, as `index(forKey:)` found it; valid until the map is next changed.
    public struct Index: Hashable, Sendable {
        fileprivate var offset: Int
    }

    /// The position of `key`, or where it would be inserted, and whether it is there.
    @inline(__always)
    private func search(_ key: Key) -> (position: Int, found: Bool) {
        // Entries mostly arrive in ascending order (DRBD prints volumes and peers by id).
        if let last = entries.last, last.key < key { return (entries.count, false) }
        var low = 0, high = entries.count
        while low < high {
            let mid = (low &+ high) >> 1
            if entries[mid].key < key { low = mid &+ 1 } else { high = mid }
        }
        return (low, low < entries.count && entries[low].key == key)
    }

    /// The position of `key`, for `subscript(valueAt:)`; nil when it is absent.
    public func index(forKey key: Key) -> Index? {
        let (position, found) = search(key)
        return found ? Index(offset: position) : nil
    }

    /// The value at a position `index(forKey:)` returned, read or changed in place.
    public subscript(valueAt position: Index) -> Value {
        get { entries[position.offset].value }
        _modify { yield &entries[position.offset].value }
    }

    /// The value for `key`; assigning nil removes the entry. Changing the value through this subscript
    /// (`map[k]?.field = x`) moves it out and back, so a value holding storage of its own is not copied.
    public subscript(key: Key) -> Value? {
        get {
            let (position, found) = search(key)
            return found ? entries[position].value : nil
        }
        _modify {
            let (position, found) = search(key)
            var value = found ? entries.remove(at: position).value : nil
            defer { if let value { entries.insert((key, value), at: position) } }
            yield &value
        }
    }

    /// The value for `key`, or `defaultValue` stored under it first when changed (`map[k, default: x].f = y`).
    public subscript(key: Key, default defaultValue: @autoclosure () -> Value) -> Value {
        get { self[key] ?? defaultValue() }
        _modify {
            let (position, found) = search(key)
            if !found { entries.insert((key, defaultValue()), at: position) }
            yield &entries[position].value
        }
    }

    /// Removes the entry for `key`; returns its value, or nil when there was none.
    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        let (position, found) = search(key)
        return found ? entries.remove(at: position).value : nil
    }

    /// Stores `value` under `key`; returns the value it replaced, or nil when the key is new.
    @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: Key) -> Value? {
        let (position, found) = search(key)
        guard found else {
            entries.insert((key, value), at: position)
            return nil
        }
        defer { entries[position].value = value }
        return entries[position].value
    }

    /// The keys, ascending.
    public var keys: LazyMapCollection<[(key: Key, value: Value)], Key> { entries.lazy.map(\.key) }
    /// The values, in the order of their keys.
    public var values: LazyMapCollection<[(key: Key, value: Value)], Value> { entries.lazy.map(\.value) }
}

/// A `Sequence`, not a `Collection`: with integer keys, a collection's integer positions would make
/// `devices[0]` ambiguous (position or volume 0); `Dictionary` avoids that with an opaque index.
extension SmallMap: Sequence {
    public typealias Element = (key: Key, value: Value)
    public func makeIterator() -> IndexingIterator<[Element]> { entries.makeIterator() }
    public var underestimatedCount: Int { entries.count }
}

extension SmallMap: ExpressibleByDictionaryLiteral {
    /// A map of the literal's pairs; a repeated key keeps the last value.
    public init(dictionaryLiteral elements: (Key, Value)...) {
        for (key, value) in elements { updateValue(value, forKey: key) }
    }
}

extension SmallMap: Equatable where Value: Equatable {
    public static func == (a: SmallMap, b: SmallMap) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// The order of the entries is canonical (by key), so hashing them in order is consistent with `==`.
extension SmallMap: Hashable where Key: Hashable, Value: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for (key, value) in entries {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}

extension SmallMap: Sendable where Key: Sendable, Value: Sendable {}

extension SmallMap: CustomStringConvertible {
    /// Like a dictionary literal: `[0: a, 1: b]`.
    public var description: String {
        entries.isEmpty ? "[:]" : "[" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }
}
