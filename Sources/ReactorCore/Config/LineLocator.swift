/// Finds the line on which a key path was written, so that semantic config errors (an unknown key, a
/// wrong type) can name a line, which the TOML parser only reports for syntax errors.
///
/// It scans the text once and records, for every `[table]`, `[[array]]` header and `key =` line, the
/// key path in the same spelling `TableReader` uses (`umh[0].resource[1].old.role`). Multi-line values
/// are not understood; a path it cannot find is looked up by its longest known prefix.
public struct LineLocator: Sendable {
    private var lines: [String: Int] = [:]

    public init(text: String) {
        var arrayCounts: [String: Int] = [:]  // "umh[0].resource" -> next index
        var current = ""
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("[[") {
                let inner = line.dropFirst(2)
                guard let end = inner.firstIndex(of: "]") else { continue }
                let name = Self.normalize(inner[..<end])
                // The prefix refers to existing arrays' latest elements; the last part is the array itself.
                let parts = name.split(separator: ".")
                let prefix = Self.resolve(parts.dropLast().joined(separator: "."), arrayCounts: arrayCounts)
                let parent = prefix.isEmpty ? String(parts.last ?? "") : "\(prefix).\(parts.last ?? "")"
                let index = arrayCounts[parent, default: 0]
                arrayCounts[parent] = index + 1
                current = "\(parent)[\(index)]"
                record(parent, lineNumber)  // the array itself, for errors about it as a whole
                record(current, lineNumber)
            } else if line.hasPrefix("[") {
                guard let end = line.firstIndex(of: "]") else { continue }
                let name = Self.normalize(line[line.index(after: line.startIndex)..<end])
                current = Self.resolve(name, arrayCounts: arrayCounts)
                record(current, lineNumber)
            } else if let eq = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = Self.normalize(line[..<eq])
                guard !key.isEmpty else { continue }
                record(current.isEmpty ? key : "\(current).\(key)", lineNumber)
            }
        }
    }

    private mutating func record(_ path: String, _ line: Int) {
        if lines[path] == nil { lines[path] = line }
    }

    /// `umh.resource` inside the second `[[umh]]` becomes `umh[1].resource`: each prefix that is an
    /// array of tables refers to its latest element.
    private static func resolve(_ dotted: String, arrayCounts: [String: Int]) -> String {
        var path = ""
        for part in dotted.split(separator: ".") {
            path = path.isEmpty ? String(part) : "\(path).\(part)"
            if let count = arrayCounts[path], count > 0 { path += "[\(count - 1)]" }
        }
        return path
    }

    private static func normalize(_ s: Substring) -> String {
        s.split(separator: ".").map {
            $0.trimmingCharacters(in: [" ", "\t", "\"", "'"])
        }.joined(separator: ".")
    }

    /// The line of `path`, or of its longest recorded prefix.
    public func line(of path: String) -> Int? {
        var p = Substring(path)
        while !p.isEmpty {
            if let l = lines[String(p)] { return l }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            p = p[..<cut]
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
