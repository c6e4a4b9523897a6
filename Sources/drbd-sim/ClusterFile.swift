/// Reads a cluster from TOML: the `[[node]]` and `[[resource]]` tables (a whole scenario file may be
/// given; other tables are ignored).
import DRBDSim
import TOMLKit

enum ClusterFile {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ text: String) throws -> ClusterSpec {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch { throw Invalid(description: "not valid TOML: \(error)") }
        var nodes: [NodeSpec] = []
        for (index, value) in (table["node"]?.array ?? TOMLArray()).enumerated() {
            guard let node = value.table, let name = node["name"]?.string else {
                throw Invalid(description: "[[node]] #\(index + 1) needs a name")
            }
            nodes.append(NodeSpec(name: name, id: node["id"]?.int ?? index))
        }
        guard !nodes.isEmpty else { throw Invalid(description: "no [[node]] tables") }
        var resources: [ResourceSpec] = []
        for (index, value) in (table["resource"]?.array ?? TOMLArray()).enumerated() {
            guard let res = value.table, let name = res["name"]?.string else {
                throw Invalid(description: "[[resource]] #\(index + 1) needs a name")
            }
            var spec = ResourceSpec(name: name)
            spec.volumes = res["volumes"]?.int ?? 1
            spec.firstMinor = res["minor"]?.int ?? index * 10
            spec.disklessNodes = Set((res["diskless"]?.array ?? TOMLArray()).compactMap { $0.string })
            if let quorum = res["quorum"]?.string {
                guard let q = QuorumSetting(rawValue: quorum) else { throw Invalid(description: "\(name): quorum '\(quorum)'") }
                spec.quorum = q
            }
            if let onNoQuorum = res["on-no-quorum"]?.string {
                guard let q = OnNoQuorum(rawValue: onNoQuorum) else {
                    throw Invalid(description: "\(name): on-no-quorum '\(onNoQuorum)'")
                }
                spec.onNoQuorum = q
            }
            if let seconds = res["resync-seconds"]?.double ?? res["resync-seconds"]?.int.map(Double.init) {
                spec.resyncDuration = .milliseconds(Int64(seconds * 1000))
            }
            resources.append(spec)
        }
        return ClusterSpec(nodes: nodes, resources: resources)
    }
}
