import Glibc
import ReactorCore

/// Ends the process (`exit(3)`: atexit handlers run, stdio is flushed) with `code`. The executable's
/// command line needs it and, like everything above System/, does not import Glibc.
public enum ProcessExit {
    public static func exit(_ code: Int32) -> Never { Glibc.exit(code) }
}
