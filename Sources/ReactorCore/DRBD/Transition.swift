/// What applying one record did to one stored object, and how that becomes a plugin update.
///
/// Every object kind goes through the same step, `KeyedStorage.transition`: it creates, updates or removes
/// the entry and compares the reported state (`ReportedState.swift`) before and after. Keeping it generic
/// is what keeps `World` free of one copy of this logic per kind. Only the small reported state is
/// taken before and after an update, never a copy of the whole stored object: most lines change
/// statistics only, and copying an object (its strings, a resource's nested dictionaries) per line was
/// a large part of the cost of applying it.

/// The result of applying a record to one resource's subtree.
struct Outcome {
    /// Something in the World changed (bumps `generation`).
    var stored = false
    /// The update for change plugins, if the reported state changed.
    var kind: UpdateKind?
    /// The record named a parent (connection) that does not exist; nothing was invented.
    var orphan = false

    static let orphaned = Outcome(orphan: true)
}

/// What `transition` needs of the map holding the objects: the top-level `Dictionary` of resources
/// and the `SmallMap`s below a resource.
protocol KeyedStorage<Key, Value> {
    associatedtype Key
    associatedtype Value
    associatedtype Index
    func index(forKey key: Key) -> Index?
    /// The value at a position `index(forKey:)` returned, changed in place.
    subscript(valueAt position: Index) -> Value { get set }
    @discardableResult mutating func removeValue(forKey key: Key) -> Value?
    @discardableResult mutating func updateValue(_ value: Value, forKey key: Key) -> Value?
}

extension SmallMap: KeyedStorage {}

extension Dictionary: KeyedStorage {
    subscript(valueAt position: Index) -> Value {
        get { values[position] }
        _modify { yield &values[position] }
    }
}

extension KeyedStorage {
    /// Applies a record to the entry at `key`: destroy removes it (an unknown key is left alone and yields
    /// nothing: nothing is invented), anything else updates it in place or creates it from `make()`.
    /// Something is stored when an entry is created, removed or `apply` reports a change; an update
    /// for change plugins (`kind(old, new)` of the `reported` states, `empty` standing for a missing
    /// entry) comes for every creation and removal, and for an update only when the reported state differs.
    mutating func transition<S: Equatable>(
        _ key: Key, destroy: Bool, make: () -> Value, apply: (inout Value) -> Bool,
        reported: (Value) -> S, empty: S, kind: (S, S) -> UpdateKind
    ) -> Outcome {
        if destroy {
            guard let gone = removeValue(forKey: key) else { return Outcome() }
            return Outcome(stored: true, kind: kind(reported(gone), empty))
        }
        guard let i = index(forKey: key) else {
            var value = make()
            _ = apply(&value)
            let new = reported(value)
            updateValue(value, forKey: key)
            return Outcome(stored: true, kind: kind(empty, new))
        }
        let old = reported(self[valueAt: i])
        guard apply(&self[valueAt: i]) else { return Outcome() }
        let new = reported(self[valueAt: i])
        return Outcome(stored: true, kind: old == new ? nil : kind(old, new))
    }
}
