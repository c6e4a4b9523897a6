import ReactorCore
import ReactorDaemon
import ReactorPromoter
import ReactorSystem

extension CtlContext {
    /// Builds the `status` report of the snippets `args` (enabled and disabled), promoters limited to
    /// `resources` when given; `verbose` probes prometheus addresses (TCP connect, 2 s timeout).
    public func statusReport(_ args: [String], resources: [String], verbose: Bool) -> StatusReport {
        let systemctl = Systemctl(runner)
        var report = StatusReport(daemonState: systemctl.activeState(ServiceUnits.daemon))
        report.daemon = DaemonView.parse(ControlClient(path: RuntimeDirectory.controlSocket(runDirectory)).request("status"))
        for path in snippetPaths(args, state: .any) {
            let snippet: Snippet
            do { snippet = try Snippet.load(path) } catch {
                console.progress("Error: \(error)")
                continue
            }
            for plugin in snippet.plugins {
                let statuses: [PluginStatus]
                switch plugin {
                case .promoter(let c):
                    statuses = c.resources.filter { resources.isEmpty || resources.contains($0.name) }.map { promoterStatus($0, systemctl) }
                case .prometheus(let c):
                    statuses = [.prometheus(address: c.address.description, probes: verbose ? Self.probe(c.address) : [])]
                case .debugger: statuses = [.debugger]
                case .umh: statuses = [.umh]
                case .agentx(let c): statuses = [.agentx(address: c.address.description)]
                }
                report.entries += statuses.map { StatusReport.Entry(path: path, enabled: snippet.enabled, plugin: $0) }
            }
        }
        return report
    }

    func promoterStatus(_ r: PromoterResourceConfig, _ systemctl: Systemctl) -> PluginStatus {
        func unit(_ name: String) -> UnitStatus {
            UnitStatus(name: name, status: systemctl.activeState(name), freezer: systemctl.freezerState(name))
        }
        return .promoter(
            resource: r.name, primaryOn: PrimaryNode.query(r.name, runner: runner, nodeName: nodeName),
            target: unit(ServiceUnits.target(r.name)), dependencies: ServiceUnits.dependencies(r).map(unit))
    }

    /// Connect attempts to where a prometheus endpoint listens (loopback for the any-address).
    static func probe(_ address: ListenAddress) -> [Probe] {
        let targets: [Socket.Address]
        switch address {
        case .any(let port): targets = [.ipv6("::1", port), .ipv4("127.0.0.1", port)]
        case .ipv4(let bytes, let port):
            targets = [.ipv4(bytes.allSatisfy { $0 == 0 } ? "127.0.0.1" : bytes.map(String.init).joined(separator: "."), port)]
        case .ipv6(let bytes, let port):
            targets = [.ipv6(bytes.allSatisfy { $0 == 0 } ? "::1" : Socket.ipv6String(bytes), port)]
        case .host(let name, let port):
            do { targets = try Socket.resolve(host: name, port: port) } catch {
                return [Probe(address: "\(name):\(port)", error: "\(error)")]
            }
        }
        return targets.map { Probe(address: $0.description, error: Blocking.probeConnect($0, milliseconds: 2000).map(\.description)) }
    }
}
