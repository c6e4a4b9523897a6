import Testing
import ReactorCore

/// The one retry-delay shape of the daemon.
@Suite struct BackoffTests {
    @Test func doublesUpToTheLimit() {
        var b = Backoff(first: .seconds(2), limit: .seconds(60))
        #expect((0..<7).map { _ in b.next() } == [2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
        #expect(b.current == .seconds(60))
    }

    @Test func aLimitThatIsNotAPowerOfTwoOfTheFirstIsReachedExactly() {
        var b = Backoff(first: .seconds(1), limit: .seconds(30))
        #expect((0..<7).map { _ in b.next() } == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
    }

    @Test func resetStartsFromTheFirstDelayAgain() {
        var b = Backoff(first: .seconds(1), limit: .seconds(30))
        _ = b.next()
        _ = b.next()
        #expect(b.current == .seconds(4))
        b.reset()
        #expect(b.next() == .seconds(1))
        #expect(b.next() == .seconds(2))
    }

    @Test func aQuietPeriodResetsOnlyWhenItIsLongEnough() {
        let t0 = Instant(nanoseconds: 1_000_000_000)
        var b = Backoff(first: .seconds(2), limit: .seconds(60))
        _ = b.next()
        _ = b.next()
        b.reset(ifQuietSince: t0, now: t0 + .seconds(59), period: .seconds(60))
        #expect(b.current == .seconds(8))
        b.reset(ifQuietSince: nil, now: t0 + .seconds(600), period: .seconds(60))
        #expect(b.current == .seconds(8))
        b.reset(ifQuietSince: t0, now: t0 + .seconds(60), period: .seconds(60))
        #expect(b.current == .seconds(2))
    }
}
