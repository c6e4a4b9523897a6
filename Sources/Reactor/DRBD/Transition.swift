/// What applying one record did to one stored object, and how that becomes a plugin update.
///
/// Every object kind goes through the same two steps: `Dictionary.transition` creates, updates or
/// removes the entry, then `Transition.outcome` compares the reported state (`ReportedState.swift`)
/// before and after. Keeping both generic is what keeps `World` free of one copy of this logic per kind.
enum Transition<Value> {
    case unchanged
    case created(Value)
    case updated(old: Value, new: Value)
    case removed(Value)

    /// Whether anything stored changed (statistics included), and the update kind for change plugins:
    /// always for created and removed objects, for updates only when the reported state differs.
    func outcome<S: Equatable>(
        _ reported: (Value) -> S, empty: S, _ kind: (S, S) -> UpdateKind
    ) -> Outcome {
        switch self {
        case .unchanged: return Outcome()
        case .created(let v): return Outcome(stored: true, kind: kind(empty, reported(v)))
        case .removed(let v): return Outcome(stored: true, kind: kind(reported(v), empty))
        case .updated(let old, let new):
            let (a, b) = (reported(old), reported(new))
            return Outcome(stored: true, kind: a == b ? nil : kind(a, b))
        }
    }
}

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

extension Dictionary {
    /// Applies a record to the entry at `key`: destroy removes it (an unknown key is left alone and yields
    /// `.unchanged`: nothing is invented), anything else updates it in place or creates it from `make()`.
    mutating func transition(
        _ key: Key, destroy: Bool, make: () -> Value, apply: (inout Value) -> Bool
    ) -> Transition<Value> {
        if destroy {
            return removeValue(forKey: key).map { .removed($0) } ?? .unchanged
        }
        guard let i = index(forKey: key) else {
            var value = make()
            _ = apply(&value)
            self[key] = value
            return .created(value)
        }
        let old = values[i]
        guard apply(&values[i]) else { return .unchanged }
        return .updated(old: old, new: values[i])
    }
}
