import Foundation

/// Which web sites may embed a widget, compared with the browser's `Origin` header.
///
/// Each entry is an origin `scheme://host[:port]` (http or https), normalized: lower case, no trailing slash, no
/// default port (443 for https, 80 for http), international host names in their `xn--` form as browsers send them.
/// A leading `*.` is a subdomain wildcard: `https://*.example.gr` allows `https://shop.example.gr` and
/// `https://a.b.example.gr`, but not `https://example.gr` itself (list that too when it should be allowed).
/// An empty list allows every origin.
public struct AllowedOrigins: Sendable, Equatable {
    /// Normalized origins, "scheme://host[:port]" or "scheme://*.host[:port]", without duplicates, in the order given.
    public let origins: [String]

    /// Parses what an admin typed: one origin per line or separated by commas/spaces. Normalizes case, drops a
    /// trailing slash and default ports; refuses paths, queries, fragments, user names, other schemes than
    /// http/https and wildcards other than a leading `*.` with `CareError.invalid` (code "origins.invalid", field
    /// "allowedOrigins") naming the bad entry. Empty text gives an empty list.
    public init(parsing text: String) throws(CareError) {
        var result: [String] = []
        for entry in text.split(whereSeparator: { $0 == "," || $0.isWhitespace || $0.isNewline }) {
            let normalized: String
            do {
                normalized = try Self.normalize(String(entry), allowWildcard: true)
            } catch let problem {
                throw CareError.invalid(code: "origins.invalid", "\"\(entry)\" \(problem.reason)", field: "allowedOrigins")
            }
            if !result.contains(normalized) { result.append(normalized) }
        }
        origins = result
    }

    /// From storage: origins that were already normalized by ``init(parsing:)``.
    public init(_ normalized: [String]) {
        origins = normalized
    }

    /// An empty list means every origin is allowed.
    public var isEmpty: Bool { origins.isEmpty }

    /// Whether a request with this `Origin` header value may use the widget. `nil` (no header: a same-origin GET or a
    /// non-browser client) is allowed only when the list is empty; the opaque origin "null" (sandboxed frames,
    /// `file:` pages) is never allowed when a list is set.
    public func allows(_ origin: String?) -> Bool {
        if origins.isEmpty { return true }
        guard let origin, let candidate = try? Self.normalize(origin, allowWildcard: false) else { return false }
        for allowed in origins {
            if allowed == candidate { return true }
            // "https://*.example.gr:8443" matches "https://<anything>.example.gr:8443". Normalized origins carry
            // no path and at most one port, so a suffix match on "host[:port]" is exact.
            guard let marker = allowed.range(of: "://*.") else { continue }
            let scheme = allowed[..<marker.lowerBound]
            let suffix = "." + allowed[marker.upperBound...]
            guard candidate.hasPrefix(scheme + "://") else { continue }
            let rest = candidate.dropFirst(scheme.count + 3)
            if rest.count > suffix.count, rest.hasSuffix(suffix) { return true }
        }
        return false
    }

    /// One origin per line, for the admin form.
    public var text: String { origins.joined(separator: "\n") }

    // MARK: - Normalization

    struct Problem: Error {
        let reason: String
    }

    static let example = "e.g. https://example.gr"

    /// "HTTPS://Shop.Example.GR:443/" -> "https://shop.example.gr". Throws a `Problem` whose reason completes the
    /// sentence "\"entry\" ...".
    static func normalize(_ raw: String, allowWildcard: Bool) throws(Problem) -> String {
        let entry = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if entry.lowercased() == "null" {
            throw Problem(reason: "is not a web site; list origins like https://example.gr.")
        }
        guard let schemeEnd = entry.range(of: "://") else {
            throw Problem(reason: "has no scheme; write it with https:// or http://, \(example).")
        }
        let scheme = entry[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw Problem(reason: "uses the scheme \"\(scheme)\"; only https:// and http:// web sites can embed a widget.")
        }
        var rest = Substring(entry[schemeEnd.upperBound...])
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains("/") {
            throw Problem(reason: "has a path; an origin is only scheme://host[:port], \(example).")
        }
        if rest.contains("?") { throw Problem(reason: "has a query; an origin is only scheme://host[:port], \(example).") }
        if rest.contains("#") {
            throw Problem(reason: "has a fragment; an origin is only scheme://host[:port], \(example).")
        }
        if rest.contains("@") {
            throw Problem(reason: "has a user name; an origin is only scheme://host[:port], \(example).")
        }

        // Split host and port.
        var hostPart: Substring
        var portPart: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw Problem(reason: "has an unclosed [ in its host.") }
            hostPart = rest[...close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Problem(reason: "has text after its host.") }
                portPart = after.dropFirst()
            }
        } else {
            let pieces = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw Problem(reason: "has more than one port.") }
            hostPart = pieces[0]
            portPart = pieces.count == 2 ? pieces[1] : nil
        }

        var port: Int?
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(portPart), (1...65_535).contains(value) else {
                throw Problem(reason: "has an invalid port; use a number from 1 to 65535.")
            }
            if !(scheme == "https" && value == 443) && !(scheme == "http" && value == 80) { port = value }
        }

        var wildcard = false
        if hostPart.hasPrefix("*.") {
            guard allowWildcard else { throw Problem(reason: "is not a valid origin.") }
            wildcard = true
            hostPart = hostPart.dropFirst(2)
        }
        if hostPart.contains("*") {
            throw Problem(reason: "has a wildcard that is not allowed; only a leading *. for subdomains works, "
                + "e.g. https://*.example.gr.")
        }
        let host = try normalizeHost(hostPart)
        if wildcard, !host.contains(".") || host.hasPrefix("[") || host.allSatisfy({ $0.isNumber || $0 == "." }) {
            throw Problem(reason: "is too broad; a wildcard needs a domain below it, e.g. https://*.example.gr.")
        }
        return "\(scheme)://\(wildcard ? "*." : "")\(host)\(port.map { ":\($0)" } ?? "")"
    }

    /// Lower-cased host, international labels in punycode ("xn--..."), checked against the host name rules.
    private static func normalizeHost(_ raw: Substring) throws(Problem) -> String {
        guard !raw.isEmpty else { throw Problem(reason: "has no host; \(example).") }
        if raw.hasPrefix("[") {
            let inside = raw.dropFirst().dropLast()
            guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw Problem(reason: "has an invalid IPv6 address.")
            }
            return raw.lowercased()
        }
        let labels = raw.precomposedStringWithCanonicalMapping.lowercased()
            .split(separator: ".", omittingEmptySubsequences: false)
        var result: [String] = []
        for label in labels {
            guard !label.isEmpty else { throw Problem(reason: "has an empty part in its host name.") }
            let ascii = label.allSatisfy(\.isASCII) ? String(label) : "xn--" + Punycode.encode(label.unicodeScalars)
            guard ascii.count <= 63,
                  ascii.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
                  !ascii.hasPrefix("-"), !ascii.hasSuffix("-") else {
                throw Problem(reason: "has an invalid host name; use letters, digits and hyphens, \(example).")
            }
            result.append(ascii)
        }
        let host = result.joined(separator: ".")
        guard host.count <= 253 else { throw Problem(reason: "has a host name longer than 253 characters.") }
        return host
    }
}

/// RFC 3492 Punycode encoding of one label (the part after "xn--").
enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700

    static func encode(_ input: String.UnicodeScalarView.SubSequence) -> String {
        let codePoints = input.map { Int($0.value) }
        var output = ""
        for scalar in input where scalar.isASCII { output.unicodeScalars.append(scalar) }
        let basicCount = output.unicodeScalars.count
        var handled = basicCount
        if basicCount > 0 { output.append("-") }

        var n = 128, delta = 0, bias = 72
        while handled < codePoints.count {
            let next = codePoints.filter { $0 >= n }.min()!
            delta += (next - n) * (handled + 1)
            n = next
            for codePoint in codePoints {
                if codePoint < n { delta += 1 }
                guard codePoint == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, points: handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return output
    }

    private static func digit(_ value: Int) -> Character {
        Character(Unicode.Scalar(UInt8(value < 26 ? 97 + value : 22 + value)))
    }

    private static func adapt(_ delta: Int, points: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / points
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}
