import Logging
import ReactorCore
import ReactorPromoter

/// The lines of the control socket (JSON, one object per line), built from pure inputs so they are
/// unit tested: the status snapshot, a DRBD state change, a promoter decision.
public enum ControlMessages {
    /// `{"type":"status",...}`: this node, its maintenance, and per promoter resource whether it runs
    /// here and if not why (`PromoterWhy`).
    /// `wallSeconds` is the wall clock now (seconds since the epoch), for when the last failure was.
    public static func status(
        nodeName: String, maintenance: PromoterMaintenance, world: World, reports: [PromoterResourceReport], wallSeconds: Int64
    ) -> JSONText {
        .object([
            ("type", .string("status")), ("node", .string(nodeName)),
            ("maintenance", .object([("node", .bool(maintenance.node)), ("resources", .array(maintenance.resources.sorted().map(JSONText.string)))])),
            ("promoter", .array(reports.map { promoter($0, drbd: world.resources[$0.resource], nodeName: nodeName, wallSeconds: wallSeconds) })),
        ])
    }

    static func promoter(_ r: PromoterResourceReport, drbd: Resource?, nodeName: String, wallSeconds: Int64) -> JSONText {
        let answer = PromoterWhy.explain(r, drbd: drbd, nodeName: nodeName)
        return .object([
            ("resource", .string(r.resource)), ("here", .bool(answer.here)), ("primary_on", answer.primaryOn.map(JSONText.string) ?? .null),
            ("why_not", answer.whyNot.map(JSONText.string) ?? .null), ("maintenance", .bool(r.maintenance)),
            ("may_promote", .bool(r.mayPromote)), ("busy", .bool(r.busy)),
            ("delay_left_s", r.delayLeft.map { .number(PromoterWhy.seconds($0)) } ?? .null),
            ("last_failure", r.lastFailure.map(JSONText.string) ?? .null),
            ("last_failure_ago_s", r.lastFailureAgo.map { .number($0.nanosecondsClamped / 1_000_000_000) } ?? .null),
            ("last_failure_at", r.lastFailureAgo.map { .number(wallSeconds - $0.nanosecondsClamped / 1_000_000_000) } ?? .null),
        ] + bus(r.bus))
    }

    /// What systemd reported over the bus: job results and unit failures as `{name: count}`, the last
    /// failure (`drbd-promote@r0.service: exit-code`) and the repairs started.
    static func bus(_ c: PromoterBusCounters) -> [(String, JSONText)] {
        func counts(_ d: [String: UInt64]) -> JSONText { .object(d.sorted { $0.key < $1.key }.map { ($0.key, .number(Int64(clamping: $0.value))) }) }
        return [
            ("job_results", counts(c.jobResults)), ("unit_failures", counts(c.unitFailures)),
            ("last_unit_failure", c.lastUnitFailure.map(JSONText.string) ?? .null), ("restarts", .number(Int64(clamping: c.restarts))),
        ]
    }

    /// `{"type":"state",...}` for a change of a resource's role or may_promote, a device's disk or
    /// quorum, a peer's connection or role; nil for the rest (statistics, paths, peer devices).
    public static func state(_ u: StateUpdate) -> JSONText? {
        var fields: [(String, JSONText)] = [("type", .string("state")), ("event", .string(u.eventType.rawValue.lowercased())), ("resource", .string(u.resourceName))]
        switch u.kind {
        case .resource(let old, let new):
            guard u.eventType != .change || old.role != new.role || old.mayPromote != new.mayPromote else { return nil }
            fields += [("object", .string("resource")), ("role", .string(new.role.description)), ("may_promote", .bool(new.mayPromote))]
        case .device(let volume, let old, let new):
            guard u.eventType != .change || old.diskState != new.diskState || old.quorum != new.quorum else { return nil }
            fields += [("object", .string("device")), ("volume", .number(Int64(volume))), ("disk", .string(new.diskState.description)), ("quorum", .bool(new.quorum))]
        case .connection(_, let old, let new):
            guard u.eventType != .change || old.connectionState != new.connectionState || old.peerRole != new.peerRole else { return nil }
            fields += [("object", .string("connection")), ("peer", .string(new.connectionName)),
                       ("connection", .string(new.connectionState.description)), ("peer_role", .string(new.peerRole.description))]
        case .peerDevice, .path:
            return nil
        }
        return .object(fields)
    }

    /// `{"type":"promoter",...}`: a decision the promoter logged for a resource.
    public static func decision(level: Logger.Level, message: String, resource: String) -> JSONText {
        .object([("type", .string("promoter")), ("resource", .string(resource)), ("level", .string(level.rawValue)), ("message", .string(message))])
    }

    /// The answer to a request line: `{"command":"status"}`, `{"command":"watch"}` (the status, then
    /// every change as it happens) or `{"command":"maintenance"}` (re-read the maintenance state).
    public enum Request: Hashable, Sendable {
        case status, watch, maintenance
        case invalid(String)

        public static func parse(_ line: String) -> Request {
            guard let value = try? JSONValue.parse(line), let command = value["command"]?.string else {
                return .invalid("expected a JSON object with a \"command\"")
            }
            switch command {
            case "status": return .status
            case "watch": return .watch
            case "maintenance": return .maintenance
            default: return .invalid("unknown command '\(command)' (status, watch, maintenance)")
            }
        }
    }

    public static func error(_ message: String) -> JSONText { .object([("type", .string("error")), ("message", .string(message))]) }
}
