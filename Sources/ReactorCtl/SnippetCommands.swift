import Reactor

/// `enable`, `disable`, `rm`, `cat` and `restart`: renaming, removing and showing snippet files, then
/// one daemon reload when anything changed.
extension CtlContext {
    /// `disable [--now]`: `x.toml` -> `x.toml.disabled`, reload, then with `now` stop the targets of the
    /// disabled promoters (after the reload, so the daemon does not start them again). Returns the
    /// disabled files.
    @discardableResult
    public func disable(_ args: [String], now: Bool) -> [String] {
        var done: [String] = []
        var targets: [String] = []
        for path in snippetPaths(args, state: .enabled) {
            let resources = (try? Snippet.load(path))?.promoterResources ?? []
            console.progress("Disabling '\(path)'...")
            if rename(path, to: SnippetDirectory.disabledName(path)) {
                done.append(path)
                targets += resources.map { ServiceUnits.target($0.name) }
            }
        }
        reloadIfChanged(done)
        if now {
            for t in targets { runner.call(["systemctl", "stop", t]) }
        }
        return done
    }

    /// `enable`: `x.toml.disabled` -> `x.toml` (never over an existing `x.toml`), reload.
    @discardableResult
    public func enable(_ args: [String]) -> [String] {
        var done: [String] = []
        for path in snippetPaths(args, state: .disabled) {
            let target = SnippetDirectory.enabledName(path)
            if Blocking.exists(target) {
                console.warn("'\(target)' already exists, doing nothing")
                continue
            }
            console.progress("Enabling '\(path)'...")
            if rename(path, to: target) { done.append(target) }
        }
        reloadIfChanged(done)
        return done
    }

    /// `rm [--disabled] [--force]`: removes the files, asking first unless `force`; `ask` reads one
    /// answer line (nil at end of input).
    @discardableResult
    public func remove(_ args: [String], disabled: Bool, force: Bool, ask: () -> String?) -> [String] {
        var done: [String] = []
        for path in snippetPaths(args, state: disabled ? .disabled : .enabled) {
            console.progress("Removing '\(path)'...")
            guard force || confirm("Remove '\(path)'? [N/y] ", ask: ask) else { continue }
            do { try Blocking.unlink(path); done.append(path) } catch { console.progress("Error: \(CtlError.io(path: path, error))") }
        }
        reloadIfChanged(done)
        return done
    }

    /// Asks until the answer is empty (no), y/yes or n/no, case-insensitively.
    func confirm(_ question: String, ask: () -> String?) -> Bool {
        while true {
            console.write(question)
            guard let answer = ask()?.trimmingBlanks.lowercased() else { return false }
            switch answer {
            case "", "n", "no": return false
            case "y", "yes": return true
            default: console.line("Unknown answer '\(answer)', use 'y' or 'n'")
            }
        }
    }

    /// `cat`: each file through the first of `bat`, `batcat`, `cat` that works.
    public func cat(_ args: [String]) {
        for path in snippetPaths(args, state: .enabled) {
            console.progress("Displaying \(path)...")
            for viewer in ["bat", "batcat", "cat"] {
                let argv = viewer == "cat" ? [viewer, path] : [viewer, "--paging=never", path]
                if (try? runner.run(argv, stdin: .null, stdout: .inherit, stderr: .null))?.exit.success == true { break }
            }
        }
    }

    /// `restart [--with-targets]`: without files the daemon; with files a disable and enable of them
    /// (stopping their targets in between with `withTargets`).
    public func restart(_ args: [String], withTargets: Bool) {
        guard !args.isEmpty else {
            runner.call(["systemctl", "restart", ServiceUnits.daemon])
            return
        }
        let disabled = disable(args, now: withTargets)
        enable(disabled.map(SnippetDirectory.disabledName))
    }

    func rename(_ from: String, to: String) -> Bool {
        do { try Blocking.rename(from, to: to) } catch {
            console.progress("Error: \(CtlError.io(path: from, error))")
            return false
        }
        return true
    }

    func reloadIfChanged(_ changed: [String]) {
        if !changed.isEmpty { Systemctl(runner).reloadDaemonUnlessAutoloaded() }
    }
}
