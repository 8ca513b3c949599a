import CareCore
import Foundation
import Leaf
import Vapor

/// Text a person reads comes from Resources/Locales/{en,el,hr}.json. Keys missing in a language fall back to English
/// (a test proves no key is missing), then to the key itself so a gap is visible rather than blank.
public struct Translator: Sendable {
    public let tables: [UILanguage: [String: String]]

    public init(tables: [UILanguage: [String: String]]) { self.tables = tables }

    public static func load(from directory: String) throws -> Translator {
        var tables: [UILanguage: [String: String]] = [:]
        for lang in UILanguage.allCases {
            let path = (directory as NSString).appendingPathComponent("\(lang.rawValue).json")
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError("Missing locale file \(path).")
            }
            tables[lang] = try JSONDecoder().decode([String: String].self, from: data)
        }
        return Translator(tables: tables)
    }

    /// The text for `key`, with {0}, {1}... replaced by `args`.
    public func text(_ key: String, _ lang: UILanguage, _ args: [String] = []) -> String {
        var s = tables[lang]?[key] ?? tables[.en]?[key] ?? key
        for (i, a) in args.enumerated() { s = s.replacingOccurrences(of: "{\(i)}", with: a) }
        return s
    }

    public func formatDate(_ date: Date, _ lang: UILanguage, timeZone: String, style: DateFormatter.Style = .medium,
                           time: DateFormatter.Style = .short) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: lang.localeIdentifier)
        f.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")
        f.dateStyle = style
        f.timeStyle = time
        return f.string(from: date)
    }

    public func formatNumber(_ n: Int, _ lang: UILanguage) -> String {
        let f = NumberFormatter()
        f.locale = Locale(identifier: lang.localeIdentifier)
        f.numberStyle = .decimal
        return f.string(from: NSNumber(value: n)) ?? String(n)
    }
}

/// `#t("key")` or `#t("key", arg0, arg1)` in templates, in the language of the signed-in agent
/// (or the browser's Accept-Language before sign-in). Leaf escapes the result.
struct TranslateTag: LeafTag {
    func render(_ ctx: LeafContext) throws -> LeafData {
        guard let key = ctx.parameters.first?.string else {
            return .string("")
        }
        guard let req = ctx.request else { return .string(key) }
        let args = ctx.parameters.dropFirst().map { $0.string ?? "" }
        return .string(req.care.translator.text(key, req.uiLanguage, Array(args)))
    }
}

extension Request {
    /// The signed-in agent's language, else the best of Accept-Language, else English.
    var uiLanguage: UILanguage {
        if let agent = currentAgent { return agent.agent.language }
        if let lang = query[String.self, at: "lang"].flatMap(UILanguage.parse) { return lang }
        let header = headers.first(name: .acceptLanguage) ?? ""
        for part in header.split(separator: ",") {
            let tag = part.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if let lang = UILanguage.parse(tag) { return lang }
        }
        return .en
    }

    func t(_ key: String, _ args: String...) -> String { care.translator.text(key, uiLanguage, args) }
}
