/// What one run of ocf-rs-wrapper was asked to do, decoded from its argv and environment.
///
/// `ocf.rs@.service` runs `ocf-rs-wrapper start-and-monitor %n` as `ExecStart=` and
/// `ocf-rs-wrapper stop %n` as `ExecStopPost=`; the unit name argument is only for `ps`. The agent and
/// its `OCF_RESKEY_*` parameters come from the promoter's drop-in; the agent reads those itself.
public struct OCFInvocation: Hashable, Sendable {
    /// The verb in argv[1].
    public enum Action: String, Hashable, Sendable {
        case startAndMonitor = "start-and-monitor"
        case stop
    }

    public var action: Action
    /// `$AGENT`, the resource agent's path (`/usr/lib/ocf/resource.d/heartbeat/IPaddr2`).
    public var agent: String
    /// `$OCF_RESOURCE_INSTANCE` (the unit's instance, `ip1_r0`).
    public var instance: String
    /// The monitor period (`OCFMonitorInterval`).
    public var interval: OCFMonitorInterval
    /// `EXIT_CODE=exited` and `EXIT_STATUS=0`: systemd runs `ExecStopPost=` after a main process that
    /// already stopped the agent itself (on SIGTERM) and exited cleanly, so `stop` has nothing to do.
    public var mainProcessExitedCleanly: Bool

    /// `<basename of AGENT>:<instance>`, the prefix of every message (`IPaddr2:ip1_r0`).
    public var id: String {
        var path = Substring(agent)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        let base = path.split(separator: "/", omittingEmptySubsequences: false).last ?? path
        let name = base.isEmpty || base == ".." ? Substring(agent) : base
        return "\(name):\(instance)"
    }

    /// Decodes argv (without the program name) and the environment, checking the variables in the
    /// original's order (`AGENT`, `OCF_ROOT`, `OCF_RESOURCE_INSTANCE`) before the verb.
    public static func parse(arguments: [String], environment: (String) -> String?) throws(OCFWrapperError) -> OCFInvocation {
        guard let agent = environment("AGENT") else { throw .missingVariable("AGENT") }
        guard environment("OCF_ROOT") != nil else { throw .missingVariable("OCF_ROOT") }
        guard let instance = environment("OCF_RESOURCE_INSTANCE") else { throw .missingVariable("OCF_RESOURCE_INSTANCE") }
        guard let verb = arguments.first else { throw .missingAction }
        guard let action = Action(rawValue: verb) else { throw .unknownAction(verb) }
        return OCFInvocation(
            action: action, agent: agent, instance: instance,
            interval: OCFMonitorInterval(environment: environment),
            mainProcessExitedCleanly: environment("EXIT_CODE") == "exited" && environment("EXIT_STATUS") == "0")
    }
}

/// Why ocf-rs-wrapper cannot run at all (printed to stderr, exit status 1).
public enum OCFWrapperError: Error, Hashable, Sendable, CustomStringConvertible {
    case missingVariable(String)
    case missingAction
    case unknownAction(String)

    /// The original's messages, word for word.
    public var description: String {
        switch self {
        case .missingVariable(let name): "'\(name)' has to be set"
        case .missingAction: "Could not get action as first argument"
        case .unknownAction(let verb): "Action '\(verb)' not implemented"
        }
    }
}
