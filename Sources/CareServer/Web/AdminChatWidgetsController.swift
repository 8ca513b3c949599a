import CareCore
import CareData
import Foundation
import Vapor

/// Admin → Chat widgets: the chat widgets companies embed in their sites (docs/CHAT.md): look, greeting,
/// language, team, where it may be embedded, uploads, opening hours; the line to paste and a preview.
/// Mounted behind RequireRole(.admin) with the other admin pages.
enum AdminChatWidgetsController {
    static func register(_ admin: any RoutesBuilder) {
        let w = admin.grouped("chat-widgets")
        w.get(use: list)
        w.post(use: create)
        w.get(":id", use: edit)
        w.post(":id", use: update)
        w.post(":id", "delete", use: delete)
        w.get(":id", "preview", use: preview)
    }

    struct Row: Encodable {
        let id: Int
        let name: String
        let team: String?
        let active: Bool
        let origins: String
    }

    struct Day: Encodable {
        let index: Int
        let label: String
        let hours: String
    }

    struct Form: Encodable {
        let id: Int?
        let name: String
        let teams: [Option]
        let mailboxes: [Option]
        let colour: String
        let positions: [Option]
        let languages: [Option]
        let greetingEn: String
        let greetingEl: String
        let greetingHr: String
        let allowedOrigins: String
        let uploadMaxMB: String
        let uploadTypes: String
        let timeZone: String
        let days: [Day]
        let active: Bool
    }

    struct ListPage: Encodable {
        let chrome: PageChrome
        let widgets: [Row]
        let form: Form
    }

    struct EditPage: Encodable {
        let chrome: PageChrome
        let form: Form
        let snippet: String
        let previewURL: String
    }

    struct PreviewPage: Encodable {
        let title: String
        let key: String
        let lang: String
    }

    static func list(req: Request) async throws -> View {
        let teams = try await req.store.agents.teams()
        let rows = try await req.store.chat.widgets().map { w in
            Row(id: w.id!, name: w.name, team: teams.first { $0.id == w.teamId }?.name, active: w.active,
                origins: w.allowedOrigins.isEmpty ? req.t("admin.any_site") : w.allowedOrigins.split(whereSeparator: \.isNewline).joined(separator: ", "))
        }
        return try await req.view.render("admin-chat-widgets", ListPage(
            chrome: try PageChrome(req, page: "admin", title: req.t("admin.chat_widgets")), widgets: rows,
            form: try await form(nil, req: req)))
    }

    static func edit(req: Request) async throws -> View {
        let widget = try await req.store.chat.widget(try req.intParameter("id"))
        return try await req.view.render("admin-chat-widget", EditPage(
            chrome: try PageChrome(req, page: "admin", title: widget.name), form: try await form(widget, req: req),
            snippet: snippet(widget, req: req), previewURL: "/admin/chat-widgets/\(widget.id!)/preview"))
    }

    static func create(req: Request) async throws -> Response {
        let widget = try await req.store.chat.createWidget(try settings(req), publicKey: Secrets.randomToken(bytes: 15),
                                                            by: try req.viewer, ip: req.clientIP)
        return req.redirect(to: "/admin/chat-widgets/\(widget.id!)")
    }

    static func update(req: Request) async throws -> Response {
        let id = try req.intParameter("id")
        _ = try await req.store.chat.updateWidget(id, try settings(req), by: try req.viewer, ip: req.clientIP)
        return req.redirect(to: "/admin/chat-widgets/\(id)")
    }

    static func delete(req: Request) async throws -> Response {
        try await req.store.chat.deleteWidget(try req.intParameter("id"), by: try req.viewer, ip: req.clientIP)
        return req.redirect(to: "/admin/chat-widgets")
    }

    /// A plain page with nothing but the widget, as a site would embed it.
    static func preview(req: Request) async throws -> Response {
        let widget = try await req.store.chat.widget(try req.intParameter("id"))
        let view = try await req.view.render("chat-preview", PreviewPage(title: widget.name, key: widget.publicKey,
                                                                          lang: req.uiLanguage.rawValue))
        let response = try await view.encodeResponse(for: req)
        // Our usual policy, plus blob: images (the widget shows files through object URLs), as a site would allow.
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: SecurityHeaders.policy.replacingOccurrences(
            of: "img-src 'self' data: https:", with: "img-src 'self' data: https: blob:"))
        return response
    }

    /// The line a site pastes into its pages.
    static func snippet(_ widget: ChatWidget, req: Request) -> String {
        let base = req.care.config.publicURL ?? "http://\(req.headers.first(name: .host) ?? "localhost:8080")"
        return "<script src=\"\(base)/widget.js\" data-widget=\"\(widget.publicKey)\" async></script>"
    }

    static func form(_ w: ChatWidget?, req: Request) async throws -> Form {
        let teams = try await req.store.agents.teams()
        let mailboxes = try await req.store.mailboxes.all()
        let hours = w?.openingHours
        let language = w?.language ?? "auto"
        let position = w?.position ?? "right"
        return Form(
            id: w?.id, name: w?.name ?? "",
            teams: [Option(value: "", label: req.t("admin.no_team"), selected: w?.teamId == nil)]
                + teams.map { Option(value: String($0.id!), label: $0.name, selected: $0.id == w?.teamId) },
            mailboxes: [Option(value: "", label: req.t("admin.default_mailbox"), selected: w?.mailboxId == nil)]
                + mailboxes.map { Option(value: String($0.id!), label: $0.address, selected: $0.id == w?.mailboxId) },
            colour: w?.colour ?? "#0b6e4f",
            positions: ChatWidgetSettings.positions.map { Option(value: $0, label: req.t("admin.position.\($0)"), selected: $0 == position) },
            languages: ChatWidgetSettings.languages.map {
                Option(value: $0, label: $0 == "auto" ? req.t("admin.language_auto") : req.t("language.\($0)"), selected: $0 == language)
            },
            greetingEn: w?.greetingEn ?? "", greetingEl: w?.greetingEl ?? "", greetingHr: w?.greetingHr ?? "",
            allowedOrigins: w?.allowedOrigins ?? "",
            uploadMaxMB: w.map { Self.megabytes($0.uploadMaxBytes) } ?? "5",
            uploadTypes: w?.uploadTypes ?? "image/*, application/pdf",
            timeZone: hours?.timeZone ?? "Europe/Athens",
            days: (0..<7).map { i in
                Day(index: i, label: req.t("weekday.\(i)"),
                    hours: hours.map { OpeningHours.format($0.days[i]) } ?? (w == nil && i < 5 ? "09:00-17:00" : ""))
            },
            active: w?.active ?? true)
    }

    static func megabytes(_ bytes: Int) -> String {
        let mb = Double(bytes) / 1_048_576
        return mb == mb.rounded() ? String(Int(mb)) : String(format: "%.1f", mb)
    }

    static func settings(_ req: Request) throws -> ChatWidgetSettings {
        func field(_ name: String, max: Int = 500) throws -> String { try req.formField(name, max: max) ?? "" }
        func id(_ name: String) throws -> Int? {
            let raw = try field(name, max: 20)
            guard raw.isEmpty || Int(raw) != nil else {
                throw CareError.invalid(code: "form.invalid_choice", "“\(raw)” is not a valid choice.", field: name)
            }
            return Int(raw)
        }
        let mbRaw = try field("upload_max_mb", max: 20).trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")
        guard let mb = mbRaw.isEmpty ? 0 : Double(mbRaw), mb >= 0, mb.isFinite else {
            throw CareError.invalid(code: "chat_widget.invalid_upload_limit", "The upload limit must be a number of megabytes.", field: "upload_max_mb")
        }
        let days = try (0..<7).map { try OpeningHours.parseDay(try field("day_\($0)", max: 200), field: "day_\($0)") }
        let hours = OpeningHours(timeZone: try field("time_zone", max: 100).trimmingCharacters(in: .whitespaces), days: days)
        return ChatWidgetSettings(
            name: try field("name", max: 300), teamId: try id("team"), mailboxId: try id("mailbox"),
            colour: try field("colour", max: 20), position: try field("position", max: 10), language: try field("language", max: 10),
            greetings: [.en: try field("greeting_en", max: 2000), .el: try field("greeting_el", max: 2000), .hr: try field("greeting_hr", max: 2000)],
            allowedOrigins: try field("allowed_origins", max: 10_000),
            uploadMaxBytes: Int(min(mb, 1_000) * 1_048_576), uploadTypes: try field("upload_types", max: 1000),
            openingHours: hours.isEmpty ? nil : hours,
            active: try req.formField("active", max: 10).map { $0 == "on" || $0 == "true" } ?? false)
    }
}
