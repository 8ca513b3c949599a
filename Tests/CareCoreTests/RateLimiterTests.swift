import Foundation
import PropertyBased
import Testing
@testable import CareCore

@Suite("RateLimiter")
struct RateLimiterTests {
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func burstThenRefusalWithTheRightWait() {
        let limiter = RateLimiter(burst: 3, perSecond: 0.5)
        for _ in 0..<3 { #expect(limiter.take("1.2.3.4", now: start) == nil) }
        #expect(limiter.take("1.2.3.4", now: start) == 2.0)  // one token takes 2 s at 0.5/s
        // Refusals take nothing: asking again later still waits only for the one missing token.
        #expect(limiter.take("1.2.3.4", now: start + 0.5) == 1.5)
        #expect(limiter.take("1.2.3.4", now: start + 1.5) == 0.5)
        #expect(limiter.take("1.2.3.4", now: start + 2) == nil)
        #expect(limiter.take("1.2.3.4", now: start + 2) == 2.0)
    }

    @Test func refillsOverTimeButNeverBeyondTheBurst() {
        let limiter = RateLimiter(burst: 2, perSecond: 10)
        #expect(limiter.take("k", now: start) == nil)
        #expect(limiter.take("k", now: start) == nil)
        #expect(limiter.take("k", now: start) != nil)
        // 0.1 s gives one token back.
        #expect(limiter.take("k", now: start + 0.1) == nil)
        #expect(limiter.take("k", now: start + 0.1) != nil)
        // An hour idle refills to the burst only.
        let later = start + 3600
        #expect(limiter.take("k", now: later) == nil)
        #expect(limiter.take("k", now: later) == nil)
        let wait = limiter.take("k", now: later)
        #expect(wait != nil && abs(wait! - 0.1) < 1e-9)
    }

    @Test func repeatedSmallRefillsAddUpToWholeTokens() {
        // 10 steps of 0.1 s at 1/s must give a whole token back despite floating-point rounding.
        let limiter = RateLimiter(burst: 1, perSecond: 1)
        #expect(limiter.take("k", now: start) == nil)
        var now = start
        for _ in 0..<9 {
            now += 0.1
            #expect(limiter.take("k", now: now) != nil)
        }
        now += 0.1
        #expect(limiter.take("k", now: now) == nil)
    }

    @Test func clockGoingBackwardsRefillsNothing() {
        let limiter = RateLimiter(burst: 1, perSecond: 1)
        #expect(limiter.take("k", now: start) == nil)
        #expect(limiter.take("k", now: start - 60) == 1)
        #expect(limiter.take("k", now: start + 1) == nil)
    }

    @Test func keysAreIndependent() {
        let limiter = RateLimiter(burst: 1, perSecond: 1)
        #expect(limiter.take("a", now: start) == nil)
        #expect(limiter.take("a", now: start) != nil)
        #expect(limiter.take("b", now: start) == nil)
        #expect(limiter.take("b", now: start) != nil)
        #expect(limiter.take("A", now: start) == nil)  // keys are exact strings
    }

    @Test func evictionKeepsMemoryBoundedAndForgetsFullBucketsFirst() {
        let limiter = RateLimiter(burst: 2, perSecond: 1, maximumKeys: 100)
        // "busy" is drained and keeps being used; thousands of one-off keys pass by.
        #expect(limiter.take("busy", now: start) == nil)
        #expect(limiter.take("busy", now: start) == nil)
        for index in 0..<5_000 {
            let now = start + Double(index) * 0.0001  // 0.5 s in all: "busy" never refills completely
            #expect(limiter.take("visitor-\(index)", now: now) == nil)
            #expect(limiter.trackedKeys <= 100)
        }
        // The one-off buckets (1 of 2 tokens left) were not full, so the oldest went; "busy" was the oldest of all,
        // and that is the price of the bound: it starts over.
        #expect(limiter.trackedKeys <= 100)

        // With refilled buckets around, those are the ones forgotten and an active drained key survives.
        let second = RateLimiter(burst: 1, perSecond: 1, maximumKeys: 10)
        for index in 0..<9 { _ = second.take("old-\(index)", now: start) }
        let later = start + 10  // all old buckets are full again
        #expect(second.take("active", now: later) == nil)  // the 10th key, drained
        #expect(second.take("new-0", now: later) == nil)  // the 11th key triggers eviction of the full ones
        #expect(second.trackedKeys == 2)
        #expect(second.take("active", now: later) != nil)  // still remembered as drained
    }

    @Test func concurrentUseTakesExactlyTheAllowedNumber() async {
        let limiter = RateLimiter(burst: 250, perSecond: 1)
        let now = start
        let allowed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    var count = 0
                    for _ in 0..<20 where limiter.take("shared", now: now) == nil { count += 1 }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(allowed == 250)
        #expect(limiter.take("shared", now: now) == 1)
    }

    /// Over any sequence of requests, a key gets at most burst + rate x elapsed, and a request is refused only when
    /// fewer than one token is left.
    @Test func neverAllowsMoreThanBurstPlusRate() async {
        let gaps = Gen.int(in: 0...2_000).array(of: 1...200)
        await propertyCheck(count: 200, input: Gen.int(in: 1...10), Gen.int(in: 1...50), gaps) { burst, rateTenths, gaps in
            let rate = Double(rateTenths) / 10
            let limiter = RateLimiter(burst: burst, perSecond: rate)
            var now = start
            var allowed = 0
            for gap in gaps {
                now += Double(gap) / 1000
                if let wait = limiter.take("k", now: now) {
                    #expect(wait > 0 && wait <= 1 / rate + 1e-9)
                } else {
                    allowed += 1
                }
            }
            let elapsed = now.timeIntervalSince(start)
            #expect(Double(allowed) <= Double(burst) + elapsed * rate + 1e-6)
        }
    }

    @Test func waitingTheAnnouncedTimeIsEnough() async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...5), Gen.int(in: 1...40)) { burst, rateTenths in
            let limiter = RateLimiter(burst: burst, perSecond: Double(rateTenths) / 10)
            for _ in 0..<burst { #expect(limiter.take("k", now: start) == nil) }
            guard let wait = limiter.take("k", now: start) else {
                Issue.record("expected a refusal after the burst")
                return
            }
            #expect(limiter.take("k", now: start + wait * 0.9) != nil)
            #expect(limiter.take("k", now: start + wait) == nil)
        }
    }
}
