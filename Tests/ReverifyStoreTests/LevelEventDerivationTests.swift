import Foundation
import ReverifyCore
@testable import ReverifyStore
import Testing

/// Issue 10, item 7: `authentication.reauthenticated` carries the level before and after, the level
/// requested and the rules that demanded it, taken from the audit row's detail.
@Suite struct LevelEventDerivationTests {
    func reauthentication(_ detail: [String: String]) -> AuditRecord {
        AuditRecord(
            at: UnixTime(1_795_000_000), event: .reauthentication, outcome: .success, userId: UserID(rawValue: "usr_1"),
            sessionId: SessionID(rawValue: "ses_1"), clientId: ClientID(rawValue: "cli_1"), method: .emailCode,
            reason: "acr", ipAddress: nil, userAgent: nil, detail: detail)
    }

    let stepUp = [
        "auth_time": "1795000000", "previous_auth_time": "1794999900", "amr": "otp mfa", "acr": ACR.multiFactor.rawValue,
        "acr_before": ACR.singleFactor.rawValue, "trigger_reason": "acr", "trigger_max_age": "300",
        "trigger_action": "billing.change", "trigger_acr": ACR.multiFactor.rawValue, "trigger_acr_source": "client_floor action",
    ]

    @Test func aStepUpEventCarriesTheLevelBeforeAfterAndRequested() throws {
        let data = WebhookEventDerivation.data(for: reauthentication(stepUp))
        #expect(data.previousAcr == .singleFactor)
        #expect(data.acr == .multiFactor)
        #expect(data.trigger == WebhookTrigger(
            reason: "acr", maxAge: 300, action: "billing.change", acr: .multiFactor, acrSource: [.clientFloor, .action]))
    }

    @Test func theLevelFieldsAppearInTheJSONBody() throws {
        let body = try JSONSerialization.jsonObject(with: JSONEncoder().encode(WebhookEventDerivation.data(for: reauthentication(stepUp))))
            as! [String: Any]
        #expect(body["previous_acr"] as? String == ACR.singleFactor.rawValue)
        let trigger = try #require(body["trigger"] as? [String: Any])
        #expect(trigger["acr"] as? String == ACR.multiFactor.rawValue)
        #expect(trigger["acr_source"] as? [String] == ["client_floor", "action"])
    }

    @Test func withoutARequestedLevelTheTriggerKeepsItsEarlierShape() throws {
        var detail = stepUp
        detail["trigger_acr"] = nil
        detail["trigger_acr_source"] = nil
        let trigger = WebhookEventDerivation.data(for: reauthentication(detail)).trigger
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(trigger)) as! [String: Any]
        #expect(Set(json.keys) == ["reason", "max_age", "action"])
    }
}
