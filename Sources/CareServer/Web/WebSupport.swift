import CareCore
import CareData
import Foundation
import Vapor

/// What every signed-in page's layout needs: who is signed in, the CSRF token, the navigation counts.
struct PageChrome: Encodable {
    let agentName: String
    let agentId: Int
    let isAdmin: Bool
    let csrf: String
    let lang: String
    let page: String
    let title: String

    init(_ req: Request, page: String, title: String) throws {
        let current = try req.requireAgent()
        agentName = current.agent.name
        agentId = current.viewer.agentId
        isAdmin = current.agent.role.isAdmin
        csrf = current.csrfToken ?? ""
        lang = req.uiLanguage.rawValue
        self.page = page
        self.title = title
    }
}

/// A choice in a <select>.
struct Option: Encodable {
    let value: String
    let label: String
    let selected: Bool
}

extension Request {
    func formatDate(_ date: Date) -> String {
        let tz = currentAgent?.agent.timeZone ?? "Europe/Athens"
        return care.translator.formatDate(date, uiLanguage, timeZone: tz)
    }

    /// "12 KB", "3,4 MB" in the reader's language.
    func formatByteCount(_ bytes: Int) -> String {
        let f = ByteCountFormatter()
        f.countStyle = .file
        let text = f.string(fromByteCount: Int64(bytes))
        // ByteCountFormatter ignores the locale on Linux: give the decimal mark the reader expects.
        return uiLanguage == .en ? text : text.replacingOccurrences(of: ".", with: ",")
    }

    /// ISO form for <time datetime=...> so scripts and tests can read exact times.
    func isoDate(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    func label(_ prefix: String, _ raw: String) -> String { t("\(prefix).\(raw)") }

    func options<E: RawRepresentable & CaseIterable>(_ type: E.Type, prefix: String, selected: E?) -> [Option] where E.RawValue == String {
        E.allCases.map { value in
            Option(value: value.rawValue, label: label(prefix, value.rawValue), selected: selected?.rawValue == value.rawValue)
        }
    }

    /// Reads a form field, refusing absurd sizes.
    func formField(_ name: String, max: Int = 100_000) throws -> String? {
        guard let v = try? content.get(String.self, at: name) else { return nil }
        guard v.count <= max else {
            throw CareError.invalid(code: "form.too_long", "The field \(name) is too long (at most \(max) characters).", field: name)
        }
        return v
    }

    func intParameter(_ name: String) throws -> Int {
        guard let raw = parameters.get(name), let v = Int(raw), v > 0 else {
            throw CareError(kind: .notFound, code: "request.not_found", message: "No such page.")
        }
        return v
    }

    /// Where to go back to after a form: a local path only, never another site.
    func safeRedirect(_ target: String?, fallback: String) -> Response {
        if let t = target, t.hasPrefix("/"), !t.hasPrefix("//"), !t.contains("\\") { return redirect(to: t) }
        return redirect(to: fallback)
    }
}
