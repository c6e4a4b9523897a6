/// Puts global options where swift-argument-parser can see them.
///
/// The original (clap) takes `-c FILE`, `--context`, `--nodes` and `--local` before or after the
/// subcommand name; swift-argument-parser gives options before the name to the root command only. So
/// leading global options are moved behind the subcommand name (`status` when nothing else is given),
/// and `-V` becomes `--version`; options without a subcommand are `status`'s. A first word that is no subcommand is a usage error (it used to run
/// `status` with that word as a snippet name and exit 0).
public enum ArgumentOrder {
    /// Global options that take a value.
    static let valued: Set<String> = ["-c", "--config", "--context", "--nodes"]
    /// Global flags.
    static let flags: Set<String> = ["--local"]

    public static func normalize(_ args: [String], subcommands: Set<String>, defaultSubcommand: String) throws(UsageError) -> [String] {
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
        guard let first = rest.first else { return [defaultSubcommand] + globals }
        if subcommands.contains(first) { return [first] + globals + rest.dropFirst() }
        if first == "--help" || first == "-h" || first == "--version" { return rest }
        if !first.hasPrefix("-") { throw UsageError(message: "unrecognized subcommand '\(first)'") }
        return [defaultSubcommand] + globals + rest  // options only: status's options (`--json`)
    }
}

/// A command line the parser would misread; reported like the parser's own errors (exit status 1).
public struct UsageError: Error, Hashable, Sendable {
    public var message: String
}
