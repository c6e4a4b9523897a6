import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorUMH
@testable import ReactorDebugger
@testable import ReactorAgentX
@testable import ReactorPrometheus
@testable import ReactorDaemon

/// The sorted-array map under the model, checked against a `Dictionary` fed the same operations.
@Suite struct SmallMapTests {
    @Test func staysSortedAndAgreesWithADictionary() {
        var map: SmallMap<Int32, String> = [:]
        var reference: [Int32: String] = [:]
        // A fixed pseudo-random walk of inserts, replacements and removals over a few keys.
        var state: UInt32 = 12345
        for step in 0..<500 {
            state = state &* 1_103_515_245 &+ 12345
            let key = Int32((state >> 16) % 7)
            switch step % 4 {
            case 0, 1:
                #expect(map.updateValue("\(step)", forKey: key) == reference.updateValue("\(step)", forKey: key))
            case 2:
                #expect(map.removeValue(forKey: key) == reference.removeValue(forKey: key))
            default:
                map[key] = nil
                reference[key] = nil
            }
            #expect(Array(map.keys) == reference.keys.sorted())
            #expect(Array(map.values) == reference.sorted { $0.key < $1.key }.map(\.value))
            #expect(map.count == reference.count)
            #expect(map.isEmpty == reference.isEmpty)
            for k in Int32(0)..<7 { #expect(map[k] == reference[k]) }
        }
    }

    @Test func integerKeysAreKeysNotPositions() {
        let map: SmallMap<Int32, String> = [5: "five", 1: "one"]
        #expect(map[1] == "one")
        #expect(map[0] == nil)
        #expect(map.map(\.key) == [1, 5])
        #expect(map.description == "[1: one, 5: five]")
    }

    @Test func changesInPlaceThroughKeyAndPosition() {
        var map: SmallMap<Int32, [Int]> = [2: [1]]
        map[2]?.append(2)
        map[3, default: []].append(0)
        if let i = map.index(forKey: 2) { map[valueAt: i].append(3) }
        #expect(map[2] == [1, 2, 3])
        #expect(map[3] == [0])
        #expect(map.index(forKey: 4) == nil)
    }

    @Test func equalityAndHashFollowTheContents() {
        var a: SmallMap<Int32, Int> = [1: 10, 2: 20]
        var b: SmallMap<Int32, Int> = [2: 20]
        b[1] = 10
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        a[2] = 21
        #expect(a != b)
    }
}
