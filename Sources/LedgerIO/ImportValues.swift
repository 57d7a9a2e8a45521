import TicketLedger

/// The values of priority, impact and urgency in the forms real ITSM tools write
/// them, parsed or refused: never a default.
///
/// - priority: `1`…`5`, `P1`…`P5`, `1 - Critical`, or a word: Critical (1),
///   High (2), Moderate or Medium (3), Low (4), Planning or Very low (5);
/// - impact and urgency: `1`…`3`, `1 - High`, or a word: High, Major,
///   Critical, Extensive (1), Medium, Moderate (2), Low, Minor (3).
///
/// Case and spaces around the value do not matter. A form `N - Word` must agree
/// with itself only in that its number is read; the word is a label.
enum ImportValues {
    /// The priority words and what they mean.
    static let priorityWords: [String: Priority] = [
        "critical": 1, "high": 2, "moderate": 3, "medium": 3, "low": 4, "planning": 5, "very low": 5,
    ]
    /// The impact and urgency words and what they mean.
    static let levelWords: [String: UInt8] = [
        "high": 1, "major": 1, "critical": 1, "extensive": 1, "medium": 2, "moderate": 2, "low": 3, "minor": 3,
    ]

    /// What a priority may look like, for error messages.
    static let priorityForms = "1 to 5, P1 to P5, '1 - Critical', or Critical, High, Moderate, Medium, Low, Planning"
    /// What an impact or urgency may look like, for error messages.
    static let levelForms = "1 to 3, '1 - High', or High, Major, Critical, Medium, Moderate, Low, Minor"

    /// The value of a parsed field as the ledger keeps it: priority `1`…`5`,
    /// impact and urgency `1`…`3`, `sla.made` `true` or `false`; nil when `text`
    /// is none of the forms.
    static func normalised(_ text: String, field: String) -> String? {
        switch field {
        case "priority": priority(text).map { String($0) }
        case "impact", "urgency": level(text).map { String($0) }
        case "sla.made": flag(text).map { String($0) }
        default: text
        }
    }

    /// What a parsed field may look like, for messages.
    static func forms(_ field: String) -> String {
        switch field {
        case "priority": priorityForms
        case "sla.made": "true, false, yes, no, 1, 0, met, missed"
        default: levelForms
        }
    }

    /// "a" or "an" before the field's name.
    static func article(_ field: String) -> String {
        field.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }

    /// A recorded yes-or-no (an SLA made or not).
    static func flag(_ text: String) -> Bool? {
        switch normalised(text) {
        case "true", "yes", "1", "met", "y": true
        case "false", "no", "0", "missed", "breached", "n": false
        default: nil
        }
    }

    /// A priority, or nil when `text` is none of the forms.
    static func priority(_ text: String) -> Priority? {
        let value = normalised(text)
        if let number = leadingNumber(value), (1...5).contains(number) { return Priority(number) }
        if value.hasPrefix("p"), let number = Int(value.dropFirst()), (1...5).contains(number) { return Priority(number) }
        return priorityWords[value]
    }

    /// An impact or urgency level (1 high, 2 medium, 3 low), or nil.
    static func level(_ text: String) -> UInt8? {
        let value = normalised(text)
        if let number = leadingNumber(value) { return (1...3).contains(number) ? UInt8(number) : nil }
        return levelWords[value]
    }

    private static func normalised(_ text: String) -> String {
        text.trimmingSpaces.lowercased()
    }

    /// `3` or `3 - Moderate` (also `3-Moderate`, `3 – Moderate`): the number.
    private static func leadingNumber(_ value: String) -> Int? {
        let digits = value.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int(digits) else { return nil }
        let rest = value.dropFirst(digits.count).trimmingSpaces
        if rest.isEmpty { return number }
        guard let dash = rest.first, dash == "-" || dash == "–" || dash == ":" else { return nil }
        return number
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
