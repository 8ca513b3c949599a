import CareCore
import CareData
import Foundation
import Vapor

/// The files of a message: its attachments and inline images, and the original as received (e-mail source).
/// Only for agents who may see the conversation. Files are served so a browser never runs them: a download
/// unless the type is a plain image, `nosniff`, and a sandboxing Content-Security-Policy.
enum MessageFilesController {
    static func register(_ routes: any RoutesBuilder) {
        let m = routes.grouped("messages", ":id")
        m.get("attachments", ":index", use: attachment)
        m.get("original", use: original)
    }

    static func attachmentURL(messageId: Int, index: Int) -> String { "/messages/\(messageId)/attachments/\(index)" }
    static func originalURL(messageId: Int) -> String { "/messages/\(messageId)/original" }

    /// Types shown in the page (inline images); everything else is downloaded.
    static let displayableImages: Set<String> = ["image/png", "image/jpeg", "image/gif", "image/webp"]

    static func attachment(req: Request) async throws -> Response {
        let message = try await req.store.conversations.message(try req.intParameter("id"), for: try req.viewer)
        let files = message.attachments
        guard let index = req.parameters.get("index").flatMap(Int.init), files.indices.contains(index), let key = files[index].storageKey, let data = req.care.blobs.get(key) else {
            throw CareError.notFound("attachment")
        }
        let file = files[index]
        let type = file.contentType.lowercased()
        return fileResponse(data, contentType: displayableImages.contains(type) ? type : "application/octet-stream",
                            filename: file.filename, inline: displayableImages.contains(type))
    }

    static func original(req: Request) async throws -> Response {
        let message = try await req.store.conversations.message(try req.intParameter("id"), for: try req.viewer)
        guard let key = message.rawKey, let data = req.care.blobs.get(key) else { throw CareError.notFound("original", id: message.id) }
        return fileResponse(data, contentType: "text/plain; charset=utf-8", filename: "message-\(message.id!).eml", inline: true)
    }

    static func fileResponse(_ data: Data, contentType: String, filename: String, inline: Bool) -> Response {
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.replaceOrAdd(name: .contentType, value: contentType)
        response.headers.replaceOrAdd(name: .contentDisposition, value: contentDisposition(filename, inline: inline))
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; sandbox")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=3600")
        return response
    }

    /// RFC 6266 with an ASCII fallback and the UTF-8 name (Greek and Croatian file names survive).
    static func contentDisposition(_ filename: String, inline: Bool) -> String {
        let ascii = String(filename.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ascii
        return "\(inline ? "inline" : "attachment"); filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}

/// The name an uploaded file is kept under (composer and chat uploads alike): a name, never a path, without
/// control characters, at most 200 characters.
enum UploadedFilename {
    static func safe(_ raw: String?) -> String {
        let base = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = String(base.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }.prefix(200).map(Character.init))
            .trimmingCharacters(in: .whitespaces)
        return clean.isEmpty || clean == "." || clean == ".." ? "file" : clean
    }
}
