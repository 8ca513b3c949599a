// libFuzzer target for the MIME library (Sources/CareMail/MIME). Built and run by Fuzz/run.sh:
//   swiftc -sanitize=fuzzer,address -parse-as-library Fuzz/MIMEParser/main.swift Sources/CareMail/MIME/*.swift
// It parses the input as a received message, touches everything the ingestion uses, then builds a
// reply from what it read with MIMEBuilder, parses that again and checks the builder's promises
// (ASCII, CRLF, no header injection, attachments and Message-ID survive). A broken promise traps,
// so libFuzzer saves the input as a crash.
import Foundation

/// The input as a message: the parser's contract is "never fails, never traps".
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let mail = ParsedMail(parsing: bytes)
    touch(mail, depth: 0)
    roundTrip(mail)
    return 0
}

/// Everything a caller reads, so lazily computed values are computed too.
private func touch(_ mail: ParsedMail, depth: Int) {
    var sink = 0
    sink &+= mail.subject?.utf8.count ?? 0
    sink &+= mail.from.map { $0.description.utf8.count + ($0.isValid ? 1 : 0) } ?? 0
    sink &+= mail.sender?.address.utf8.count ?? 0
    for address in mail.to + mail.cc + mail.replyTo { sink &+= address.description.utf8.count }
    sink &+= mail.date.map { Int($0.timeIntervalSince1970) & 1 } ?? 0
    sink &+= mail.messageId?.utf8.count ?? 0
    sink &+= mail.threadingIds.count
    sink &+= mail.text.utf8.count
    // A trivial HTML-to-text converter: the real one (CareCore's) is not part of this library.
    let readable = mail.readableText(htmlToText: { html in html.replacingOccurrences(of: "<", with: " <") })
    sink &+= readable.utf8.count
    sink &+= mail.html?.utf8.count ?? 0
    for attachment in mail.attachments {
        sink &+= attachment.size + (attachment.filename?.utf8.count ?? 0) + attachment.contentType.utf8.count
        sink &+= (attachment.contentId?.utf8.count ?? 0) + (attachment.isInline ? 1 : 0)
    }
    sink &+= mail.problems.count + (mail.isFullyParsed ? 1 : 0)
    sink &+= mail.autoReplyReason?.utf8.count ?? 0
    sink &+= mail.isAutoReply ? 1 : 0
    if let bounce = mail.bounce {
        sink &+= (bounce.isFailure ? 1 : 0) + (bounce.isStandard ? 1 : 0)
        sink &+= (bounce.originalMessageId?.utf8.count ?? 0) + (bounce.reportingMTA?.utf8.count ?? 0)
        for recipient in bounce.recipients {
            sink &+= recipient.address.utf8.count + (recipient.isFailure ? 1 : 0)
            sink &+= (recipient.status?.utf8.count ?? 0) + (recipient.diagnostic?.utf8.count ?? 0)
        }
    }
    let split = QuotedHistory.split(readable)
    sink &+= split.visible.utf8.count + split.quoted.utf8.count
    // The MIME tree as a caller walking it would see it.
    mail.root.walk { part in
        sink &+= part.headers.count + part.body.count
        sink &+= part.decodedBody.count
        sink &+= part.charsetWarning?.utf8.count ?? 0
        sink &+= (part.filename?.utf8.count ?? 0) + (part.contentId?.utf8.count ?? 0)
        for field in part.headers.fields { sink &+= field.raw.utf8.count }
    }
    for attached in mail.attachedMessages where depth < 3 { touch(attached, depth: depth + 1) }
    blackHole(sink)
}

@inline(never)
private func blackHole(_ value: Int) {
    if value == Int.min { print("") }
}

/// Printable ASCII without spaces or angle brackets: what an address we send to looks like.
/// Addresses a caller would really send to: a dot-atom local part and a host name (RFC 5322 3.4.1 without
/// quoting). Anything else (":" "," "(" … in the address) the builder writes as given, so it cannot promise
/// that a parser reads it back as one address; CareDesk sends only to addresses the SMTP client accepts.
private func usable(_ address: MailAddress?) -> MailAddress? {
    guard let address, address.isValid, address.address.utf8.count <= 200,
          let at = address.address.lastIndex(of: "@") else { return nil }
    let local = address.address[..<at], domain = address.address[address.address.index(after: at)...]
    let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~.")
    let hostChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
    guard local.allSatisfy(atext.contains), domain.allSatisfy(hostChars.contains),
          !local.hasPrefix("."), !local.hasSuffix("."), !local.contains(".."), !domain.hasPrefix("."), !domain.contains("..")
    else { return nil }
    return address
}

private func isUsableId(_ id: String) -> Bool {
    !id.isEmpty && id.utf8.count <= 200
        && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
}

/// A reply built from the parsed message (what the help desk does when an agent answers),
/// parsed again.
private func roundTrip(_ mail: ParsedMail) {
    let fallback = MailAddress(name: "Support", address: "support@caredesk.example")
    let customer = usable(mail.replyTo.first) ?? usable(mail.from) ?? MailAddress(address: "customer@example.com")
    let from = MailAddress(name: mail.to.first?.name ?? fallback.name, address: fallback.address)
    let subject = "Re: " + (mail.subject ?? "")
    let text = QuotedHistory.split(mail.text).visible
    let files = mail.attachments.prefix(3).map { attachment in
        OutgoingAttachment(
            filename: attachment.filename ?? "file", contentType: "application/octet-stream",
            bytes: attachment.bytes, contentId: attachment.contentId.flatMap { isUsableId($0) ? $0 : nil })
    }
    let messageId = "fuzz.reply@caredesk.example"
    let outgoing = OutgoingMail(
        from: from, to: [customer], subject: subject, text: text, html: mail.html,
        messageId: messageId, inReplyTo: mail.messageId.flatMap { isUsableId($0) ? $0 : nil },
        references: mail.threadingIds.filter(isUsableId).prefix(20).reversed(), attachments: Array(files),
        date: Date(timeIntervalSince1970: 1_790_000_000))
    let built = MIMEBuilder.build(outgoing)

    // Promises of MIMEBuilder.build: CRLF only, ASCII only, ends with CRLF (lines within RFC 5322's 998).
    check(built.count >= 2 && built[built.count - 2] == 13 && built[built.count - 1] == 10, "built message does not end with CRLF")
    var lineLength = 0
    for (index, byte) in built.enumerated() {
        check(byte < 0x80, "built message is not ASCII at byte \(index)")
        if byte == 13 { check(index + 1 < built.count && built[index + 1] == 10, "bare CR at \(index)") }
        if byte == 10 {
            check(index > 0 && built[index - 1] == 13, "bare LF at \(index)")
            lineLength = 0
        } else {
            lineLength += 1
            check(lineLength <= 998 + 1, "line longer than 998 at \(index)")
        }
    }

    let reply = ParsedMail(parsing: built)
    check(reply.messageId == messageId, "Message-ID lost: \(String(describing: reply.messageId))")
    // No header injection: only the fields the builder writes.
    let allowed: Set<String> = ["date", "from", "to", "subject", "message-id", "in-reply-to", "references",
                                "mime-version", "content-type", "content-transfer-encoding"]
    for field in reply.headers.fields {
        check(allowed.contains(field.name.lowercased()), "unexpected header \"\(field.name.prefix(40))\" in the built reply")
    }
    check(reply.from?.address == from.address, "From lost")
    check(reply.to.map(\.address) == [customer.address], "To changed: \(reply.to.map(\.address)) vs \(customer.address)")
    check(reply.attachments.count == files.count, "attachments: sent \(files.count), read back \(reply.attachments.count)")
    // Inline images (with a Content-ID, next to HTML) come before the files: compare without order.
    var unmatched = Dictionary(files.map { ($0.bytes, 1) }, uniquingKeysWith: +)
    for read in reply.attachments {
        check(unmatched[read.bytes, default: 0] > 0, "attachment bytes changed (read back \(read.bytes.count) bytes, sent sizes \(files.map(\.bytes.count)))")
        unmatched[read.bytes]! -= 1
    }
}

private func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("round-trip check failed: \(message())")
    }
}
