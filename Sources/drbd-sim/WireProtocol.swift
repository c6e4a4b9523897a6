/// The line protocol between `drbd-sim exec|ctl` (and the drbdsetup/drbdadm personalities) and
/// `drbd-sim serve`, over a unix stream socket.
///
/// Client to server: one request line, fields separated by TAB: `exec<TAB>NODE<TAB>PROGRAM<TAB>ARGS...`
/// or `ctl<TAB>ACTION<TAB>ARGS...`; then, for a streaming `events2`, one `n` line per statistics poll.
/// Server to client: `o<TAB>TEXT` / `e<TAB>TEXT` for one line of stdout / stderr (`O` / `E`: the
/// same without the final newline), then `x<TAB>STATUS` as the last line.
import DRBDSim

enum WireProtocol {
    static func request(_ fields: [String]) -> String { fields.joined(separator: "\t") + "\n" }

    static func fields(_ line: String) -> [String] {
        line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }

    /// The frames for one output text of a stream (`o`/`e`).
    static func frames(_ text: String, stream: Character) -> String {
        guard !text.isEmpty else { return "" }
        var out = ""
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let complete = text.hasSuffix("\n")
        if complete { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            let partial = !complete && index == lines.count - 1
            out += "\(partial ? Character(stream.uppercased()) : stream)\t\(line)\n"
        }
        return out
    }

    /// A whole command result: its outputs, then its exit status.
    static func frames(_ result: CommandResult) -> String {
        frames(result.stdout, stream: "o") + frames(result.stderr, stream: "e") + "x\t\(result.exitCode)\n"
    }
}
