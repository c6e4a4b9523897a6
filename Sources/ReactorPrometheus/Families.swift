import ReactorCore

/// Every metric family we export, in output order. The names, types, labels and units are the
/// original's, including its `_bytes` counters without `_total`: renaming them would
/// break existing dashboards. HELP texts are ours.
enum Families {
    static let up = MetricFamily("drbdreactor_up", .gauge, "Whether drbd-reactor is running (always 1)")
    static let version = MetricFamily("drbd_version", .gauge, "DRBD kernel module and drbd-utils versions (always 1)")
    static let resources = MetricFamily("drbd_resource_resources", .gauge, "Number of DRBD resources")

    static let resourceRole = StateFamily<Resource>(
        "drbd_resource_role", "Role of the resource (1 for the current one)",
        known: Role.known.map(\.description), current: { $0.role.description })

    static let resource: [ObjectFamily<Resource>] = [
        .init("drbd_resource_suspended", .gauge, "Whether I/O on the resource is suspended") { .bool($0.suspended) },
        .init("drbd_resource_maypromote", .gauge, "Whether the resource may be promoted") { .bool($0.mayPromote) },
        .init("drbd_resource_promotionscore", .gauge, "Promotion score of the resource") { .signed(Int64($0.promotionScore)) },
        .init("drbd_resource_forceiofailures", .gauge, "Whether I/O failures are forced on the resource") { .bool($0.forceIOFailures) },
    ]

    static let connectionState = StateFamily<Connection>(
        "drbd_connection_state", "State of the connection (1 for the current one)",
        known: ConnectionState.known.map(\.description), current: { $0.connectionState.description })

    static let connection: [ObjectFamily<Connection>] = [
        .init("drbd_connection_congested", .gauge, "Whether the connection is congested") { .bool($0.congested) },
        .init("drbd_connection_apinflight_bytes", .gauge, "Application data in flight to the peer") { .sectors($0.apInFlight) },
        .init("drbd_connection_rsinflight_bytes", .gauge, "Resync data in flight to the peer") { .sectors($0.rsInFlight) },
    ]

    static let peerDevice: [ObjectFamily<PeerDevice>] = [
        .init("drbd_peerdevice_outofsync_bytes", .gauge, "Data out of sync with the peer") { .kibibytes($0.outOfSync) },
        .init("drbd_peerdevice_sent_bytes", .counter, "Data sent to the peer") { .kibibytes($0.sent) },
        .init("drbd_peerdevice_received_bytes", .counter, "Data received from the peer") { .kibibytes($0.received) },
    ]

    static let deviceState = StateFamily<Device>(
        "drbd_device_state", "Disk state of the local device (1 for the current one)",
        known: DiskState.known.map(\.description), current: { $0.diskState.description })

    static let device: [ObjectFamily<Device>] = [
        .init("drbd_device_client", .gauge, "Whether the device is a permanently diskless client") { .bool($0.client) },
        .init("drbd_device_unintentionaldiskless", .gauge, "Whether the device is diskless without being a client") {
            .bool(!$0.client && $0.diskState == .diskless)
        },
        .init("drbd_device_quorum", .gauge, "Whether the device has quorum") { .bool($0.quorum) },
        .init("drbd_device_open", .gauge, "Whether the device is open") { .bool($0.open) },
        .init("drbd_device_size_bytes", .gauge, "Size of the device") { .kibibytes($0.size) },
        .init("drbd_device_read_bytes_total", .counter, "Data read from the device") { .kibibytes($0.read) },
        .init("drbd_device_written_bytes_total", .counter, "Data written to the device") { .kibibytes($0.written) },
        .init("drbd_device_alwrites_total", .counter, "Activity log updates") { .unsigned($0.alWrites) },
        .init("drbd_device_bmwrites_total", .counter, "Bitmap updates") { .unsigned($0.bmWrites) },
        .init("drbd_device_upperpending", .gauge, "Requests from the upper layer not yet completed") { .unsigned($0.upperPending) },
        .init("drbd_device_lowerpending", .gauge, "Requests to the backing device not yet completed") { .unsigned($0.lowerPending) },
        .init("drbd_device_alsuspended", .gauge, "Whether activity log updates are suspended") { .bool($0.alSuspended) },
    ]

    static let process: [ObjectFamily<ProcessMetrics>] = [
        .init("process_cpu_seconds_total", .counter, "User and system CPU time spent in seconds") { .float($0.cpuSeconds) },
        .init("process_open_fds", .gauge, "Number of open file descriptors") { .unsigned($0.openFDs) },
        .init("process_max_fds", .gauge, "Maximum number of open file descriptors") { .unsigned($0.maxFDs) },
        .init("process_virtual_memory_bytes", .gauge, "Virtual memory size in bytes") { .unsigned($0.virtualMemoryBytes) },
        .init("process_resident_memory_bytes", .gauge, "Resident memory size in bytes") { .unsigned($0.residentMemoryBytes) },
        .init("process_start_time_seconds", .gauge, "Start time of the process since the Unix epoch in seconds") {
            .float($0.startTimeSeconds)
        },
    ]

    /// Read from the daemon's counters at render time (one thread: no synchronisation needed).
    static let health: [ObjectFamily<ReactorStats>] = [
        .init("drbdreactor_events2_lines_total", .counter, "events2 lines read from drbdsetup") { .unsigned($0.events2Lines) },
        .init("drbdreactor_events2_unparsed_lines_total", .counter, "events2 lines that could not be parsed") {
            .unsigned($0.events2Unparsed)
        },
        .init("drbdreactor_drbdsetup_restarts_total", .counter, "Restarts of drbdsetup events2") { .unsigned($0.drbdsetupRestarts) },
        .init("drbdreactor_umh_commands_total", .counter, "umh commands started") { .unsigned($0.umhCommandsRun) },
        .init("drbdreactor_umh_commands_failed_total", .counter, "umh commands that failed") { .unsigned($0.umhCommandsFailed) },
        .init("drbdreactor_umh_commands_dropped_total", .counter, "umh matches dropped at the concurrency and queue caps") { .unsigned($0.umhCommandsDropped) },
        .init("drbdreactor_scrapes_total", .counter, "Metrics requests answered") { .unsigned($0.scrapes) },
        .init("drbdreactor_loop_turns_total", .counter, "Event loop iterations") { .unsigned($0.loopTurns) },
        .init("drbdreactor_loop_turns_over_1ms_total", .counter, "Loop iterations that worked longer than 1 ms") { .unsigned($0.loopTurnsOver1ms) },
        .init("drbdreactor_loop_turns_over_10ms_total", .counter, "Loop iterations that worked longer than 10 ms") { .unsigned($0.loopTurnsOver10ms) },
        .init("drbdreactor_loop_turns_over_100ms_total", .counter, "Loop iterations that worked longer than 100 ms") { .unsigned($0.loopTurnsOver100ms) },
    ]
}
