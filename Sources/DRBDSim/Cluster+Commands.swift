/// `drbdsetup` and `drbdadm` as run on one node: exit status and output as drbd-utils print them.
extension DRBDCluster {
    /// drbdsetup's exit status for a failed state change (drbdadm passes it on).
    static let stateChangeFailed: Int32 = 11
    /// drbdsetup's exit status for a failed configuration request (e.g. an unknown resource).
    static let configFailed: Int32 = 10
    /// What a node that is down answers (there is nobody to run the command).
    static let nodeDown: Int32 = 20

    public mutating func run(_ node: String, _ argv: [String]) -> CommandResult {
        guard let program = argv.first else { return CommandResult(exitCode: 1, stderr: "drbd-sim: no command\n") }
        guard isUp(node) else {
            return CommandResult(exitCode: Self.nodeDown, stderr: "drbd-sim: node '\(node)' is down\n")
        }
        let arguments = Array(argv.dropFirst())
        switch program.split(separator: "/").last.map(String.init) ?? program {
        case "drbdsetup": return drbdsetup(node, arguments)
        case "drbdadm": return drbdadm(node, arguments)
        default: return CommandResult(exitCode: 127, stderr: "drbd-sim: \(program): command not found\n")
        }
    }

    mutating func drbdsetup(_ node: String, _ arguments: [String]) -> CommandResult {
        let words = arguments.filter { !$0.hasPrefix("-") }
        let flags = arguments.filter { $0.hasPrefix("-") }
        guard let command = words.first else { return usage("drbdsetup") }
        let target = words.dropFirst().first
        switch command {
        case "primary":
            guard let name = target else { return usage("drbdsetup primary") }
            return promote(node, name, force: flags.contains { $0.hasPrefix("--force") })
        case "secondary":
            guard let name = target else { return usage("drbdsetup secondary") }
            return demote(node, name)
        case "status":
            guard flags.contains("--json") else { return CommandResult(exitCode: 0, stdout: statusText(node, resource: target)) }
            return known(node, target) ?? CommandResult(exitCode: 0, stdout: statusJSON(node, resource: target))
        case "show":
            return known(node, target) ?? CommandResult(exitCode: 0, stdout: showJSON(node, resource: target))
        case "events2":
            return CommandResult(exitCode: 0, stdout: dump(node, resource: target).map { $0 + "\n" }.joined())
        default:
            return CommandResult(exitCode: 20, stderr: "drbdsetup: unknown command '\(command)'\n")
        }
    }

    mutating func drbdadm(_ node: String, _ arguments: [String]) -> CommandResult {
        if arguments.contains("--version") { return CommandResult(exitCode: 0, stdout: Self.versionText) }
        let words = arguments.filter { !$0.hasPrefix("-") }
        let force = arguments.contains { $0.hasPrefix("--force") }
        guard let command = words.first else { return usage("drbdadm") }
        let targets = Array(words.dropFirst())
        if command == "sh-resources" {
            return CommandResult(exitCode: 0, stdout: spec.resources.map(\.name).joined(separator: " ") + "\n")
        }
        guard !targets.isEmpty else { return usage("drbdadm \(command)") }
        let names = targets == ["all"] ? spec.resources.map(\.name) : targets
        var result = CommandResult(exitCode: 0)
        for name in names {
            var one = drbdadmOne(node, command, name, force: force)
            if one.exitCode != 0, command == "primary" || command == "secondary" {
                one.stderr += "Command 'drbdsetup \(command) \(name)\(force ? " --force" : "")' terminated with exit code \(one.exitCode)\n"
            }
            result.stdout += one.stdout
            result.stderr += one.stderr
            if one.exitCode != 0 { result.exitCode = one.exitCode }
        }
        return result
    }

    mutating func drbdadmOne(_ node: String, _ command: String, _ name: String, force: Bool) -> CommandResult {
        guard let resource = resourceSpec(name) else {
            return CommandResult(exitCode: Self.configFailed, stderr: "'\(name)' not defined in your config (for this host).\n")
        }
        switch command {
        case "primary": return promote(node, name, force: force)
        case "secondary": return demote(node, name)
        case "up":
            if state(node, name) != nil {
                return CommandResult(
                    exitCode: Self.configFailed,
                    stderr: "\(name): Failure: (161) Minor or volume exists already (delete it first)\n")
            }
            bringUp(node, resource)
            settle()
            return CommandResult(exitCode: 0)
        case "adjust":
            if state(node, name) == nil {
                bringUp(node, resource)
                settle()
            }
            return CommandResult(exitCode: 0)
        case "down":
            if state(node, name)?.primary == true {
                let demoted = demote(node, name)
                if demoted.exitCode != 0 { return demoted }
            }
            takeDown(node, name)
            return CommandResult(exitCode: 0)
        case "sh-ll-dev":
            let devices = (0..<resource.volumes).map { resource.isDiskless(node) ? "none" : backingDevice(resource, volume: $0) }
            return CommandResult(exitCode: 0, stdout: devices.map { $0 + "\n" }.joined())
        default:
            return CommandResult(exitCode: 1, stderr: "drbdadm: unknown command '\(command)'\n")
        }
    }

    /// `drbdsetup primary`: DRBD's checks in its order (another Primary connected, access to
    /// up-to-date data, quorum), each with its error text; `--force` makes an attached disk UpToDate.
    mutating func promote(_ node: String, _ name: String, force: Bool) -> CommandResult {
        guard let resource = resourceSpec(name), var res = state(node, name) else { return unknownResource(name) }
        if res.primary { return CommandResult(exitCode: 0) }
        if connectedPrimary(node, name) != nil {
            return stateChangeFailed(name, -1, "Multiple primaries not allowed by config")
        }
        if force {
            for v in res.volumes.indices where res.volumes[v].disk.isAttached {
                res.volumes[v].disk = .upToDate
                res.volumes[v].resync = nil
            }
            nodes[node]?.resources[name] = res
        }
        if !allDataAccessible(node, name) {
            return stateChangeFailed(name, -2, "Need access to UpToDate data")
        }
        for v in res.volumes.indices where !res.volumes[v].quorum {
            let count = quorumCount(node, resource, volume: v)
            return stateChangeFailed(
                name, -25, "No quorum",
                detail: "\(count.votes) of \(count.voters) nodes visible, need \(count.quorumAt) for quorum")
        }
        res.primary = true
        res.forceIOFailures = false
        nodes[node]?.resources[name] = res
        settle()
        return CommandResult(exitCode: 0)
    }

    /// `drbdsetup secondary` (no opener is modelled, so it always succeeds on a running resource).
    mutating func demote(_ node: String, _ name: String) -> CommandResult {
        guard state(node, name) != nil else { return unknownResource(name) }
        nodes[node]?.resources[name]?.primary = false
        nodes[node]?.resources[name]?.forceIOFailures = false
        settle()
        return CommandResult(exitCode: 0)
    }

    /// nil if `resource` is nil or up on `node`; otherwise drbdsetup's unknown-resource answer.
    func known(_ node: String, _ resource: String?) -> CommandResult? {
        guard let resource, state(node, resource) == nil else { return nil }
        return unknownResource(resource)
    }

    func unknownResource(_ name: String) -> CommandResult {
        CommandResult(
            exitCode: Self.configFailed,
            stderr: "\(name): Failure: (158) Unknown resource\nadditional info from kernel:\nunknown resource\n")
    }

    func stateChangeFailed(_ name: String, _ code: Int, _ text: String, detail: String? = nil) -> CommandResult {
        var stderr = "\(name): State change failed: (\(code)) \(text)\n"
        if let detail { stderr += "additional info from kernel:\n\(detail)\n" }
        return CommandResult(exitCode: Self.stateChangeFailed, stderr: stderr)
    }

    func usage(_ what: String) -> CommandResult {
        CommandResult(exitCode: 20, stderr: "\(what): missing arguments\n")
    }

    /// `drbdadm --version` of drbd-utils 9.29.0 on DRBD 9.2.12.
    static let versionText = """
        DRBDADM_BUILDTAG=GIT-hash:\\ drbd-sim\\ build\\ by\\ drbd-sim
        DRBDADM_API_VERSION=2
        DRBD_KERNEL_VERSION_CODE=0x09020c
        DRBD_KERNEL_VERSION=9.2.12
        DRBDADM_VERSION_CODE=0x091d00
        DRBDADM_VERSION=9.29.0

        """
}
