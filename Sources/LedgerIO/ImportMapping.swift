public import EventLog
import Foundation
import TicketLedger

/// How the columns of a CSV export map to the ledger. Written as JSON for
/// `desk import --map FILE`; the presets in `Presets/` are examples, and the
/// article "Mapping a CSV export" documents every key.
///
/// Two kinds of export:
/// - an **event log** (one row per event: a case, an activity, a time), the
///   default; ``activities`` says which activity names are which ledger events;
/// - a **status snapshot** (one row per update, each carrying the case's current
///   state and fields, as ServiceNow, Jira and GLPI export), when ``snapshot`` is
///   given: events are derived from what changed between a case's consecutive rows.
public struct ImportMapping: Codable, Sendable, Hashable {
    /// The column holding the case (ticket or problem) id.
    public var caseColumn: String
    /// The column holding the activity name (event logs; snapshots use
    /// ``SnapshotMapping/state``).
    public var activityColumn: String?
    /// The column holding the event's (or the update's) time.
    public var timeColumn: String
    /// The column holding who did it, if any.
    public var resourceColumn: String?
    /// The time's layout (``TimeLayout``: `yyyy MM M MMM dd d HH H hh h a mm ss S`),
    /// e.g. `yyyy/MM/dd HH:mm:ss.SSS` or `d/M/yyyy h:mm a`; absent: ISO 8601
    /// (`2012-03-15 11:53:52+00:00`).
    public var timeFormat: String?
    /// The IANA time zone of times that carry no offset (`Europe/Rome`); absent: UTC.
    public var timeZone: String?
    /// Other columns to keep, by the field they become: `category`, `ci`,
    /// `service`, `product`, `client`, `caller`, `title`, `group`, `line`,
    /// `priority`, `impact`, `urgency`, `sla.made`, or any name (kept as a custom
    /// attribute). `priority`, `impact`, `urgency` and `sla.made` are parsed
    /// (the forms: <doc:MappingReference>) and a value not
    /// understood is an error.
    public var attributes: [String: String]
    /// Activity names that mean one of the ledger's events (event logs):
    /// `registered`, `assigned`, `workStarted`, `suspended`, `resumed`, `resolved`,
    /// `reopened`, `closed`, `cancelled`. Any other activity is kept as
    /// `ActivityRecorded` with its name.
    public var activities: [String: String]
    /// Cell values that mean "no value" (compared after trimming spaces): such a
    /// cell is absent, never a value. Default ``defaultMissingValues``.
    public var missingValues: [String]?
    /// What a registration of a case that is already registered means:
    /// ``RepeatedRegistration/update`` (the default: it updates the ticket's
    /// fields and never restarts its clocks) or ``RepeatedRegistration/refuse``
    /// (an error naming the line).
    public var repeatedRegistration: RepeatedRegistration?
    /// The field separator: `,`, `;` or `\t`; absent: detected from the header
    /// line (the most frequent of the three outside quotes).
    public var delimiter: String?
    /// Present for a status-snapshot export: which columns carry the state and
    /// the assignment, and what the states mean.
    public var snapshot: SnapshotMapping?
    /// The fields (as ``attributes`` names them) whose values are personal data:
    /// when the import seals (`PersonalData`), their values on every event are
    /// sealed with the key of the case's caller (the `caller` field). Absent:
    /// ``defaultPersonal``. The caller, the title and the free text of reasons
    /// are sealed whatever this says.
    public var personal: [String]?

    /// `caller`, `title`.
    public static let defaultPersonal = ["caller", "title"]

    /// The choices for a second registration of one case.
    public enum RepeatedRegistration: String, Codable, Sendable, Hashable, CaseIterable {
        /// Kept as a registration event; projections apply it as an update.
        case update
        /// The import stops with the line (or skips the row with `skipInvalid`).
        case refuse
    }

    /// `""`, `?`, `NULL`, `null`, `N/A`, `n/a`.
    public static let defaultMissingValues = ["", "?", "NULL", "null", "N/A", "n/a"]

    /// A mapping; see the properties for what each part means.
    public init(
        caseColumn: String, activityColumn: String?, timeColumn: String, resourceColumn: String? = nil, timeFormat: String? = nil,
        timeZone: String? = nil, attributes: [String: String] = [:], activities: [String: String] = [:], missingValues: [String]? = nil,
        repeatedRegistration: RepeatedRegistration? = nil, delimiter: String? = nil, snapshot: SnapshotMapping? = nil, personal: [String]? = nil
    ) {
        self.personal = personal
        self.caseColumn = caseColumn
        self.activityColumn = activityColumn
        self.timeColumn = timeColumn
        self.resourceColumn = resourceColumn
        self.timeFormat = timeFormat
        self.timeZone = timeZone
        self.attributes = attributes
        self.activities = activities
        self.missingValues = missingValues
        self.repeatedRegistration = repeatedRegistration
        self.delimiter = delimiter
        self.snapshot = snapshot
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case caseColumn = "case", activityColumn = "activity", timeColumn = "time", resourceColumn = "resource", timeFormat, timeZone
        case attributes, activities, missingValues, repeatedRegistration, delimiter, snapshot, personal
    }

    /// Reads a mapping; `attributes` and `activities` may be left out.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            caseColumn: try c.decode(String.self, forKey: .caseColumn), activityColumn: try c.decodeIfPresent(String.self, forKey: .activityColumn),
            timeColumn: try c.decode(String.self, forKey: .timeColumn), resourceColumn: try c.decodeIfPresent(String.self, forKey: .resourceColumn),
            timeFormat: try c.decodeIfPresent(String.self, forKey: .timeFormat), timeZone: try c.decodeIfPresent(String.self, forKey: .timeZone),
            attributes: try c.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:],
            activities: try c.decodeIfPresent([String: String].self, forKey: .activities) ?? [:],
            missingValues: try c.decodeIfPresent([String].self, forKey: .missingValues),
            repeatedRegistration: try c.decodeIfPresent(RepeatedRegistration.self, forKey: .repeatedRegistration),
            delimiter: try c.decodeIfPresent(String.self, forKey: .delimiter), snapshot: try c.decodeIfPresent(SnapshotMapping.self, forKey: .snapshot),
            personal: try c.decodeIfPresent([String].self, forKey: .personal))
    }

    /// A mapping shipped with the library (files in `Sources/LedgerIO/Presets`).
    public static func preset(_ name: String) throws -> ImportMapping {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Presets") else {
            throw ImportError(description: "no preset '\(name)'; the presets are \(presetNames.joined(separator: ", "))")
        }
        return try load(url.path)
    }

    /// The presets' names.
    public static let presetNames = ["helpdesk", "bpi2013-problems", "bpi2013-problems-status", "servicenow"]

    /// Reads a mapping from a JSON file; an unknown key or value is an error that
    /// lists what is allowed.
    public static func load(_ path: String) throws -> ImportMapping {
        guard let data = FileManager.default.contents(atPath: path) else { throw ImportError(description: "\(path): cannot read the mapping") }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ImportError(description: "\(path): not a mapping: not a JSON object")
        }
        try checkKeys(object, allowed: CodingKeys.allCases.map(\.rawValue), in: path, at: "")
        if let snapshot = object["snapshot"] as? [String: Any] {
            try checkKeys(snapshot, allowed: SnapshotMapping.CodingKeys.allCases.map(\.rawValue), in: path, at: "snapshot.")
        }
        let mapping: ImportMapping
        do {
            mapping = try JSONDecoder().decode(ImportMapping.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let at = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ImportError(description: "\(path): '\(at)': \(context.debugDescription); repeatedRegistration is one of \(RepeatedRegistration.allCases.map(\.rawValue).joined(separator: ", "))")
        } catch let DecodingError.keyNotFound(key, _) {
            throw ImportError(description: "\(path): the key '\(key.stringValue)' is required")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ImportError(description: "\(path): '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type: \(context.debugDescription)")
        } catch {
            throw ImportError(description: "\(path): not a mapping: \(error)")
        }
        try mapping.validate(path)
        return mapping
    }

    private static func checkKeys(_ object: [String: Any], allowed: [String], in path: String, at prefix: String) throws {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ImportError(description: "\(path): unknown key '\(prefix)\(unknown)'; the keys are \(allowed.map { prefix + $0 }.joined(separator: ", "))")
        }
    }

    /// Checks what JSON decoding cannot: event names, state kinds, lines.
    func validate(_ source: String) throws {
        for (activity, event) in activities.sorted(by: { $0.key < $1.key }) where !Self.knownEvents.contains(event) {
            throw ImportError(description: "\(source): activity '\(activity)' maps to '\(event)', which is not one of \(Self.knownEvents.sorted().joined(separator: ", "))")
        }
        if let snapshot {
            for (value, kind) in snapshot.states.sorted(by: { $0.key < $1.key }) where SnapshotMapping.StateKind(kind) == nil {
                throw ImportError(description: "\(source): state '\(value)' maps to '\(kind)', which is not one of \(SnapshotMapping.StateKind.names.joined(separator: ", "))")
            }
            for (group, line) in (snapshot.lines ?? [:]).sorted(by: { $0.key < $1.key }) where SupportLine(importText: line) == nil {
                throw ImportError(description: "\(source): group '\(group)' is on line '\(line)', which is not first, second or specialist")
            }
        } else if activityColumn == nil {
            throw ImportError(description: "\(source): an event log needs the key 'activity' (the activity column); a status snapshot needs 'snapshot'")
        }
        if let delimiter, !["", ",", ";", "\t", "tab"].contains(delimiter) || delimiter.isEmpty {
            throw ImportError(description: "\(source): the delimiter '\(delimiter)' is not one of ',', ';', '\\t'")
        }
        _ = try TimeLayout(timeFormat, timeZone: timeZone)
    }

    /// The fields whose values are parsed (and refused when not understood).
    static let parsedFields: Set<String> = ["priority", "impact", "urgency", "sla.made"]

    static let knownEvents: Set<String> = ["registered", "assigned", "workStarted", "suspended", "resumed", "resolved", "reopened", "closed", "cancelled"]

    /// Parses a time in this mapping's format and zone (see ``TimeLayout``), or
    /// returns nil (also for a format or zone that is not valid).
    public func parseTime(_ text: String) -> Timestamp? {
        (try? TimeLayout(timeFormat, timeZone: timeZone))?.parse(text)
    }
}

/// The status-snapshot part of an ``ImportMapping``: one row per update of a
/// case, each carrying its current state and fields.
///
/// Between a case's consecutive rows (in time order, ties by ``sequence``, then
/// file order) the importer derives: its registration (at the ``opened`` time)
/// from the first row; `assigned` when the group changes (`escalated` when its
/// line rises, by ``lines``); `workStarted` when the agent changes on an active
/// ticket; `reprioritised` when priority, impact or urgency change;
/// `classified` when category, service or CI change; and from the state:
/// `workStarted`, `suspended` (with its reason), `resumed`, `resolved` (at the
/// ``resolved`` time), `reopened`, `closed` (at the ``closed`` time, resolved
/// first if it was not), `cancelled`. A row that changes only other kept
/// fields becomes `ActivityRecorded` ("updated"), so its values reach the ticket.
public struct SnapshotMapping: Codable, Sendable, Hashable {
    /// The column holding the case's state on each row.
    public var state: String
    /// A second state column (a sub-status): `states` keys of the form
    /// `State/Detail` are tried first, then `State` alone.
    public var stateDetail: String?
    /// What each state value means: `new`, `active`, `suspended`,
    /// `suspended:caller`, `suspended:vendor`, `suspended:change`,
    /// `suspended:problem`, `resolved`, `closed`, `cancelled`. A value not listed
    /// is an error naming the line.
    public var states: [String: String]
    /// A numeric column that orders a case's rows of equal time (`sys_mod_count`).
    public var sequence: String?
    /// The assignment group column.
    public var group: String?
    /// The assigned agent column.
    public var agent: String?
    /// The support line of each group (`first`, `second`, `specialist`); a group
    /// not listed is on the first line unless a `line` column says otherwise.
    public var lines: [String: String]?
    /// When the case was opened (the registration's time); absent: its first row's time.
    public var opened: String?
    /// When it was resolved (the resolution's time); absent: the row's time.
    public var resolved: String?
    /// When it was closed (the closure's time); absent: the row's time.
    public var closed: String?
    /// The resolution or closure code column.
    public var closeCode: String?

    /// A snapshot mapping; see the properties.
    public init(
        state: String, stateDetail: String? = nil, states: [String: String], sequence: String? = nil, group: String? = nil, agent: String? = nil,
        lines: [String: String]? = nil, opened: String? = nil, resolved: String? = nil, closed: String? = nil, closeCode: String? = nil
    ) {
        self.state = state
        self.stateDetail = stateDetail
        self.states = states
        self.sequence = sequence
        self.group = group
        self.agent = agent
        self.lines = lines
        self.opened = opened
        self.resolved = resolved
        self.closed = closed
        self.closeCode = closeCode
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case state, stateDetail, states, sequence, group, agent, lines, opened, resolved, closed, closeCode
    }

    /// What a state value means.
    enum StateKind: Hashable, Sendable {
        case new, active, suspended(SuspensionReasonName), resolved, closed, cancelled

        enum SuspensionReasonName: String, Hashable, Sendable { case caller, vendor, change, problem, other }

        static let names = ["new", "active", "suspended", "suspended:caller", "suspended:vendor", "suspended:change", "suspended:problem", "resolved", "closed", "cancelled"]

        init?(_ name: String) {
            switch name {
            case "new": self = .new
            case "active": self = .active
            case "suspended": self = .suspended(.other)
            case "resolved": self = .resolved
            case "closed": self = .closed
            case "cancelled": self = .cancelled
            default:
                guard name.hasPrefix("suspended:"), let reason = SuspensionReasonName(rawValue: String(name.dropFirst(10))) else { return nil }
                self = .suspended(reason)
            }
        }

        var isFinished: Bool { self == .resolved || self == .closed || self == .cancelled }
    }

    /// The kind of a state (and detail) value, nil when the mapping does not list it.
    func kind(_ state: String, detail: String?) -> StateKind? {
        if let detail, let name = states[state + "/" + detail] { return StateKind(name) }
        return states[state].flatMap(StateKind.init)
    }
}
