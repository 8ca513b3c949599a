import Foundation

/// The one error type of the domain. `code` is stable and machine-readable (e.g. "conversation.not_found");
/// the API renders it as RFC 9457 problem+json and the web UI as a friendly page.
public struct CareError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case invalid, notFound, forbidden, unauthorized, conflict, tooLarge, rateLimited
    }

    public struct FieldError: Sendable, Equatable, Codable {
        public let field: String
        public let message: String
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public let kind: Kind
    public let code: String
    public let message: String
    public let fieldErrors: [FieldError]

    public init(kind: Kind, code: String, message: String, fieldErrors: [FieldError] = []) {
        self.kind = kind
        self.code = code
        self.message = message
        self.fieldErrors = fieldErrors
    }

    public var description: String { "\(code): \(message)" }

    public static func invalid(code: String, _ message: String, field: String? = nil) -> CareError {
        CareError(kind: .invalid, code: code, message: message,
                  fieldErrors: field.map { [FieldError(field: $0, message: message)] } ?? [])
    }

    public static func notFound(_ what: String, id: (any CustomStringConvertible)? = nil) -> CareError {
        let suffix = id.map { " \($0)" } ?? ""
        return CareError(kind: .notFound, code: "\(what).not_found", message: "No \(what.replacingOccurrences(of: "_", with: " "))\(suffix) exists.")
    }

    public static func forbidden(_ message: String = "You are not allowed to do this.") -> CareError {
        CareError(kind: .forbidden, code: "auth.forbidden", message: message)
    }

    public static func conflict(code: String, _ message: String) -> CareError {
        CareError(kind: .conflict, code: code, message: message)
    }
}
