/// The harness's actions by name, as `drbd-sim ctl` passes them: `crash NODE`, `boot NODE`, `cut A B`,
/// `heal A B`, `heal-all`, `partition A,B C`, `fail-disk NODE RES [VOL]`, `attach-disk NODE RES [VOL]`,
/// `state`. Exit status 0 on success, 1 with a message on error.
extension DRBDCluster {
    public mutating func control(_ arguments: [String]) -> CommandResult {
        guard let action = arguments.first else { return controlError("missing action") }
        let args = Array(arguments.dropFirst())
        func nodes(_ count: Int) -> [String]? {
            guard args.count >= count else { return nil }
            let names = Array(args.prefix(count))
            return names.allSatisfy { self.nodes[$0] != nil } ? names : nil
        }
        switch action {
        case "crash", "boot":
            guard let n = nodes(1) else { return controlError("\(action) needs a known NODE") }
            if action == "crash" { crash(n[0]) } else { boot(n[0]) }
        case "cut", "heal":
            guard let n = nodes(2) else { return controlError("\(action) needs two known nodes") }
            if action == "cut" { cut(n[0], n[1]) } else { heal(n[0], n[1]) }
        case "heal-all":
            healAll()
        case "partition":
            let groups = args.map { $0.split(separator: ",").map(String.init) }
            guard groups.count >= 2, groups.joined().allSatisfy({ self.nodes[$0] != nil }) else {
                return controlError("partition needs two or more groups of known nodes (A,B C)")
            }
            partition(groups)
        case "fail-disk", "attach-disk":
            guard let n = nodes(1), args.count >= 2, resourceSpec(args[1]) != nil else {
                return controlError("\(action) needs NODE RES [VOL]")
            }
            let volume = args.count >= 3 ? Int(args[2]) : nil
            if args.count >= 3, volume == nil { return controlError("\(action): volume '\(args[2])' is not a number") }
            if action == "fail-disk" {
                failDisk(n[0], args[1], volume: volume)
            } else {
                attachDisk(n[0], args[1], volume: volume)
            }
        case "state":
            return CommandResult(exitCode: 0, stdout: stateDocument().rendered(indent: 0).filter { $0 != "\n" } + "\n")
        default:
            return controlError("unknown action '\(action)'")
        }
        return CommandResult(exitCode: 0)
    }

    func controlError(_ message: String) -> CommandResult {
        CommandResult(exitCode: 1, stderr: "drbd-sim ctl: \(message)\n")
    }
}
