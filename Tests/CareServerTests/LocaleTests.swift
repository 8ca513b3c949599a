import CareCore
@testable import CareServer
import Foundation
import Testing

@Suite("Locales")
struct LocaleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func table(_ lang: String) throws -> [String: String] {
        let data = try Data(contentsOf: root.appendingPathComponent("Resources/Locales/\(lang).json"))
        return try JSONDecoder().decode([String: String].self, from: data)
    }

    @Test("every key exists in English, Greek and Croatian, and placeholders match")
    func sameKeys() throws {
        let en = try Self.table("en"), el = try Self.table("el"), hr = try Self.table("hr")
        #expect(Set(en.keys) == Set(el.keys))
        #expect(Set(en.keys) == Set(hr.keys))
        for (key, text) in en {
            for other in [el, hr] {
                for p in ["{0}", "{1}"] where text.contains(p) {
                    #expect(other[key]?.contains(p) == true, "\(key) lacks \(p)")
                }
            }
        }
    }

    @Test("every #t key used in templates and code exists")
    func templatesUseKnownKeys() throws {
        let en = try Self.table("en")
        let views = Self.root.appendingPathComponent("Resources/Views")
        var used = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: views.path) where file.hasSuffix(".leaf") {
            let text = try String(contentsOf: views.appendingPathComponent(file), encoding: .utf8)
            let pattern = try NSRegularExpression(pattern: #"#t\("([a-z_.]+)""#)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                used.insert(String(text[Range(m.range(at: 1), in: text)!]))
            }
        }
        #expect(used.count > 50)
        #expect(used.subtracting(en.keys).isEmpty, "missing: \(used.subtracting(en.keys).sorted())")
        // Labels built from enums.
        for c in CareCore.Channel.allCases { #expect(en["channel.\(c.rawValue)"] != nil) }
        for s in ConversationStatus.allCases { #expect(en["status.\(s.rawValue)"] != nil) }
        for p in Priority.allCases { #expect(en["priority.\(p.rawValue)"] != nil) }
        for k in ConversationKind.allCases { #expect(en["kind.\(k.rawValue)"] != nil) }
        for k in IdentityKind.allCases { #expect(en["identity.\(k.rawValue)"] != nil) }
        for k in ConversationEventKind.allCases where k != .created { #expect(en.keys.contains { $0.hasPrefix("event.\(k.rawValue)") }) }
    }

    @Test("dates are written in the reader's language and time zone")
    func dates() throws {
        let t = Translator(tables: [:])
        let date = Date(timeIntervalSince1970: 1_790_000_000) // 2026-09-21 14:13 UTC
        let el = t.formatDate(date, .el, timeZone: "Europe/Athens")
        let hr = t.formatDate(date, .hr, timeZone: "Europe/Zagreb")
        // Greek writes the 12-hour clock (5:13 μ.μ.); Croatian the 24-hour one.
        #expect(el.contains("5:13") && el.contains("Σεπ"), "\(el)")
        #expect(hr.contains("16:13") && hr.contains("2026"), "\(hr)")
    }
}
