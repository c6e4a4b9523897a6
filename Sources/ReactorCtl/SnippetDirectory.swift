import ReactorCore
import ReactorSystem

/// Which snippet files a command works on: enabled ones (`*.toml`), disabled ones (`*.toml.disabled`)
/// or both (`ls`, `status`).
public enum SnippetState: Sendable, Hashable {
    case enabled, disabled, any

    public static let enabledSuffix = ".toml"
    public static let disabledSuffix = ".toml.disabled"

    /// The suffixes of this state, the preferred first.
    var suffixes: [String] {
        switch self {
        case .enabled: [Self.enabledSuffix]
        case .disabled: [Self.disabledSuffix]
        case .any: [Self.enabledSuffix, Self.disabledSuffix]
        }
    }
}

/// The snippets directory and the naming rules of its files: `x.toml` is enabled,
/// `x.toml.disabled` disabled; arguments name files in this directory only.
///
/// Pure: the file system is asked through the two closures, so the rules are unit tested without files.
public struct SnippetDirectory {
    /// The directory, normalized (no trailing `/`, no `.` or empty components).
    public let path: String
    /// Whether a regular file exists at a path.
    let isFile: (String) -> Bool
    /// The names in the directory.
    let names: () -> [String]

    public init(path: String, isFile: @escaping (String) -> Bool, names: @escaping () -> [String]) {
        self.path = Self.normalize(path)
        self.isFile = isFile
        self.names = names
    }

    /// The directory on the real file system.
    public static func onDisk(_ path: String) -> SnippetDirectory {
        SnippetDirectory(
            path: path, isFile: { (try? FileSystem.info($0))?.isRegularFile == true },
            names: { (try? FileSystem.listDirectory(path)) ?? [] })
    }

    /// The result of resolving arguments: the usable paths and the complaints about the others.
    public struct Resolution: Hashable, Sendable {
        public var paths: [String] = []
        /// Lines for stderr (`File '<p>' ..., ignoring`).
        public var rejected: [String] = []
        /// `both '<a>' and '<b>' exist` texts (printed as WARN).
        public var warnings: [String] = []
    }

    /// Resolves command-line arguments to snippet paths. No arguments: every file of the directory in
    /// `state`, sorted by name. An absolute argument is used as is; a relative one keeps a `.toml` or
    /// `.toml.disabled` ending, else gets the state's suffix (for `.any`: whichever exists, `.toml`
    /// first), and is taken relative to the directory. `mustExist` rejects paths that are no regular file.
    public func resolve(_ args: [String], state: SnippetState, mustExist: Bool = true) -> Resolution {
        var r = Resolution()
        let candidates = args.isEmpty ? all(state) : args.map { path(for: $0, state: state) }
        for p in candidates {
            guard Self.suffix(of: p) != nil else {
                r.rejected.append("File '\(p)' does not have a recognized extension (.toml or .toml.disabled), ignoring")
                continue
            }
            guard Self.parent(of: p) == path else {
                r.rejected.append("File '\(p)' is not within snippets path '\(path)', ignoring")
                continue
            }
            if mustExist && !isFile(p) {
                r.rejected.append("File '\(p)' does not exist or is not a regular file, ignoring")
                continue
            }
            if r.paths.contains(p) { continue }
            r.paths.append(p)
            let twin = Self.twin(of: p)
            if isFile(p) && isFile(twin) {
                let (a, b) = Self.isDisabled(p) ? (twin, p) : (p, twin)
                r.warnings.append("both '\(a)' and '\(b)' exist")
            }
        }
        return r
    }

    /// The path an argument names (see `resolve`).
    public func path(for arg: String, state: SnippetState) -> String {
        var name = arg
        if !arg.hasPrefix("/") && Self.suffix(of: arg) == nil {
            let options = state.suffixes.map { arg + $0 }
            name = options.first { isFile(absolute($0)) } ?? options[0]
        }
        return absolute(name)
    }

    /// Every file of the directory in `state`, chosen and sorted as the daemon does (`SnippetNames`).
    func all(_ state: SnippetState) -> [String] {
        SnippetNames.select(names(), suffixes: state.suffixes)
            .map { path + "/" + $0 }.filter(isFile)
    }

    func absolute(_ name: String) -> String { Self.normalize(name.hasPrefix("/") ? name : path + "/" + name) }

    /// `.toml`, `.toml.disabled` or nil.
    static func suffix(of p: String) -> String? {
        if p.hasSuffix(SnippetState.disabledSuffix) { return SnippetState.disabledSuffix }
        if p.hasSuffix(SnippetState.enabledSuffix) { return SnippetState.enabledSuffix }
        return nil
    }

    public static func isDisabled(_ p: String) -> Bool { p.hasSuffix(SnippetState.disabledSuffix) }

    /// `x.toml` for `x.toml.disabled` and the other way round.
    public static func twin(of p: String) -> String { isDisabled(p) ? enabledName(p) : disabledName(p) }

    /// The disabled name of an enabled snippet (`x.toml.disabled`).
    public static func disabledName(_ p: String) -> String { p + ".disabled" }

    /// The enabled name of a disabled snippet (`x.toml`).
    public static func enabledName(_ p: String) -> String { String(p.dropLast(".disabled".count)) }

    /// The directory part of a normalized path.
    static func parent(of p: String) -> String { FileSystem.parentDirectory(of: p) }

    /// Collapses `//` and `/./`, drops a trailing `/` (`..` is kept: such a path is then not inside).
    static func normalize(_ p: String) -> String {
        let parts = p.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        let joined = parts.joined(separator: "/")
        return p.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}
