import Foundation

/// One address of a customer on a channel.
public enum IdentityKind: String, Codable, CaseIterable, Sendable {
    case email, phone
    case chatVisitor = "chat_visitor"
    case whatsapp, messenger, instagram, telegram, external

    /// The identity kind a channel's sender address naturally has.
    public static func natural(for channel: Channel) -> IdentityKind {
        switch channel {
        case .email, .webForm: .email
        case .phone, .sms: .phone
        case .chat: .chatVisitor
        case .whatsapp: .whatsapp
        case .messenger: .messenger
        case .instagram: .instagram
        case .telegram: .telegram
        case .inPerson, .api: .external
        }
    }
}

public struct IdentityAddress: Hashable, Sendable, Codable {
    public let kind: IdentityKind
    public let address: String

    public init(kind: IdentityKind, address: String) {
        self.kind = kind
        self.address = address
    }

    /// Normalises the address for its kind so one person is one identity, or fails with a clear reason.
    public static func normalized(kind: IdentityKind, address raw: String) throws(CareError) -> IdentityAddress {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        switch kind {
        case .email:
            guard let e = IdentityNormalizer.email(trimmed) else {
                throw .invalid(code: "identity.invalid_email", "“\(trimmed)” is not a valid e-mail address.", field: "address")
            }
            return IdentityAddress(kind: kind, address: e)
        case .phone, .whatsapp:
            guard let p = IdentityNormalizer.phone(trimmed) else {
                throw .invalid(code: "identity.invalid_phone", "“\(trimmed)” is not a valid phone number.", field: "address")
            }
            return IdentityAddress(kind: kind, address: p)
        default:
            guard !trimmed.isEmpty, trimmed.count <= 320 else {
                throw .invalid(code: "identity.invalid_address", "The identity address must be 1 to 320 characters.", field: "address")
            }
            return IdentityAddress(kind: kind, address: trimmed)
        }
    }
}
