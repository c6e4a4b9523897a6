import ReactorCore
import ReactorDaemon
import ReactorLoop
import ReactorPromoter
import ReactorSystem

/// What every subcommand works with: the snippets directory from the main file, the console, the
/// program runner and facts about this node. Built once by the executable.
public struct CtlContext {
    public var snippets: SnippetDirectory
    public var console: Console
    public var runner: CommandRunner
    /// `uname -n` (how drbdsetup's peers name this node).
    public var nodeName: String
    /// Where the promoter's drop-ins go (`/run/systemd/system`, or `DRBD_REACTOR_SYSTEMD_DIR`).
    public var systemdDirectory: String
    /// The process environment (EDITOR, colours).
    public var environment: [String: String]
    /// The daemon's run-time directory (control socket, maintenance state).
    public var runDirectory = RuntimeDirectory.current()

    public init(
        snippets: SnippetDirectory, console: Console, runner: CommandRunner, nodeName: String, systemdDirectory: String,
        environment: [String: String]
    ) {
        self.snippets = snippets
        self.console = console
        self.runner = runner
        self.nodeName = nodeName
        self.systemdDirectory = systemdDirectory
        self.environment = environment
    }

    /// The context of this process for the main file `config`.
    public static func current(config: String, facts: ProcessFacts = .current()) throws(CtlError) -> CtlContext {
        CtlContext(
            snippets: .onDisk(try snippetsPath(config: config)), console: .standard(environment: facts.environment),
            runner: SystemRunner(), nodeName: facts.nodeName, systemdDirectory: facts.systemdDirectory, environment: facts.environment)
    }

    /// The `snippets` key of the main file (which must parse). Only that key is read: a broken snippet
    /// must not keep drbd-reactorctl from listing, fixing or removing it.
    public static func snippetsPath(config: String) throws(CtlError) -> String {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(config) } catch { throw .snippetsPath(config: config, reason: "\(error)") }
        let table: ConfigTable
        do { table = try TOMLLoader.parse(String(decoding: bytes, as: UTF8.self), file: config) } catch {
            throw .snippetsPath(config: config, reason: error.description)
        }
        guard case .string(let dir)? = table["snippets"], !dir.isEmpty else {
            throw .snippetsPath(config: config, reason: "no 'snippets' directory set")
        }
        return dir
    }

    /// Prints the complaints of a resolution (rejected files to stderr, `both exist` as WARN).
    public func report(_ r: SnippetDirectory.Resolution) {
        for line in r.rejected { console.progress(line) }
        for w in r.warnings { console.warn(w) }
    }

    /// `resolve` plus `report`: the usable paths.
    public func snippetPaths(_ args: [String], state: SnippetState, mustExist: Bool = true) -> [String] {
        let r = snippets.resolve(args, state: state, mustExist: mustExist)
        report(r)
        return r.paths
    }
}

/// What drbd-reactorctl knows about its process before it reads any configuration.
public struct ProcessFacts: Sendable {
    public var environment: [String: String]
    /// `uname -n`.
    public var nodeName: String
    /// Where the promoter's drop-ins go.
    public var systemdDirectory: String

    public static func current() -> ProcessFacts {
        let environment = Dictionary(
            ChildProcess.inheritedEnvironment().compactMap { entry -> (String, String)? in
                guard let eq = entry.firstIndex(of: "=") else { return nil }
                return (String(entry[..<eq]), String(entry[entry.index(after: eq)...]))
            }, uniquingKeysWith: { a, _ in a })
        let promoter = PromoterContext.current(files: HostFiles())
        return ProcessFacts(environment: environment, nodeName: promoter.nodeName ?? "localhost", systemdDirectory: promoter.systemdDirectory)
    }
}
