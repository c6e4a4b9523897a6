import Testing
@testable import ReactorCore

/// Match rules as the virtual bus applies them.
struct BusMatchRuleTests {
    @Test func rulesFilterLikeABusDaemon() throws {
        let rule = try #require(BusMatchRule("type='signal',sender='s',path_namespace='/a/b',interface='i',member='m'"))
        let m = BusMessage(sender: "s", path: "/a/b/c", interface: "i", member: "m", arguments: [])
        #expect(rule.matches(m))
        var other = m
        other.path = "/a/bc"
        #expect(!rule.matches(other), "a path namespace covers the path and what is below it, not a longer name")
        other = m
        other.sender = nil
        #expect(!rule.matches(other))
        #expect(try #require(BusMatchRule("type='signal',path='/a'")).matches(BusMessage(path: "/a", interface: "x", member: "y", arguments: [])))
    }

    @Test func malformedOrUnknownRulesDoNotParse() {
        #expect(BusMatchRule("type='method_call'") == nil)
        #expect(BusMatchRule("arg0='x'") == nil)
        #expect(BusMatchRule("member=x") == nil)
        #expect(BusMatchRule("member='x'junk") == nil)
        #expect(BusMatchRule("member='x") == nil)
    }
}
