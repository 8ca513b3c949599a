import Foundation

/// A piece of a command line: plain text, or a string sent as a literal.
enum IMAPCommandPart: Sendable, Equatable {
    case text(String)
    case literal([UInt8])
}

enum IMAPEncoding {
    /// An astring argument (RFC 3501 section 9): an atom when possible, a quoted string when the
    /// text is printable ASCII, a literal otherwise (non-ASCII, CR, LF, NUL).
    static func astring(_ value: String) -> IMAPCommandPart {
        let bytes = Array(value.utf8)
        if !bytes.isEmpty && bytes.allSatisfy(isAtomChar) {
            return .text(value)
        }
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            var quoted = "\""
            for character in value {
                if character == "\\" || character == "\"" { quoted.append("\\") }
                quoted.append(character)
            }
            return .text(quoted + "\"")
        }
        return .literal(bytes)
    }

    /// A mailbox name: modified UTF-7 (RFC 3501 section 5.1.3), then as an astring.
    static func mailbox(_ name: String) -> IMAPCommandPart {
        if name.uppercased() == "INBOX" { return .text("INBOX") }
        return astring(modifiedUTF7(name))
    }

    static func isAtomChar(_ byte: UInt8) -> Bool {
        guard byte > 0x20 && byte < 0x7F else { return false }
        return !"(){ %*\"\\]".utf8.contains(byte)
    }

    /// `Πελάτες & Co` → `&A6ADtQO7A6wDxAO1A8I- &- Co`.
    static func modifiedUTF7(_ text: String) -> String {
        var result = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes.append(UInt8(unit >> 8)); bytes.append(UInt8(unit & 0xFF)) }
            let base64 = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "/", with: ",")
                .replacingOccurrences(of: "=", with: "")
            result += "&" + base64 + "-"
            pending = []
        }
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                result += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending.append(contentsOf: Array(String(scalar).utf16))
            }
        }
        flush()
        return result
    }

    /// A UID set for a command: `5` or `5:*`.
    static func uid(_ uid: UInt32) -> String { String(uid) }
}
