import Logging
import Testing
@testable import ReactorCore
@testable import ReactorLoop
@testable import ReactorDaemon

/// `drbdadm --version` asked once and shared, on the virtual backend (drbdadm is a virtual child).
@Suite struct DRBDVersionSourceTests {
    let backend = VirtualBackend()
    let loop: EventLoop
    let source: DRBDVersionSource
    /// How many drbdadm children ran.
    var runs: Int { backend.spawnLog.filter { $0 == ["drbdadm", "--version"] }.count }

    init() {
        loop = EventLoop(backend: backend, logger: Logger(label: "test"))
        source = DRBDVersionSource(loop: loop, logger: Logger(label: "test"), environment: { [] })
        installDrbdadm(kmod: "0x090208", exitStatus: 0)
    }

    /// A drbdadm that answers after 100 ms of virtual time.
    func installDrbdadm(kmod: String, exitStatus: Int32) {
        backend.install("drbdadm") { child in
            child.after(.milliseconds(100)) {
                child.print("DRBD_KERNEL_VERSION_CODE=\(kmod)", "DRBDADM_VERSION_CODE=0x091c00")
                child.exit(exitStatus)
            }
        }
    }

    func run(until done: () -> Bool) throws {
        var n = 0
        while !done() && n < 1000 {
            try loop.runOnce(timeout: nil)
            n += 1
        }
        #expect(done())
    }

    @Test func askersWhileTheQueryRunsShareItAndLaterOnesGetTheAnswerAtOnce() throws {
        var answers: [String] = []
        source.request { answers.append("prometheus \($0.kmod)") }
        source.request { answers.append("agentx \($0.kmod)") }
        source.request { answers.append("promoter \($0.kmod)") }
        try run { answers.count == 3 }
        #expect(answers == ["prometheus 9.2.8", "agentx 9.2.8", "promoter 9.2.8"])
        source.request { answers.append("later \($0.utils)") }
        #expect(answers.last == "later 9.28.0", "a known answer is given without a turn of the loop")
        #expect(runs == 1)
    }

    @Test func forgottenVersionsAreAskedForAgain() throws {
        var answers: [DRBDVersions] = []
        source.request { answers.append($0) }
        try run { answers.count == 1 }
        installDrbdadm(kmod: "0x090300", exitStatus: 0)  // the module was replaced
        source.forget()
        source.request { answers.append($0) }
        try run { answers.count == 2 }
        #expect(answers.map(\.kmod) == ["9.2.8", "9.3.0"])
        #expect(runs == 2)
    }

    /// An answer of a query that was running when the versions were forgotten is handed out, not kept.
    @Test func forgettingDuringTheQueryKeepsItsAnswerFromLaterAskers() throws {
        var answers: [DRBDVersions] = []
        source.request { answers.append($0) }
        source.forget()
        try run { answers.count == 1 }
        source.request { answers.append($0) }
        try run { answers.count == 2 }
        #expect(runs == 2)
    }

    @Test func aFailedDrbdadmIsNotKept() throws {
        installDrbdadm(kmod: "0x090208", exitStatus: 20)
        var answers: [DRBDVersions] = []
        source.request { answers.append($0) }
        try run { answers.count == 1 }
        source.request { answers.append($0) }
        try run { answers.count == 2 }
        #expect(runs == 2)
    }

    @Test func aMissingDrbdadmAnswersUnknownFromTheLoopAndIsTriedAgain() throws {
        backend.uninstall("drbdadm")
        var answers: [DRBDVersions] = []
        source.request { answers.append($0) }
        #expect(answers.isEmpty, "not answered inside the asker's own call")
        try run { answers.count == 1 }
        #expect(answers == [.unknown])
        installDrbdadm(kmod: "0x090208", exitStatus: 0)
        source.request { answers.append($0) }
        try run { answers.count == 2 }
        #expect(answers.last?.kmod == "9.2.8")
    }

    @Test func stopKillsTheQueryAndAnswersNobody() throws {
        backend.install("drbdadm") { _ in }  // hangs
        var answered = false
        source.request { _ in answered = true }
        try loop.runOnce(timeout: .milliseconds(1))
        source.stop()
        try run { loop.runningChildren == 0 }
        source.request { _ in answered = true }
        try loop.runOnce(timeout: .milliseconds(1))
        #expect(!answered)
        #expect(runs == 1)
    }
}
