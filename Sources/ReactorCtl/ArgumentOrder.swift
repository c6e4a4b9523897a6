/// Puts global options where swift-argument-parser can see them.
///
/// The original (clap) takes `-c FILE`, `--context`, `--nodes` and `--local` before or after the
/// subcommand name; swift-argument-parser gives options before the name to the root command only. So
/// leading global options are moved behind the subcommand name (`status` when none is given), and `-V`
/// becomes `--version`.
public enum ArgumentOrder {
    /// Global options that take a value.
    static let valued: Set<String> = ["-c", "--config", "--context", "--nodes"]
    /// Global flags.
    static let flags: Set<String> = ["--local"]

    public static func normalize(_ args: [String], subcommands: Set<String>, defaultSubcommand: String) -> [String] {
        var globals: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if valued.contains(a) {
                globals += args[i..<min(i + 2, args.count)]
                i += 2
            } else if flags.contains(a) || valued.contains(where: { a.hasPrefix($0 + "=") }) || (a.hasPrefix("-c") && a.count > 2 && !a.hasPrefix("--")) {
                globals.append(a)
                i += 1
            } else {
                break
            }
        }
        let rest = Array(args[min(i, args.count)...]).map { $0 == "-V" ? "--version" : $0 }
        if globals.isEmpty { return rest }
        if let first = rest.first, subcommands.contains(first) { return [first] + globals + rest.dropFirst() }
        if let first = rest.first, first == "--help" || first == "-h" || first == "--version" { return rest }
        return [defaultSubcommand] + globals + rest
    }
}
