import CareCore
import Foundation
import Vapor

/// A request that breaks the limits documented in openapi.yaml (lengths, ranges, cursor): `400`, not `422`.
/// It carries a stable `code` and the offending fields like `CareError`; as an `AbortError` it is a 400 even where
/// ErrorRendering does not know it (it then loses the specific code and fields).
struct APIBadRequest: AbortError, CustomStringConvertible {
    let code: String
    let message: String
    let fieldErrors: [CareError.FieldError]

    init(code: String, message: String, fieldErrors: [CareError.FieldError]) {
        self.code = code
        self.message = message
        self.fieldErrors = fieldErrors
    }

    /// A domain error that, in the API, is a malformed request (an unreadable cursor, a limit out of range).
    init(_ e: CareError) {
        self.init(code: e.code, message: e.message, fieldErrors: e.fieldErrors)
    }

    var status: HTTPResponseStatus { .badRequest }
    var reason: String { message }
    var description: String { "\(code): \(message)" }
}

/// Collects every documented limit a request breaks before answering, so a client can fix them all at once.
/// (The generated code checks types, required properties and enum values, but not lengths and ranges.)
struct Limits {
    private var code: String?
    private var errors: [CareError.FieldError] = []

    /// Lengths count Unicode code points, as JSON Schema's minLength/maxLength do.
    mutating func length(_ value: String?, _ range: ClosedRange<Int>, _ field: String) {
        guard let value, !range.contains(value.unicodeScalars.count) else { return }
        add("request.invalid_length", field: field,
            range.lowerBound == 0 ? "“\(field)” must be at most \(range.upperBound) characters long."
                : "“\(field)” must be \(range.lowerBound) to \(range.upperBound) characters long.")
    }

    mutating func range(_ value: Int?, _ range: ClosedRange<Int>, _ field: String) {
        guard let value, !range.contains(value) else { return }
        add("request.out_of_range", field: field, "“\(field)” must be between \(range.lowerBound) and \(range.upperBound).")
    }

    /// Properties whose schema does not allow null (the generated types would read null as "absent").
    mutating func notNull(_ nullKeys: Set<String>, _ fields: [String]) {
        for field in fields where nullKeys.contains(field) {
            add("request.null_value", field: field, "“\(field)” cannot be null; leave it out to keep the current value.")
        }
    }

    mutating func add(_ code: String, field: String, _ message: String) {
        if self.code == nil { self.code = code }
        errors.append(.init(field: field, message: message))
    }

    mutating func add(_ e: CareError) {
        if code == nil { code = e.code }
        errors += e.fieldErrors.isEmpty ? [.init(field: "", message: e.message)] : e.fieldErrors
    }

    /// Validates `cursor` and `limit` of a list request and returns the page size to use.
    mutating func page(cursor: String?, limit: Int?) -> Int {
        if let cursor {
            do throws(CareError) { _ = try KeysetCursor.decode(cursor) } catch { add(error) }
        }
        do throws(CareError) { return try PageSize.clamp(limit) } catch {
            add(error)
            return PageSize.default
        }
    }

    func check() throws(APIBadRequest) {
        guard let code, !errors.isEmpty else { return }
        let message = errors.count == 1 ? errors[0].message : errors.map(\.message).joined(separator: " ")
        throw APIBadRequest(code: code, message: message, fieldErrors: errors)
    }
}

extension CareError {
    /// The same error with its field names placed under `prefix`, e.g. `address` -> `identities[2].address`.
    func nested(under prefix: String) -> CareError {
        CareError(kind: kind, code: code, message: message,
                  fieldErrors: fieldErrors.map { .init(field: $0.field.isEmpty ? prefix : "\(prefix).\($0.field)", message: $0.message) })
    }
}

extension Request {
    /// Top-level properties the JSON body sets to an explicit `null`.
    ///
    /// The generated types cannot tell `"assigneeId": null` ("unassign") from a missing property ("leave as is"),
    /// so PATCH handlers look at the raw body. This needs the body collected before the generated code streams it
    /// (see APIBodyLimit); a streamed body yields no keys, which means "leave as is".
    var explicitNullKeys: Set<String> {
        guard let buffer = body.data, buffer.readableBytes > 0,
              let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            return []
        }
        return Set(object.compactMap { $0.value is NSNull ? $0.key : nil })
    }
}
