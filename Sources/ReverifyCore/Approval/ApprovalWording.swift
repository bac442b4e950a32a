/// The `authorization_details` of an approval in a person's words (issue 12 item 4: "Pay 50.00 EUR to
/// Example Corp"). Pure: the approval email and page show these lines, HTML-escaped by the template.
public enum ApprovalWording {
    /// Fields whose meaning the wording knows; everything else is listed as `key: value`.
    static let payeeKeys = ["creditor", "payee", "recipient", "to"]

    /// A headline sentence and the remaining fields, in a stable order.
    public static func lines(for detail: [String: JSONValue]) -> (headline: String, fields: [String]) {
        var rest = detail
        rest["type"] = nil
        let action = rest.removeValue(forKey: "action")?.string ?? "an action"
        let amount = rest["amount"].flatMap(Self.scalar)
        let currency = rest["currency"]?.string
        let payeeKey = payeeKeys.first { rest[$0]?.string != nil }
        let headline: String
        if let amount, let currency, let payeeKey, let payee = rest[payeeKey]?.string {
            headline = "Pay \(amount) \(currency) to \(payee)"
            for key in ["amount", "currency", payeeKey] { rest[key] = nil }
        } else if let amount, let currency {
            headline = "Pay \(amount) \(currency)"
            for key in ["amount", "currency"] { rest[key] = nil }
        } else {
            headline = "Perform “\(action)”"
        }
        var fields = rest.keys.sorted().map { "\($0): \(Self.text(rest[$0]!))" }
        if headline.hasPrefix("Pay") { fields.insert("action: \(action)", at: 0) }
        return (headline, fields)
    }

    /// A string, number or boolean as a person reads it; `nil` for anything structured.
    static func scalar(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s
        case .number(let n): n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): b ? "yes" : "no"
        case .null: "none"
        case .array, .object: nil
        }
    }

    /// Any value: scalars as above, a list comma-separated, an object as `key value` pairs in key order.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .array(let items): return items.map(text).joined(separator: ", ")
        case .object(let members): return "(" + members.keys.sorted().map { "\($0) \(text(members[$0]!))" }.joined(separator: ", ") + ")"
        default: return scalar(value) ?? ""
        }
    }
}
