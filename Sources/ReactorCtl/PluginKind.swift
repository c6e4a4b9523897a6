/// The plugin types `edit --type` knows, with the template a new snippet starts from, as in the original.
public enum PluginKind: String, CaseIterable, Sendable, Hashable {
    case promoter, prometheus, agentx, umh, debugger

    /// The text of a new snippet of this type.
    public var template: String {
        switch self {
        case .promoter:
            """
            [[promoter]]
            [promoter.resources.$resname]
            start = ["$service.mount", "$service.service"]
            # on-drbd-demote-failure = "reboot"
            # stop-services-on-exit = false
            # on-disk-detach = "ignore"
            #
            # for more complex setups like HA iSCSI targets, NFS exports, or NVMe-oF targets consider
            # https://github.com/LINBIT/linstor-gateway which uses LINSTOR and drbd-reactor

            """
        case .prometheus:
            """
            [[prometheus]]
            enums = true
            # address = ":9942"

            """
        case .agentx:
            """
            [[agentx]]
            # address = "localhost:705"
            # cache-max = 60 # seconds
            # agent-timeout = 60 # seconds
            # peer-states = true

            """
        case .umh:
            """
            [[umh]]
            [[umh.resource]]
            command = "slack.sh $DRBD_RES_NAME on $(uname -n) from $DRBD_OLD_ROLE to $DRBD_NEW_ROLE"
            event-type = "Change"
            old.role = { operator = "NotEquals", value = "Primary" }
            new.role = "Primary"
            # see drbd-reactor.umh(5) for the filters and the environment of the command

            """
        case .debugger:
            """
            [[debugger]]
            # NOTE: make sure the log level in your [[log]] section is at least on level 'debug'

            """
        }
    }
}
