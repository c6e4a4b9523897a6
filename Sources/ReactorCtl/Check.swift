import ReactorDaemon
import ReactorLoop
import ReactorPromoter

/// One result of `check`.
public struct Finding: Hashable, Sendable {
    /// How bad it is: an error fails `check`, a warning does not.
    public enum Severity: String, Hashable, Sendable { case error = "ERROR", warning = "WARN" }
    /// The snippet (or main file) it is about.
    public var path: String
    public var severity: Severity
    public var message: String

    public init(_ path: String, _ severity: Severity, _ message: String) {
        self.path = path
        self.severity = severity
        self.message = message
    }
}

extension CtlContext {
    /// `check`: whether the daemon would run the snippets `args` (default: all, enabled and disabled)
    /// as meant on this node. The daemon's own loader decodes the main file with every enabled snippet
    /// (what a start or reload would see) and each snippet on its own; the daemon's unit generator must
    /// accept every promoter resource; each promoter resource must be a DRBD resource here
    /// (`drbdadm sh-resources`) and in one enabled snippet only; each unit a systemd promoter starts
    /// (`drbd-services@`, `drbd-promote@`, the start units) must be known to systemd
    /// (`systemctl show --property=LoadState`). Returns the findings in file order.
    public func check(_ args: [String], config: String) -> [Finding] {
        var findings: [Finding] = []
        do { _ = try ConfigLoader.load(path: config, files: HostFiles()) } catch { findings.append(Finding(config, .error, error.description)) }
        let drbdResources = runner.output(["drbdadm", "sh-resources"]).map { Set($0.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)) }
        if drbdResources == nil { findings.append(Finding(config, .error, "'drbdadm sh-resources' failed: the DRBD resources of this node are unknown")) }
        let systemctl = Systemctl(runner)
        var owner: [String: String] = [:]  // resource -> the enabled snippet that has it
        for path in snippetPaths(args, state: .any) {
            let snippet: Snippet
            do { snippet = try Snippet.load(path) } catch {
                findings.append(Finding(path, .error, error.description))
                continue
            }
            findings += snippet.warnings.map { Finding(path, .warning, $0) }
            for res in snippet.promoterResources {
                if snippet.enabled {
                    if let other = owner[res.name] {
                        findings.append(Finding(path, .error, "resource '\(res.name)' is also managed by '\(other)'"))
                    }
                    owner[res.name] = path
                }
                if let drbdResources, !drbdResources.contains(res.name) {
                    findings.append(Finding(path, .error, "resource '\(res.name)' is not a DRBD resource of this node ('drbdadm sh-resources' does not list it)"))
                }
                guard res.runner == .systemd else { continue }
                do { findings += try PromoterUnits.files(for: res).warnings.map { Finding(path, .warning, "resource '\(res.name)': \($0)") } } catch {
                    findings.append(Finding(path, .error, "resource '\(res.name)': \(error)"))
                    continue
                }
                for unit in [ServiceUnits.target(res.name)] + ServiceUnits.dependencies(res) {
                    let state = systemctl.property("LoadState", of: unit) ?? "unknown"
                    if state != "loaded" {
                        findings.append(Finding(path, .error, "unit '\(unit)' of resource '\(res.name)' is not known to systemd (LoadState=\(state))"))
                    }
                }
            }
        }
        return findings
    }

    /// Prints `findings` (grouped per file) and a last line; whether there was no error.
    public func report(_ findings: [Finding]) -> Bool {
        var last: String?
        for f in findings {
            if f.path != last { console.line("\(f.path):") }
            last = f.path
            let label = f.severity == .error ? console.paint("ERROR:", .bold, .red) : console.paint("WARN:", .bold, .yellow)
            console.line("  \(label) \(f.message)")
        }
        let errors = findings.filter { $0.severity == .error }.count
        if errors == 0 {
            console.line("All is well" + (findings.isEmpty ? "" : " (\(findings.count) warning\(findings.count == 1 ? "" : "s"))"))
        } else {
            console.line("\(errors) problem\(errors == 1 ? "" : "s") found")
        }
        return errors == 0
    }
}
