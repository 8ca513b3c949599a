import Foundation

/// Parses RFC 5322 / MIME messages into a tree of `MIMEPart`s. It never throws and never
/// traps: whatever is off is noted in the nodes' `problems` and parsing goes on.
///
/// - Line breaks may be CRLF or bare LF.
/// - Multiparts (mixed, alternative, related, report, signed, digest, …) nest up to
///   `maxDepth` levels; deeper ones are kept as opaque leaves (with a problem), so a hostile
///   message cannot exhaust the stack. At most `maxParts` nodes are made in all.
/// - A multipart without a boundary parameter, whose boundary never occurs, or without any
///   part, is read as text/plain; a missing closing boundary ends the last part at the end
///   of the input.
/// - message/rfc822 and message/global parts are parsed into `attachedMessage` (after undoing
///   a transfer encoding, which the RFC forbids but some senders use) and keep their body.
public struct MIMEParser: Sendable {
    public var maxDepth: Int
    public var maxParts: Int

    public init(maxDepth: Int = 20, maxParts: Int = 2_000) {
        self.maxDepth = maxDepth
        self.maxParts = maxParts
    }

    public func parse(_ data: Data) -> MIMEPart {
        parse([UInt8](data))
    }

    public func parse(_ bytes: [UInt8]) -> MIMEPart {
        var state = State(maxDepth: maxDepth, maxParts: maxParts)
        return state.parseEntity(bytes, 0..<bytes.count, depth: 0, defaultType: .textPlain, topLevel: true)
    }

    private struct State {
        let maxDepth: Int
        let maxParts: Int
        var partCount = 0

        mutating func parseEntity(
            _ buffer: [UInt8], _ range: Range<Int>, depth: Int, defaultType: ContentType, topLevel: Bool
        ) -> MIMEPart {
            partCount += 1
            let section = HeaderReader.read(buffer, range, skipMboxLine: topLevel)
            var problems = section.problems
            let headers = section.headers
            var contentType = defaultType
            if let value = headers["Content-Type"] {
                if let parsed = ContentType(headerValue: value) {
                    contentType = parsed
                } else {
                    problems.append("unreadable Content-Type \"\(value.prefix(60))\", read as \(defaultType.mimeType)")
                }
            }
            let disposition = headers["Content-Disposition"].flatMap(ContentDisposition.init(headerValue:))
            let encoding = TransferEncoding(headerValue: headers["Content-Transfer-Encoding"])
            if case .other(let name) = encoding {
                problems.append("unknown Content-Transfer-Encoding \"\(name.prefix(40))\", body kept as is")
            }
            let bodyRange = min(section.bodyStart, range.upperBound)..<range.upperBound
            var part = MIMEPart(
                headers: headers, contentType: contentType, contentDisposition: disposition,
                transferEncoding: encoding, problems: problems)

            if contentType.isMultipart {
                guard depth < maxDepth, partCount < maxParts else {
                    part.problems.append("multipart nested too deeply or too many parts; kept unparsed")
                    part.body = Array(buffer[bodyRange])
                    return part
                }
                guard let boundary = contentType.boundary, !boundary.isEmpty else {
                    part.problems.append("\(contentType.mimeType) without boundary; read as text")
                    return readAsText(part, buffer, bodyRange)
                }
                let found = Self.splitMultipart(buffer, bodyRange, boundary: Array(boundary.utf8))
                guard let found else {
                    part.problems.append("boundary of \(contentType.mimeType) not found; read as text")
                    return readAsText(part, buffer, bodyRange)
                }
                guard !found.parts.isEmpty else {
                    part.problems.append("\(contentType.mimeType) without parts; read as text")
                    return readAsText(part, buffer, bodyRange)
                }
                if !found.closed { part.problems.append("missing closing boundary") }
                let childDefault: ContentType = contentType.subtype == "digest" ? .messageRFC822 : .textPlain
                for childRange in found.parts {
                    guard partCount < maxParts else {
                        part.problems.append("too many parts; the rest is dropped")
                        break
                    }
                    part.parts.append(parseEntity(buffer, childRange, depth: depth + 1, defaultType: childDefault, topLevel: false))
                }
                return part
            }

            part.body = Array(buffer[bodyRange])
            if contentType.type == "message", contentType.subtype == "rfc822" || contentType.subtype == "global" {
                guard depth < maxDepth, partCount < maxParts else {
                    part.problems.append("attached message nested too deeply; kept unparsed")
                    return part
                }
                let inner = encoding == .base64 || encoding == .quotedPrintable ? part.decodedBody : part.body
                part.attachedMessage = parseEntity(inner, 0..<inner.count, depth: depth + 1, defaultType: .textPlain, topLevel: false)
            }
            return part
        }

        private func readAsText(_ part: MIMEPart, _ buffer: [UInt8], _ bodyRange: Range<Int>) -> MIMEPart {
            var part = part
            var params: [String: String] = [:]
            if let charset = part.contentType.charset { params["charset"] = charset }
            part.contentType = ContentType(type: "text", subtype: "plain", parameters: params)
            part.body = Array(buffer[bodyRange])
            return part
        }

        /// The ranges of the parts between boundary delimiter lines, or nil when the first
        /// delimiter never occurs. A delimiter line is `--boundary` followed only by optional
        /// whitespace (or `--` for the closing one); the line break before it belongs to it.
        static func splitMultipart(
            _ buffer: [UInt8], _ range: Range<Int>, boundary: [UInt8]
        ) -> (parts: [Range<Int>], closed: Bool)? {
            var parts: [Range<Int>] = []
            var currentStart: Int?
            var p = range.lowerBound
            let end = range.upperBound
            while p < end {
                let (contentEnd, next) = HeaderReader.lineBounds(buffer, p, end)
                if contentEnd - p >= boundary.count + 2, buffer[p] == 0x2D, buffer[p + 1] == 0x2D,
                   buffer[(p + 2)..<(p + 2 + boundary.count)].elementsEqual(boundary) {
                    var k = p + 2 + boundary.count
                    var closing = false
                    if k + 2 <= contentEnd, buffer[k] == 0x2D, buffer[k + 1] == 0x2D {
                        closing = true
                        k += 2
                    }
                    var onlySpace = true
                    while k < contentEnd {
                        if buffer[k] != 0x20 && buffer[k] != 0x09 { onlySpace = false; break }
                        k += 1
                    }
                    if onlySpace || closing {
                        if let start = currentStart {
                            parts.append(start..<max(start, Self.beforeLineBreak(buffer, p, floor: start)))
                        }
                        if closing { return (parts, true) }
                        currentStart = next
                    }
                }
                p = next
            }
            guard let start = currentStart else { return nil }
            parts.append(start..<max(start, end))
            return (parts, false)
        }

        /// `p` is a line start; the index of the line break (CRLF or LF) before it.
        private static func beforeLineBreak(_ buffer: [UInt8], _ p: Int, floor: Int) -> Int {
            var k = p
            if k > floor, buffer[k - 1] == 10 { k -= 1 }
            if k > floor, buffer[k - 1] == 13 { k -= 1 }
            return k
        }
    }
}
