import ReactorCore

/// The LINBIT-DRBD-MIB view of the World, as 1.x serves it under
/// `enterprises.linbit` (`1.3.6.1.4.1.23302`):
///
/// - `.1.1.1` module version and `.1.1.2` utils version (OctetString), without the `.0` instance
///   suffix SNMP scalars usually have: existing monitoring configs ask for exactly these OIDs.
/// - `.1.2.1.<column>.<minor>`: one row per local DRBD device, indexed by minor; columns 1-23 describe
///   the device and its resource, 24-49 count its peers by disk and replication state (only with
///   `peer-states`).
public enum DRBDMIB {
    /// `enterprises.linbit`: the subtree the subagent registers.
    public static let root: OID = [1, 3, 6, 1, 4, 1, 23302]
    public static let moduleVersion = root.appending(1, 1, 1)
    public static let utilsVersion = root.appending(1, 1, 2)
    /// `drbdEntry`: `.<column>.<minor>` below it.
    public static let entry = root.appending(1, 2, 1)
    /// The last device column (23: Blocked) and the last peer column (49: PeerReplBehind).
    public static let deviceColumns: ClosedRange<UInt32> = 1...23
    public static let peerColumns: ClosedRange<UInt32> = 24...49

    /// The snapshot of `resources`: every device row, in OID order.
    public static func snapshot(resources: [String: Resource], versions: DRBDVersions, peerStates: Bool) -> MIBSnapshot {
        let rows = resources.values.flatMap { r in r.devices.values.map { DeviceRow(resource: r, device: $0, peerStates: peerStates) } }
            .sorted { $0.minor < $1.minor }
        var entries = [VarBind(moduleVersion, .string(versions.kmod)), VarBind(utilsVersion, .string(versions.utils))]
        let columns = peerStates ? deviceColumns.lowerBound...peerColumns.upperBound : deviceColumns
        for column in columns {
            var previous: UInt32?
            for row in rows where row.minor != previous {  // two devices claiming one minor: keep the first
                previous = row.minor
                entries.append(VarBind(entry.appending(column, row.minor), row.value(column)))
            }
        }
        let objects = [moduleVersion, utilsVersion] + columns.map { entry.appending($0) }
        return MIBSnapshot(entries: entries, objects: objects)
    }

    /// `Size` and `SizeUnits` for a size in KiB, hrStorage style: units of 1024 bytes, scaled by 1024
    /// until the count fits a Gauge32 (or the unit would not fit one any more, then the count is capped).
    public static func scaledSize(kib: UInt64) -> (size: UInt32, units: UInt32) {
        var size = kib, units: UInt64 = 1024
        while size > UInt64(UInt32.max), units <= UInt64(UInt32.max) / 1024 {
            size /= 1024
            units *= 1024
        }
        return (UInt32(min(size, UInt64(UInt32.max))), UInt32(units))
    }

    /// A counter capped to a Gauge32.
    static func gauge(_ v: UInt64) -> AgentXValue { .gauge32(UInt32(min(v, UInt64(UInt32.max)))) }
}

/// One row of the device table: a local device, its resource, and (with `peer-states`) how many of its
/// peers are in each disk and replication state.
struct DeviceRow {
    let resource: Resource
    let device: Device
    let minor: UInt32
    var peers = 0
    var peerDisks: [DiskState: Int] = [:]
    var peerReplication: [ReplicationState: Int] = [:]

    init(resource: Resource, device: Device, peerStates: Bool) {
        self.resource = resource
        self.device = device
        minor = UInt32(clamping: device.minor)
        guard peerStates else { return }
        for c in resource.connections.values {
            guard let pd = c.peerDevices[device.volume] else { continue }
            peers += 1
            peerDisks[pd.peerDiskState, default: 0] += 1
            peerReplication[pd.replicationState, default: 0] += 1
        }
    }

    /// The value of `column` (1-49) of this row.
    func value(_ column: UInt32) -> AgentXValue {
        switch column {
        case 1: return .integer(device.minor)
        case 2: return .string(resource.name)
        case 3: return .string(resource.role.description)
        case 4: return .truth(resource.suspended)
        case 5: return .string(resource.writeOrdering)
        case 6: return .truth(resource.forceIOFailures)
        case 7: return .truth(resource.mayPromote)
        case 8: return .integer(resource.promotionScore)
        case 9: return .integer(device.volume)
        case 10: return .string(device.diskState.description)
        case 11: return .string(device.backingDevice ?? "none")
        case 12: return .truth(device.client)
        case 13: return .truth(device.quorum)
        case 14: return .gauge32(DRBDMIB.scaledSize(kib: device.size).size)
        case 15: return .gauge32(DRBDMIB.scaledSize(kib: device.size).units)
        case 16: return .counter64(device.read)
        case 17: return .counter64(device.written)
        case 18: return .counter64(device.alWrites)
        case 19: return .counter64(device.bmWrites)
        case 20: return DRBDMIB.gauge(device.upperPending)
        case 21: return DRBDMIB.gauge(device.lowerPending)
        case 22: return .truth(device.alSuspended)
        case 23: return .string(device.blocked)
        case 24: return .integer(Int32(clamping: peers))
        case 25...34: return .integer(Int32(clamping: peerDisks[DiskState.known[Int(column - 25)], default: 0]))
        case 35...49: return .integer(Int32(clamping: peerReplication[ReplicationState.known[Int(column - 35)], default: 0]))
        default: return .noSuchObject
        }
    }
}
