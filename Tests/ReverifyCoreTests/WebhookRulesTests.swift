import ReverifyCore
import XCTest

final class RetryScheduleTests: XCTestCase {
    func testStandardScheduleCoversAboutADayInEightAttempts() {
        let schedule = RetrySchedule.standard
        XCTAssertEqual(schedule.maximumAttempts, 8)
        XCTAssertEqual(schedule.window, .seconds(5 + 300 + 1800 + 7200 + 18_000 + 36_000 + 36_000))
        XCTAssertGreaterThan(schedule.window, .seconds(86_400))
        XCTAssertLessThan(schedule.window, .seconds(2 * 86_400))
        XCTAssertEqual(schedule.description, "5s,5m,30m,2h,5h,10h,10h")
    }

    func testJitteredDelayStaysWithinHalfAndAllOfTheStep() {
        let schedule = RetrySchedule.standard
        for (index, step) in schedule.delays.enumerated() {
            let attempt = index + 1
            XCTAssertEqual(schedule.delay(afterAttempt: attempt, jitter: 0), .milliseconds(step.wholeMilliseconds / 2))
            XCTAssertEqual(schedule.delay(afterAttempt: attempt, jitter: 1), step)
            for _ in 0..<200 {
                let delay = schedule.delay(afterAttempt: attempt, jitter: Double.random(in: 0...1))!
                XCTAssertGreaterThanOrEqual(delay, .milliseconds(step.wholeMilliseconds / 2))
                XCTAssertLessThanOrEqual(delay, step)
            }
        }
    }

    func testJitterOutsideTheUnitIntervalIsClamped() {
        XCTAssertEqual(RetrySchedule.standard.delay(afterAttempt: 1, jitter: -3), .milliseconds(2500))
        XCTAssertEqual(RetrySchedule.standard.delay(afterAttempt: 1, jitter: 7), .seconds(5))
    }

    func testNoDelayAfterTheLastAttempt() {
        XCTAssertNil(RetrySchedule.standard.delay(afterAttempt: 8, jitter: 0.5))
        XCTAssertNil(RetrySchedule.standard.delay(afterAttempt: 0, jitter: 0.5))
        XCTAssertNil(RetrySchedule([]).delay(afterAttempt: 1, jitter: 0.5))
    }

    func testStepsGrowSoTheBackoffIsExponentialInShape() {
        let delays = RetrySchedule.standard.delays
        for (earlier, later) in zip(delays, delays.dropFirst()) { XCTAssertLessThanOrEqual(earlier, later) }
    }

    func testParsing() {
        XCTAssertEqual(RetrySchedule(parsing: "5s,5m,30m,2h,5h,10h,10h"), .standard)
        XCTAssertEqual(RetrySchedule(parsing: " 500ms, 1s ,1d")?.delays, [.milliseconds(500), .seconds(1), .seconds(86_400)])
        for bad in ["", "5", "5x", "5s,,5m", "-5s", "s", "1.5s", "9999999999s"] {
            XCTAssertNil(RetrySchedule(parsing: bad), bad)
        }
        XCTAssertEqual(RetrySchedule(parsing: "1s,1s,1s")?.description, "1s,1s,1s")
    }
}

final class DeliveryPolicyTests: XCTestCase {
    let now = UnixMilliseconds(1_795_000_000_000)
    let policy = DeliveryPolicy(schedule: .standard)
    let mid = (delivery: 0.5, pause: 0.5)

    func verdict(_ status: Int, retryAfter: String? = nil) -> DeliveryVerdict {
        DeliveryVerdict.classify(status: status, retryAfter: retryAfter, now: now.unixTime)
    }

    func testEvery2xxIsDelivered() {
        for status in [200, 201, 202, 204, 299] { XCTAssertEqual(verdict(status), .delivered) }
        XCTAssertEqual(policy.decide(.delivered, attempt: 8, now: now, jitter: mid), .delivered)
    }

    func testGoneDisablesTheEndpoint() {
        XCTAssertEqual(verdict(410), .gone)
        XCTAssertEqual(policy.decide(.gone, attempt: 1, now: now, jitter: mid), .disableEndpoint)
    }

    func testOtherStatusesRetryOnTheScheduleWithoutPausingTheEndpoint() {
        for status in [301, 302, 400, 401, 404, 500, 501] { XCTAssertEqual(verdict(status), .failed, "\(status)") }
        XCTAssertEqual(
            policy.decide(.failed, attempt: 1, now: now, jitter: (0, 0)), .retry(at: now + .milliseconds(2500), pauseEndpointUntil: nil))
        XCTAssertEqual(
            policy.decide(.failed, attempt: 2, now: now, jitter: (1, 0)), .retry(at: now + .seconds(300), pauseEndpointUntil: nil))
    }

    func testTheLastAttemptDeadLetters() {
        XCTAssertEqual(policy.decide(.failed, attempt: 8, now: now, jitter: mid), .dead)
        XCTAssertEqual(policy.decide(.throttled(retryAfter: .seconds(1)), attempt: 8, now: now, jitter: mid), .dead)
        let short = DeliveryPolicy(schedule: RetrySchedule([.seconds(1), .seconds(1)]))
        XCTAssertNotEqual(short.decide(.failed, attempt: 2, now: now, jitter: mid), .dead)
        XCTAssertEqual(short.decide(.failed, attempt: 3, now: now, jitter: mid), .dead)
    }

    func testOverloadStatusesSlowTheEndpointDown() {
        for status in [429, 502, 503, 504] { XCTAssertEqual(verdict(status), .throttled(retryAfter: nil), "\(status)") }
        XCTAssertEqual(
            policy.decide(.throttled(retryAfter: nil), attempt: 3, now: now, jitter: (1, 1)),
            .retry(at: now + .seconds(1800), pauseEndpointUntil: now + .seconds(5)))
    }

    func testRetryAfterSecondsIsHonouredAsAMinimum() {
        XCTAssertEqual(verdict(503, retryAfter: "120"), .throttled(retryAfter: .seconds(120)))
        XCTAssertEqual(verdict(500, retryAfter: "7"), .throttled(retryAfter: .seconds(7)), "any Retry-After slows down")
        XCTAssertEqual(
            policy.decide(.throttled(retryAfter: .seconds(120)), attempt: 1, now: now, jitter: (1, 1)),
            .retry(at: now + .seconds(120), pauseEndpointUntil: now + .seconds(120)))
        // A shorter Retry-After never shortens the backoff.
        XCTAssertEqual(
            policy.decide(.throttled(retryAfter: .seconds(1)), attempt: 2, now: now, jitter: (1, 1)),
            .retry(at: now + .seconds(300), pauseEndpointUntil: now + .seconds(5)))
    }

    func testRetryAfterIsCapped() {
        XCTAssertEqual(
            policy.decide(.throttled(retryAfter: .seconds(10 * 86_400)), attempt: 1, now: now, jitter: (1, 1)),
            .retry(at: now + .seconds(86_400), pauseEndpointUntil: now + .seconds(86_400)))
    }

    func testRetryAfterHTTPDate() {
        XCTAssertEqual(RetryAfter.parse("Wed, 18 Nov 2026 11:08:40 GMT", now: UnixTime(1_795_000_000)), .seconds(120))
        XCTAssertEqual(RetryAfter.parse("Wed, 18 Nov 2026 11:00:00 GMT", now: UnixTime(1_795_000_000)), .zero, "past dates mean now")
        for bad in ["soon", "-5", "", "1.5", "Wed, 18 Nov 2026 11:08:40 PST", "Wed, 31 Foo 2026 11:08:40 GMT"] {
            XCTAssertNil(RetryAfter.parse(bad, now: UnixTime(1_795_000_000)), bad)
        }
    }
}

final class RFC3339Tests: XCTestCase {
    func testUTCFormatting() {
        XCTAssertEqual(UnixTime(0).rfc3339, "1970-01-01T00:00:00Z")
        XCTAssertEqual(UnixTime(1_795_000_000).rfc3339, "2026-11-18T11:06:40Z")
        XCTAssertEqual(UnixTime(1_709_211_661).rfc3339, "2024-02-29T13:01:01Z")
        XCTAssertEqual(UnixTime(951_782_400).rfc3339, "2000-02-29T00:00:00Z")
        XCTAssertEqual(UnixTime(-1).rfc3339, "1969-12-31T23:59:59Z")
        XCTAssertEqual(UnixTime(4_102_444_800).rfc3339, "2100-01-01T00:00:00Z")
    }

    func testMillisecondsRoundDownToTheirSecond() {
        XCTAssertEqual(UnixMilliseconds(1_795_000_000_999).unixTime, UnixTime(1_795_000_000))
        XCTAssertEqual(UnixMilliseconds(-1).unixTime, UnixTime(-1))
        XCTAssertEqual(UnixMilliseconds(UnixTime(5)) + .milliseconds(1500), UnixMilliseconds(6500))
    }
}

final class IPAddressTests: XCTestCase {
    func testParsing() {
        XCTAssertEqual(IPAddress("192.0.2.1"), .v4([192, 0, 2, 1]))
        XCTAssertEqual(IPAddress("::1"), .v6([UInt8](repeating: 0, count: 15) + [1]))
        XCTAssertEqual(IPAddress("::ffff:10.0.0.1")?.bytes.suffix(6), [0xff, 0xff, 10, 0, 0, 1])
        XCTAssertEqual(IPAddress("2001:db8:0:0:0:0:0:1"), IPAddress("2001:db8::1"))
        XCTAssertEqual(IPAddress("fe80::")?.bytes.first, 0xfe)
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "0x7f.0.0.1", "2130706433", "localhost", ":::",
            "1::2::3", "12345::", "::g", "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7"]
        {
            XCTAssertNil(IPAddress(bad), bad)
        }
    }

    func testScopes() {
        let expected: [String: AddressScope] = [
            "8.8.8.8": .public, "1.1.1.1": .public, "93.184.216.34": .public,
            "127.0.0.1": .loopback, "127.8.9.10": .loopback, "::1": .loopback,
            "10.1.2.3": .private, "172.16.0.1": .private, "172.31.255.255": .private, "192.168.1.1": .private,
            "100.64.0.1": .private, "fc00::1": .private, "fd12:3456::1": .private,
            "169.254.169.254": .linkLocal, "fe80::1": .linkLocal,
            "0.0.0.0": .unspecified, "::": .unspecified,
            "224.0.0.1": .multicast, "ff02::1": .multicast,
            "255.255.255.255": .reserved, "192.0.2.10": .reserved, "2001:db8::1": .reserved,
            "172.32.0.1": .public, "172.15.255.255": .public, "100.128.0.1": .public, "2606:4700::1111": .public,
            // IPv4 hidden inside IPv6 is judged by the IPv4 address.
            "::ffff:127.0.0.1": .loopback, "::ffff:169.254.169.254": .linkLocal, "::ffff:8.8.8.8": .public,
            "64:ff9b::10.0.0.1": .private, "2002:7f00:1::": .loopback, "2002:0808:0808::": .public,
        ]
        for (text, scope) in expected {
            XCTAssertEqual(IPAddress(text)?.scope, scope, text)
        }
        XCTAssertTrue(AddressScope.public.isPublic)
        XCTAssertFalse(AddressScope.loopback.isPublic)
    }

    func testFromBytes() {
        XCTAssertEqual(IPAddress(bytes: [127, 0, 0, 1])?.scope, .loopback)
        XCTAssertNil(IPAddress(bytes: [1, 2, 3]))
        XCTAssertEqual(IPAddress(bytes: [10, 0, 0, 1])?.description, "10.0.0.1")
    }
}

final class WebhookURLTests: XCTestCase {
    func testAccepted() throws {
        let url = try WebhookURL.parse("https://Hooks.Example.com/reverify?x=1").get()
        XCTAssertEqual(url.host, "hooks.example.com")
        XCTAssertEqual(url.port, 443)
        XCTAssertTrue(url.isHTTPS)
        XCTAssertEqual(try WebhookURL.parse("http://127.0.0.1:8080/hook").get().port, 8080)
        XCTAssertEqual(try WebhookURL.parse("http://[::1]:9000/").get().literalAddress?.scope, .loopback)
        XCTAssertNil(try WebhookURL.parse("https://example.com").get().literalAddress)
    }

    func testRefused() {
        for bad in [
            "ftp://example.com/", "example.com/hook", "https://", "https://user:pw@example.com/", "https://example.com/#x",
            "https://exa mple.com/", "https://example.com:0/", "https://example.com:70000/", "https://example.com:ab/",
            "http://[::1/", "http://[nope]/", "https://ex%61mple.com/", "file:///etc/passwd",
        ] {
            if case .success = WebhookURL.parse(bad) { XCTFail("accepted \(bad)") }
        }
    }
}

final class WebhookEventTypeTests: XCTestCase {
    func testListParsing() {
        XCTAssertEqual(
            try WebhookEventType.parseList("authentication.reauthenticated, session.revoked,session.revoked").get(),
            [.authenticationReauthenticated, .sessionRevoked])
        XCTAssertEqual(WebhookEventType.parseList("session.revoked,nope"), .failure(.init(name: "nope")))
    }
}
