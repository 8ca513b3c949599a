import Foundation

public enum AgentRole: String, Codable, CaseIterable, Sendable {
    case admin, supervisor, agent

    /// Supervisors and admins see every conversation; agents see their teams' and unassigned ones.
    public var seesAllConversations: Bool { self != .agent }
    public var isAdmin: Bool { self == .admin }
}

/// The three languages of the UI and of built-in content.
public enum UILanguage: String, Codable, CaseIterable, Sendable {
    case en, el, hr

    public static func parse(_ s: String?) -> UILanguage? {
        guard let s else { return nil }
        return UILanguage(rawValue: String(s.lowercased().prefix(2)))
    }

    /// The locale used to format dates and numbers for this language.
    public var localeIdentifier: String {
        switch self {
        case .en: "en_GB"
        case .el: "el_GR"
        case .hr: "hr_HR"
        }
    }
}

public enum PasswordPolicy {
    public static let minimumLength = 10

    public static func check(_ password: String) throws(CareError) {
        guard password.count >= minimumLength else {
            throw .invalid(code: "agent.password_too_short", "The password must have at least \(minimumLength) characters.", field: "password")
        }
        guard password.count <= 200 else {
            throw .invalid(code: "agent.password_too_long", "The password must have at most 200 characters.", field: "password")
        }
    }
}
