/// A systemd unit as systemd reads it: the fragment, then its drop-ins in file-name order, with
/// `Key=` (empty) resetting a list and `%i`/`%I` expanded. Only what the lab's units use is understood
/// (dependency lists, `Exec*` command lines, `Type=`, `RemainAfterExit=`, timeouts, failure actions);
/// everything else is kept as text and ignored.
public struct UnitDefinition: Sendable {
    public let name: String
    /// Every assignment that survived resets, by key (`Requires`, `ExecStop`, ...), in order.
    public private(set) var values: [String: [String]] = [:]

    init(name: String) { self.name = name }

    /// Applies one file (fragment or drop-in) on top of what was read before.
    mutating func apply(_ text: String, instance: String?) {
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(raw).trimmingBlanks
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix(";"), !line.hasPrefix("["),
                let eq = line.firstIndex(of: "=")
            else { continue }
            let key = String(line[..<eq]).trimmingBlanks
            let value = Self.expand(String(line[line.index(after: eq)...]).trimmingBlanks, instance: instance)
            if value.isEmpty { values[key] = [] } else { values[key, default: []].append(value) }
        }
    }

    /// `%i` is the instance as written in the unit name, `%I` unescaped (`\xHH`); `%N` and others stay.
    static func expand(_ value: String, instance: String?) -> String {
        guard let instance, value.contains("%") else { return value }
        return value.replacingAll("%i", with: instance).replacingAll("%I", with: unescape(instance))
    }

    static func unescape(_ s: String) -> String {
        var out = "", chars = Array(s), i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 3 < chars.count, chars[i + 1] == "x", let v = UInt8(String(chars[(i + 2)...(i + 3)]), radix: 16) {
                out.append(Character(Unicode.Scalar(v)))
                i += 4
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    /// The units a dependency directive names (several per line, several lines).
    public func units(_ key: String) -> [String] {
        (values[key] ?? []).flatMap { $0.split(separator: " ").map(String.init) }
    }

    /// The last value of a single-valued key.
    public func value(_ key: String) -> String? { values[key]?.last }

    /// The command lines of an `Exec*` key, each split into words, without the `-` and `@` prefixes.
    public func commands(_ key: String) -> [(argv: [String], ignoreFailure: Bool)] {
        (values[key] ?? []).map { line in
            var words = line.split(separator: " ").map(String.init)
            var ignore = false
            if let first = words.first, first.hasPrefix("-") {
                ignore = true
                words[0] = String(first.dropFirst())
            }
            return (words, ignore)
        }
    }

    public var isTarget: Bool { name.hasSuffix(".target") }

    /// Requires/Wants/BindsTo/Requisite: what a start pulls in (targets order after them by default).
    public var pulled: [String] { units("Requires") + units("Wants") + units("BindsTo") + units("Requisite") }

    /// What this unit is ordered after: `After=` plus, for a target, the units it pulls in (systemd's
    /// default dependencies of targets).
    public var after: [String] { units("After") + (isTarget && value("DefaultDependencies") != "no" ? pulled : []) }
}

/// Reads unit definitions out of a node's file system (a path -> text map) the way systemd searches:
/// the fragment from /etc, /run or /usr/lib (an instance falls back to its template), then the drop-in
/// directories of the unit and of its template, `*.conf` in file-name order.
public enum UnitLoader {
    public static let searchPath = ["/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system"]

    /// nil when no fragment exists (systemd: "Unit ... not found").
    public static func load(_ name: String, files: [String: String]) -> UnitDefinition? {
        let (template, instance) = split(name)
        var fragment: String?
        for dir in searchPath {
            if let t = files[dir + "/" + name] { fragment = t; break }
            if let template, let t = files[dir + "/" + template] { fragment = t; break }
        }
        guard let fragment else { return nil }
        var def = UnitDefinition(name: name)
        def.apply(fragment, instance: instance)
        var dropIns: [(String, String)] = []
        for dir in searchPath {
            for unit in [template, name].compactMap({ $0 }) {
                let prefix = dir + "/" + unit + ".d/"
                for (path, text) in files where path.hasPrefix(prefix) && path.hasSuffix(".conf") {
                    dropIns.append((String(path.dropFirst(prefix.count)), text))
                }
            }
        }
        for (_, text) in dropIns.sorted(by: { $0.0 < $1.0 }) { def.apply(text, instance: instance) }
        return def
    }

    /// `a@b.service` -> (`a@.service`, `b`); a plain unit has no template.
    static func split(_ name: String) -> (template: String?, instance: String?) {
        guard let at = name.firstIndex(of: "@"), let dot = name.lastIndex(of: "."), at < dot else { return (nil, nil) }
        let instance = String(name[name.index(after: at)..<dot])
        guard !instance.isEmpty else { return (nil, nil) }
        return (String(name[...at]) + String(name[dot...]), instance)
    }
}

extension String {
    func replacingAll(_ needle: String, with replacement: String) -> String {
        guard !needle.isEmpty else { return self }
        var out = "", rest = Substring(self)
        while let r = rest.range(of: needle) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    /// The first occurrence of `needle` (no Foundation here).
    func range(of needle: String) -> Range<Index>? {
        let n = Array(needle)
        var i = startIndex
        while i < endIndex {
            var j = i, k = 0
            while k < n.count, j < endIndex, self[j] == n[k] {
                j = index(after: j)
                k += 1
            }
            if k == n.count { return i..<j }
            i = index(after: i)
        }
        return nil
    }
}
