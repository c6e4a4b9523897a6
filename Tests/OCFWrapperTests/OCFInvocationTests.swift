import Testing
@testable import OCFWrapper
import OCFWrapper
import ReactorCore
import ReactorSystem

/// The environment of an `ocf.rs@ip1_r0.service`, as the unit and the promoter's drop-in set it.
func unitEnvironment(_ extra: [String: String] = [:]) -> (String) -> String? {
    var env = ["AGENT": "/usr/lib/ocf/resource.d/heartbeat/IPaddr2", "OCF_ROOT": "/usr/lib/ocf",
               "OCF_RESOURCE_INSTANCE": "ip1_r0", "monitor_inverval": "30", "OCF_RESKEY_ip": "10.0.0.1"]
    env.merge(extra) { _, new in new }
    return { env[$0] }
}

@Suite struct OCFInvocationTests {
    @Test func parsesTheUnitsInvocation() throws {
        let i = try OCFInvocation.parse(arguments: ["start-and-monitor", "ocf.rs@ip1_r0.service"], environment: unitEnvironment())
        #expect(i.action == .startAndMonitor)
        #expect(i.agent == "/usr/lib/ocf/resource.d/heartbeat/IPaddr2")
        #expect(i.id == "IPaddr2:ip1_r0")
        #expect(i.interval.seconds == 30)
        #expect(!i.mainProcessExitedCleanly)
    }

    @Test func requiresTheVariablesInTheOriginalsOrder() {
        #expect(throws: OCFWrapperError.missingVariable("AGENT")) {
            try OCFInvocation.parse(arguments: ["bogus"], environment: { _ in nil })
        }
        #expect(throws: OCFWrapperError.missingVariable("OCF_ROOT")) {
            try OCFInvocation.parse(arguments: ["stop"], environment: { $0 == "AGENT" ? "/a" : nil })
        }
        #expect(throws: OCFWrapperError.missingVariable("OCF_RESOURCE_INSTANCE")) {
            try OCFInvocation.parse(arguments: ["stop"], environment: { $0 == "OCF_RESOURCE_INSTANCE" ? nil : "x" })
        }
        #expect(throws: OCFWrapperError.missingAction) { try OCFInvocation.parse(arguments: [], environment: unitEnvironment()) }
    }

    @Test func unknownVerbHasTheOriginalsMessage() {
        #expect(throws: OCFWrapperError.unknownAction("monitor")) {
            try OCFInvocation.parse(arguments: ["monitor"], environment: unitEnvironment())
        }
        #expect(OCFWrapperError.unknownAction("monitor").description == "Action 'monitor' not implemented")
        #expect(OCFWrapperError.missingVariable("AGENT").description == "'AGENT' has to be set")
    }

    @Test func stopAfterACleanExitOnly() throws {
        func clean(_ code: String?, _ status: String?) throws -> Bool {
            var extra: [String: String] = [:]
            extra["EXIT_CODE"] = code
            extra["EXIT_STATUS"] = status
            return try OCFInvocation.parse(arguments: ["stop"], environment: unitEnvironment(extra)).mainProcessExitedCleanly
        }
        #expect(try clean("exited", "0"))
        #expect(try !clean("exited", "1"))
        #expect(try !clean("killed", "TERM"))
        #expect(try !clean(nil, nil))
        #expect(try !clean("exited", nil))
    }

    @Test(arguments: [
        ("/usr/lib/ocf/resource.d/heartbeat/IPaddr2", "IPaddr2:r"), ("agent", "agent:r"),
        ("/x/fs/", "fs:r"), ("/", "/:r"), ("/x/..", "/x/..:r"),
    ])
    func idIsTheAgentsBasename(agent: String, id: String) throws {
        let i = try OCFInvocation.parse(arguments: ["stop"], environment: { ["AGENT": agent, "OCF_ROOT": "", "OCF_RESOURCE_INSTANCE": "r"][$0] })
        #expect(i.id == id)
    }
}

@Suite struct OCFMonitorIntervalTests {
    func interval(_ env: [String: String]) -> UInt64 { OCFMonitorInterval(environment: { env[$0] }).seconds }

    @Test func rules() {
        #expect(interval([:]) == 30)
        #expect(interval(["monitor_interval": "10"]) == 10)
        #expect(interval(["monitor_interval": "+12"]) == 12)
        #expect(interval(["monitor_interval": "4"]) == 5)
        #expect(interval(["monitor_interval": "0"]) == 5)
        for bad in ["", "ten", "-1", " 10", "10s", "1.5", "99999999999999999999999"] {
            #expect(interval(["monitor_interval": bad]) == 30, "\(bad)")
        }
    }

    @Test func correctSpellingWinsOverTheUnitsTypo() {
        #expect(interval(["monitor_inverval": "30", "monitor_interval": "7"]) == 7)
        #expect(interval(["monitor_inverval": "9"]) == 9)
        #expect(interval(["monitor_inverval": "9", "monitor_interval": "bad"]) == 30)
    }

    @Test func initialDelayAddsUpToHalfAnInterval() {
        let i = OCFMonitorInterval(seconds: 30)
        #expect(i.initialDelay(jitter: 0) == .seconds(30))
        #expect(i.initialDelay(jitter: 14) == .seconds(44))
        #expect(i.initialDelay(jitter: 15) == .seconds(30))
        #expect(OCFMonitorInterval(seconds: 5).initialDelay(jitter: .max) <= .seconds(6))
    }
}
