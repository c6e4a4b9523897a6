import ReactorSystem

/// Terminal text styles (SGR codes) drbd-reactorctl uses, like systemctl's.
public enum Style: String, Sendable, Hashable {
    case bold = "1"
    case red = "31"
    case green = "32"
    case yellow = "33"
    case blue = "34"
}

/// Where drbd-reactorctl's text goes: results, `WARN:` and `INFO:` lines to stdout, progress
/// (`Disabling '<p>'...`) and errors to stderr, as the original. Tests pass collecting closures.
public struct Console {
    /// Whether to emit colour escapes.
    public var colors: Bool
    private let out: (String) -> Void
    private let err: (String) -> Void

    public init(colors: Bool, out: @escaping (String) -> Void, err: @escaping (String) -> Void) {
        self.colors = colors
        self.out = out
        self.err = err
    }

    /// The process's own stdout and stderr; colours as `ColorChoice.decide` says.
    public static func standard(environment: [String: String]) -> Console {
        Console(
            colors: ColorChoice.decide(environment: environment, stdoutIsTerminal: FileSystem.isTerminal(1)),
            out: { RawOutput.write(1, Array($0.utf8)) }, err: { RawOutput.write(2, Array($0.utf8)) })
    }

    /// `text` wrapped in the escapes for `styles` when colours are on.
    public func paint(_ text: String, _ styles: Style...) -> String { paint(text, styles) }

    public func paint(_ text: String, _ styles: [Style]) -> String {
        guard colors, !styles.isEmpty else { return text }
        return "\u{1b}[" + styles.map(\.rawValue).joined(separator: ";") + "m" + text + "\u{1b}[0m"
    }

    /// A line on stdout.
    public func line(_ text: String = "") { out(text + "\n") }
    /// Text on stdout without a newline (the evict countdown).
    public func write(_ text: String) { out(text) }
    /// Text on stderr as it is (a node's stderr in a cluster context).
    public func error(_ text: String) { err(text) }
    /// A progress or error line on stderr.
    public func progress(_ text: String) { err(text + "\n") }
    /// `WARN: text` (bold red label) on stdout.
    public func warn(_ text: String) { line(paint("WARN:", .bold, .red) + " " + text) }
    /// `INFO: text` (bold yellow label) on stdout.
    public func info(_ text: String) { line(paint("INFO:", .bold, .yellow) + " " + text) }
}

/// The colour decision of the original's `colored` crate: `CLICOLOR_FORCE` (not `0`) forces colours,
/// else `NO_COLOR` (set) turns them off, else `CLICOLOR=0` turns them off, else colours when stdout is a
/// terminal.
public enum ColorChoice {
    public static func decide(environment env: [String: String], stdoutIsTerminal: Bool) -> Bool {
        if let force = env["CLICOLOR_FORCE"], force != "0" { return true }
        if env["NO_COLOR"] != nil { return false }
        if env["CLICOLOR"] == "0" { return false }
        return stdoutIsTerminal
    }
}
