import ReactorPromoter
import ReactorSystem

/// The pure part of `edit`: the `#|` header, what a saved file means, and validation
/// with the daemon's own decoder plus the checks the original's edit made.
public enum EditSession {
    /// The lines prepended to the file in the editor; `error` is the last round's problem.
    public static func header(error: String?) -> String {
        var lines = [
            "#| Please edit the snippet below. Lines beginning with a '#|' will be ignored,",
            "#| and an empty file will abort the edit. If an error occurs while saving this file will be",
            "#| reopened with the relevant failures. Line numbers in errors count without the '#|' lines.",
            "#|",
        ]
        if let error {
            lines.append("#| Error: " + error.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n#| "))
        } else {
            lines.append("#| Happy editing:")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The text without its `#|` lines: what would be saved.
    public static func strip(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#|") }.joined(separator: "\n")
    }

    /// What to do with an edited text.
    public enum Verdict: Hashable, Sendable {
        /// Nothing but blanks: abort, keep the old file.
        case empty
        /// The same as before this round: abort, keep the old file.
        case unchanged
        /// Valid: save it (the warnings are shown).
        case save(warnings: [String])
        /// Invalid: reopen with this error.
        case invalid(String)
    }

    /// Judges `edited` (already stripped) against `previous` (this round's starting text);
    /// `fromTemplate` makes a first round from a template count as changed. `path` is where it would be
    /// saved, so errors name it, with the line in the saved text.
    public static func verdict(
        _ edited: String, previous: String, fromTemplate: Bool, path: String, kind: PluginKind, force: Bool
    ) -> Verdict {
        let text = edited.trimmingBlanks
        if text.isEmpty { return .empty }
        if !fromTemplate && text == previous.trimmingBlanks { return .unchanged }
        do { return .save(warnings: try validate(edited, path: path, kind: kind, force: force)) } catch {
            return .invalid(error.description)
        }
    }

    /// The daemon's decoder, then exactly one plugin, of type `kind`; for a promoter, the daemon's unit
    /// generator must accept every resource, and a mount unit last in `start` is an error unless `force`.
    public static func validate(_ text: String, path: String, kind: PluginKind, force: Bool) throws(CtlError) -> [String] {
        let snippet = try Snippet.decode(text, path: path)
        guard snippet.plugins.count == 1 else { throw .invalidSnippet("Expected exactly 1 plugin configuration") }
        guard snippet.plugins[0].kind == kind.rawValue else { throw .invalidSnippet("Expected exactly one \(kind.rawValue) plugin") }
        var warnings = snippet.warnings
        for res in snippet.promoterResources where res.runner == .systemd {
            let generated: [String]
            do { generated = try PromoterUnits.files(for: res).warnings } catch {
                throw .invalidSnippet("\(path): '\(res.name)': \(error)")
            }
            for w in generated {
                guard force else { throw .invalidSnippet(w) }
                warnings.append(w)
            }
        }
        return warnings
    }
}

extension CtlContext {
    /// `edit`: each file (existing or new, from `kind`'s template) in `$EDITOR` (default `vi`), reopened
    /// with the error until it is valid, emptied or left unchanged; saved by rename. The temporary file
    /// is created next to the snippets directory, not in it, so `drbd-reactor-reload.path` sees only
    /// the final rename (the original created it inside). Returns the saved paths.
    @discardableResult
    public func edit(_ args: [String], kind: PluginKind, force: Bool, disabled: Bool) throws(CtlError) -> [String] {
        var saved: [String] = []
        let editor = environment["EDITOR"].flatMap { $0.isEmpty ? nil : $0 } ?? "vi"
        for path in snippetPaths(args, state: disabled ? .disabled : .enabled, mustExist: false) {
            if try editOne(path, kind: kind, force: force, editor: editor) { saved.append(path) }
        }
        try reloadIfChanged(saved)
        return saved
    }

    func editOne(_ path: String, kind: PluginKind, force: Bool, editor: String) throws(CtlError) -> Bool {
        let existing = snippets.isFile(path) ? (try? FileSystem.readFile(path)).map { String(decoding: $0, as: UTF8.self) } : nil
        var previous = existing ?? kind.template
        var fromTemplate = existing == nil
        var error: String?
        let name = String(path[path.index(after: path.lastIndex(of: "/")!)...])  // resolved paths are absolute
        let tmp: String
        do {
            tmp = try Blocking.createTemporaryFile(
                directory: SnippetDirectory.parent(of: snippets.path), prefix: ".\(name).", suffix: ".toml", contents: "")
        } catch { throw .io(path: snippets.path, error) }
        defer { try? FileSystem.remove(tmp) }
        while true {
            do { try Blocking.overwrite(tmp, EditSession.header(error: error) + previous) } catch { throw .io(path: tmp, error) }
            let outcome: Blocking.Outcome
            // Through sh, so an EDITOR with arguments ("emacs -nw") works.
            let argv = ["sh", "-c", editor + " \"$1\"", "sh", tmp]
            do { outcome = try runner.run(argv, stdin: .inherit, stdout: .inherit, stderr: .inherit) } catch {
                throw .editor("'\(editor)' could not be started: \(error)")
            }
            guard outcome.exit.success else { throw .editor("'\(editor)' failed: \(outcome.exit)") }
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(tmp) } catch { throw .io(path: tmp, error) }
            let edited = EditSession.strip(String(decoding: bytes, as: UTF8.self))
            switch EditSession.verdict(edited, previous: previous, fromTemplate: fromTemplate, path: path, kind: kind, force: force) {
            case .empty:
                console.warn("Edit aborted, empty file saved")
                return false
            case .unchanged:
                console.warn("Edit aborted, no new changes have been made")
                return false
            case .invalid(let e):
                console.progress("Error: \(e)")
                error = e
                previous = edited
                fromTemplate = false
            case .save(let warnings):
                for w in warnings { console.warn(w) }
                do {
                    try Blocking.overwrite(tmp, edited)
                    try Blocking.rename(tmp, to: path)
                } catch {
                    do { try FileSystem.writeAtomically(path, edited) } catch { throw .io(path: path, error) }
                }
                return true
            }
        }
    }
}
