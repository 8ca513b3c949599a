import CareCore
import CareData
import Foundation
import Vapor

/// Admin → Mailboxes: the support addresses CareDesk receives mail for, each with its team, sender name,
/// signature and optional IMAP account. Mounted behind RequireRole(.admin) with the other admin pages.
enum AdminMailboxesController {
    static func register(_ admin: any RoutesBuilder) {
        let m = admin.grouped("mailboxes")
        m.get(use: list)
        m.post(use: create)
        m.get(":id", use: edit)
        m.post(":id", use: update)
        m.post(":id", "delete", use: delete)
        m.post(":id", "check", use: checkNow)
    }

    struct MailboxRow: Encodable {
        let id: Int
        let address: String
        let name: String
        let team: String?
        let active: Bool
        let imap: String?
        let imapStatus: String?
        let imapChecked: String?
    }

    struct MailboxForm: Encodable {
        let id: Int?
        let address: String
        let name: String
        let signature: String
        let active: Bool
        let teams: [Option]
        let imapHost: String
        let imapPort: String
        let securities: [Option]
        let imapUsername: String
        let hasPassword: Bool
        let imapFolder: String
        let imapMoveTo: String
        let imapStatus: String?
    }

    struct ListPage: Encodable {
        let chrome: PageChrome
        let mailboxes: [MailboxRow]
        let form: MailboxForm
        let receiver: String?
        let relay: String?
    }

    struct EditPage: Encodable {
        let chrome: PageChrome
        let form: MailboxForm
    }

    static func list(req: Request) async throws -> View {
        let teams = try await req.store.agents.teams()
        let rows = try await req.store.mailboxes.all().map { m in
            MailboxRow(id: m.id!, address: m.address, name: m.name, team: teams.first { $0.id == m.teamId }?.name, active: m.active,
                       imap: m.imapHost.map { "\(m.imapUsername ?? "")@\($0) · \(m.imapFolder)" }, imapStatus: m.imapStatus,
                       imapChecked: m.imapCheckedAt.map(req.formatDate))
        }
        let mail = req.care.config.mail
        return try await req.view.render("admin-mailboxes", ListPage(
            chrome: try PageChrome(req, page: "admin", title: req.t("admin.mailboxes")), mailboxes: rows,
            form: form(nil, teams: teams, req: req),
            receiver: mail.listen.map { "\($0.host):\($0.port)" },
            relay: mail.relay.map { "\($0.host):\($0.port) (\(mail.relaySecurity))" }))
    }

    static func edit(req: Request) async throws -> View {
        let mailbox = try await req.store.mailboxes.find(try req.intParameter("id"))
        return try await req.view.render("admin-mailbox", EditPage(
            chrome: try PageChrome(req, page: "admin", title: mailbox.address),
            form: form(mailbox, teams: try await req.store.agents.teams(), req: req)))
    }

    static func create(req: Request) async throws -> Response {
        _ = try await req.store.mailboxes.create(try settings(req, existing: nil), by: try req.viewer, ip: req.clientIP)
        req.care.email.ingestor.mailboxes.invalidate()
        return req.redirect(to: "/admin/mailboxes")
    }

    static func update(req: Request) async throws -> Response {
        let id = try req.intParameter("id")
        let existing = try await req.store.mailboxes.find(id)
        _ = try await req.store.mailboxes.update(id, try settings(req, existing: existing), by: try req.viewer, ip: req.clientIP)
        req.care.email.ingestor.mailboxes.invalidate()
        await req.care.email.poller.reconcile()
        return req.redirect(to: "/admin/mailboxes")
    }

    static func delete(req: Request) async throws -> Response {
        try await req.store.mailboxes.delete(try req.intParameter("id"), by: try req.viewer, ip: req.clientIP)
        req.care.email.ingestor.mailboxes.invalidate()
        await req.care.email.poller.reconcile()
        return req.redirect(to: "/admin/mailboxes")
    }

    /// Polls the IMAP account now; the outcome (new mail, or why it failed) shows on the list.
    static func checkNow(req: Request) async throws -> Response {
        // Failures are recorded on the mailbox by the poller and shown on the list.
        _ = try? await req.care.email.poller.pollOnce(mailboxId: try req.intParameter("id"))
        return req.redirect(to: "/admin/mailboxes")
    }

    static func form(_ m: Mailbox?, teams: [Team], req: Request) -> MailboxForm {
        let security = m?.imapSecurity ?? "tls"
        return MailboxForm(
            id: m?.id, address: m?.address ?? "", name: m?.name ?? "", signature: m?.signature ?? "", active: m?.active ?? true,
            teams: [Option(value: "", label: req.t("admin.no_team"), selected: m?.teamId == nil)]
                + teams.map { Option(value: String($0.id!), label: $0.name, selected: $0.id == m?.teamId) },
            imapHost: m?.imapHost ?? "", imapPort: m?.imapPort.map(String.init) ?? "",
            securities: ["tls", "starttls", "none"].map { Option(value: $0, label: req.t("security.\($0)"), selected: $0 == security) },
            imapUsername: m?.imapUsername ?? "", hasPassword: m?.imapPasswordSealed != nil, imapFolder: m?.imapFolder ?? "INBOX",
            imapMoveTo: m?.imapMoveTo ?? "", imapStatus: m?.imapStatus)
    }

    /// The form's fields as settings; a new IMAP password is sealed before it goes anywhere near the database.
    static func settings(_ req: Request, existing: Mailbox?) throws -> MailboxSettings {
        func field(_ name: String, max: Int = 500) throws -> String { try req.formField(name, max: max) ?? "" }
        let teamRaw = try field("team", max: 20)
        guard teamRaw.isEmpty || Int(teamRaw) != nil else {
            throw CareError.invalid(code: "form.invalid_choice", "“\(teamRaw)” is not a team.", field: "team")
        }
        let portRaw = try field("imap_port", max: 10).trimmingCharacters(in: .whitespaces)
        guard portRaw.isEmpty || Int(portRaw) != nil else {
            throw CareError.invalid(code: "mailbox.invalid_imap_port", "The IMAP port must be a number.", field: "imap_port")
        }
        let password = try field("imap_password", max: 1000)
        return MailboxSettings(
            address: try field("address", max: 320), name: try field("name", max: 300), teamId: Int(teamRaw),
            signature: try field("signature", max: 6000), active: try req.formField("active", max: 10).map { $0 == "on" || $0 == "true" } ?? false,
            imapHost: try field("imap_host", max: 300), imapPort: Int(portRaw), imapSecurity: try field("imap_security", max: 20).nonEmptyValue ?? "tls",
            imapUsername: try field("imap_username", max: 320),
            imapPasswordSealed: password.isEmpty ? nil : try req.care.secrets.seal(password),
            imapFolder: try field("imap_folder", max: 300), imapMoveTo: try field("imap_move_to", max: 300))
    }
}
