/// A D-Bus value as a bus connection reads it (sd-bus's `SystemdBus`, or the virtual bus's plain values):
/// the basic types the daemon uses, and containers as lists (a dictionary `a{sv}` is an array of
/// two-element structures). Plain Swift, so what systemd's messages mean is decided and tested above the
/// System layer, the same for both backends.
public indirect enum BusValue: Hashable, Sendable {
    /// `s`, `o` (object path) and `g` (signature).
    case string(String)
    /// Any integer type, as its unsigned bit pattern.
    case integer(UInt64)
    case bool(Bool)
    /// `a`: the elements.
    case array([BusValue])
    /// `v`: the value inside.
    case variant(BusValue)
    /// `(...)` and dictionary entries `{...}`: the members.
    case structure([BusValue])
    /// A type the daemon has no use for (doubles, file descriptors): skipped.
    case unsupported

    /// The string, if this is one (through a variant).
    public var string: String? {
        switch self {
        case .string(let s): s
        case .variant(let v): v.string
        default: nil
        }
    }

    /// An `a{sv}` (or `a{ss}`) as key -> value; other shapes give an empty dictionary.
    public var dictionary: [String: BusValue] {
        guard case .array(let entries) = self else { return [:] }
        var d: [String: BusValue] = [:]
        for case .structure(let kv) in entries where kv.count == 2 {
            if let key = kv[0].string { d[key] = kv[1] }
        }
        return d
    }
}
