/// The command line of drbd-sim:
///   drbd-sim serve --socket PATH CLUSTER.toml
///   drbd-sim exec --socket PATH --node NAME -- PROGRAM ARGS...
///   drbd-sim ctl --socket PATH ACTION ARGS...
/// and, invoked as `drbdsetup` or `drbdadm` (argv[0]'s base name), `exec` of itself on the node named
/// by $DRBD_SIM_NODE, else the first line of /etc/drbd-sim/node, else `uname -n`, over the socket
/// $DRBD_SIM_SOCKET, else /run/drbd-sim/sock.
import DRBDSim
import Glibc
import Logging
import ReactorSystem

enum DRBDSimCommandLine {
    static let defaultSocket = "/run/drbd-sim/sock"
    static let usage = """
        usage: drbd-sim serve --socket PATH CLUSTER.toml
               drbd-sim exec --socket PATH --node NAME -- PROGRAM ARGS...
               drbd-sim ctl --socket PATH ACTION ARGS...

        """

    static func main(_ argv: [String]) -> Int32 {
        let logger = Logger(label: "drbd-sim")
        let personality = argv.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
        if personality == "drbdsetup" || personality == "drbdadm" {
            let socket = environment("DRBD_SIM_SOCKET") ?? defaultSocket
            return client(socket: socket, request: ["exec", localNode(), personality] + argv.dropFirst(), logger: logger)
        }
        var args = Array(argv.dropFirst())
        guard let mode = args.first else { return fail(usage) }
        args.removeFirst()
        var socket: String?
        var node: String?
        var rest: [String] = []
        while !args.isEmpty {
            let arg = args.removeFirst()
            switch arg {
            case "--socket" where !args.isEmpty: socket = args.removeFirst()
            case "--node" where !args.isEmpty: node = args.removeFirst()
            case "--":
                rest += args
                args = []
            default: rest.append(arg)
            }
        }
        guard let socket else { return fail("drbd-sim: --socket PATH is required\n" + usage) }
        switch mode {
        case "serve":
            guard rest.count == 1 else { return fail(usage) }
            return serve(socket: socket, clusterFile: rest[0], logger: logger)
        case "exec":
            guard let node, !rest.isEmpty else { return fail(usage) }
            return client(socket: socket, request: ["exec", node] + rest, logger: logger)
        case "ctl":
            guard !rest.isEmpty else { return fail(usage) }
            return client(socket: socket, request: ["ctl"] + rest, logger: logger)
        default:
            return fail(usage)
        }
    }

    static func serve(socket: String, clusterFile: String, logger: Logger) -> Int32 {
        // A client that went away (its node killed with the events2 stream open) is a write error for its
        // connection, not the server's death (SIGPIPE ended every HA lab node's DRBD at once).
        SignalFD.ignoreSIGPIPE()
        do {
            let text = String(decoding: try FileSystem.readFile(clusterFile), as: UTF8.self)
            let server = try SimServer(spec: try ClusterFile.parse(text), socketPath: socket, logger: logger)
            try server.run()
            return 0
        } catch {
            return fail("drbd-sim serve: \(clusterFile): \(error)\n")
        }
    }

    static func client(socket: String, request: [String], logger: Logger) -> Int32 {
        let streaming = request.count >= 4 && request[2] == "drbdsetup" && request.contains("events2") && !request.contains("--now")
        do {
            return try SimClient(socketPath: socket, request: request, relayStdin: streaming, logger: logger).run()
        } catch {
            return fail("drbd-sim: cannot reach the server at \(socket): \(error)\n", status: SimClient.unreachable)
        }
    }

    /// The node this process runs on, for the drbdsetup/drbdadm personalities.
    static func localNode() -> String {
        if let node = environment("DRBD_SIM_NODE"), !node.isEmpty { return node }
        if let bytes = try? FileSystem.readFile("/etc/drbd-sim/node"),
            let first = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first, !first.isEmpty
        {
            return String(first)
        }
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    static func fail(_ message: String, status: Int32 = 1) -> Int32 {
        Output.write(2, message)
        return status
    }
}
