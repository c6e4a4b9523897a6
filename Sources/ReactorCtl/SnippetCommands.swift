import ReactorSystem

/// `enable`, `disable`, `rm`, `cat` and `restart`: renaming, removing and showing snippet files, then
/// one daemon reload when anything changed. A file that cannot be renamed or removed is reported and
/// the others are still done; the command then fails (`CtlError.incomplete`). A failing systemctl call
/// (reload, restart, stop) fails the command too, as in the original.
extension CtlContext {
    /// `disable [--now]`: `x.toml` -> `x.toml.disabled`, reload, then with `now` stop the targets of the
    /// disabled promoters (after the reload, so the daemon does not start them again; every target is
    /// tried, the first failure is thrown). Returns the disabled files.
    @discardableResult
    public func disable(_ args: [String], now: Bool) throws(CtlError) -> [String] {
        let (done, error) = disableReporting(args, now: now)
        if let error { throw error }
        return done
    }

    /// `disable`, returning the disabled files also when a later step (reload, stop) failed.
    func disableReporting(_ args: [String], now: Bool) -> (done: [String], error: CtlError?) {
        var done: [String] = []
        var targets: [String] = []
        let paths = snippetPaths(args, state: .enabled)
        for path in paths {
            let resources = (try? Snippet.load(path))?.promoterResources ?? []
            console.progress("Disabling '\(path)'...")
            if rename(path, to: SnippetDirectory.disabledName(path)) {
                done.append(path)
                targets += resources.map { ServiceUnits.target($0.name) }
            }
        }
        do throws(CtlError) {
            try reloadIfChanged(done)
            if now { try requireAll(targets.map { ["systemctl", "stop", $0] }) }
            try requireAll(done: done.count, of: paths.count)
        } catch { return (done, error) }
        return (done, nil)
    }

    /// `enable`: `x.toml.disabled` -> `x.toml` (never over an existing `x.toml`), reload.
    @discardableResult
    public func enable(_ args: [String]) throws(CtlError) -> [String] {
        var done: [String] = []
        var failed = 0
        for path in snippetPaths(args, state: .disabled) {
            let target = SnippetDirectory.enabledName(path)
            if Blocking.exists(target) {
                console.warn("'\(target)' already exists, doing nothing")
                continue
            }
            console.progress("Enabling '\(path)'...")
            if rename(path, to: target) { done.append(target) } else { failed += 1 }
        }
        try reloadIfChanged(done)
        try requireAll(done: done.count, of: done.count + failed)
        return done
    }

    /// `rm [--disabled] [--force]`: removes the files, asking first unless `force`; `ask` reads one
    /// answer line (nil at end of input).
    @discardableResult
    public func remove(_ args: [String], disabled: Bool, force: Bool, ask: () -> String?) throws(CtlError) -> [String] {
        var done: [String] = []
        var failed = 0
        for path in snippetPaths(args, state: disabled ? .disabled : .enabled) {
            console.progress("Removing '\(path)'...")
            guard force || confirm("Remove '\(path)'? [N/y] ", ask: ask) else { continue }
            do { try Blocking.unlink(path); done.append(path) } catch {
                console.progress("Error: \(CtlError.io(path: path, error))")
                failed += 1
            }
        }
        try reloadIfChanged(done)
        try requireAll(done: done.count, of: done.count + failed)
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
    public func restart(_ args: [String], withTargets: Bool) throws(CtlError) {
        guard !args.isEmpty else { return try runner.require(["systemctl", "restart", ServiceUnits.daemon]) }
        // What was disabled is enabled again even when a reload or stop failed: a failed restart must
        // not leave the snippet off. The first error is reported.
        let (disabled, error) = disableReporting(args, now: withTargets)
        try enable(disabled.map(SnippetDirectory.disabledName))
        if let error { throw error }
    }

    func rename(_ from: String, to: String) -> Bool {
        do { try Blocking.rename(from, to: to) } catch {
            console.progress("Error: \(CtlError.io(path: from, error))")
            return false
        }
        return true
    }

    func reloadIfChanged(_ changed: [String]) throws(CtlError) {
        if !changed.isEmpty { try Systemctl(runner).reloadDaemonUnlessAutoloaded() }
    }

    /// Runs every command (none is skipped because an earlier one failed); throws the first failure.
    func requireAll(_ commands: [[String]]) throws(CtlError) {
        var first: CtlError?
        for argv in commands {
            do { try runner.require(argv) } catch { first = first ?? error }
        }
        if let first { throw first }
    }

    /// Throws `.incomplete` when fewer than all files were done (each failure was reported already).
    func requireAll(done: Int, of total: Int) throws(CtlError) {
        if done < total { throw .incomplete(failed: total - done, of: total) }
    }
}
