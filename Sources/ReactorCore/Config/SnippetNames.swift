/// Which files of a snippets directory count, one rule for the daemon (loading and the snippet
/// monitor) and drbd-reactorctl (ls, cat, enable, ...): every name ending in the wanted suffix, dot-files
/// included, sorted bytewise. 1.x lists the directory with `read_dir`, which returns dot-files too, and
/// keeps every name ending in `.toml`; its ctl does the same, so `.hidden.toml` is a snippet for both.
public enum SnippetNames {
    /// The names among `names` ending in one of `suffixes`, sorted by their bytes (as 1.x sorts paths).
    public static func select(_ names: [String], suffixes: [String]) -> [String] {
        names.filter { name in suffixes.contains { name.hasSuffix($0) } }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
