import Crypto
import Foundation

/// Encrypts secrets CareDesk must be able to use again (IMAP passwords), so the database alone never reveals
/// them. AES-GCM with a key kept outside the database: `CAREDESK_SECRET_KEY`, or else a random key written once
/// to `<data dir>/secret.key` (mode 0600). Back that file up with the database: without it sealed secrets cannot
/// be opened and have to be entered again.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// From a configured passphrase (any length; stretched with SHA-256).
    public init(passphrase: String) {
        key = SymmetricKey(data: SHA256.hash(data: Data(passphrase.utf8)))
    }

    /// The key of `path`, created (random, owner-readable only) when it does not exist yet.
    public static func keyFile(_ path: String) throws -> SecretBox {
        let fm = FileManager.default
        if let data = fm.contents(atPath: path), data.count == 32 { return SecretBox(key: SymmetricKey(data: data)) }
        if fm.fileExists(atPath: path) { throw SecretBoxError("\(path) is not a 32-byte key; remove it or set CAREDESK_SECRET_KEY") }
        let fresh = SymmetricKey(size: .bits256)
        let bytes = fresh.withUnsafeBytes { Data($0) }
        try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard fm.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw SecretBoxError("cannot write \(path)")
        }
        return SecretBox(key: fresh)
    }

    public func seal(_ secret: String) throws -> String {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: key).combined else { throw SecretBoxError("cannot seal") }
        return "v1:" + combined.base64EncodedString()
    }

    /// The secret, or nil when it was sealed with another key or is damaged.
    public func open(_ sealed: String) -> String? {
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))),
              let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: key) else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }
}

public struct SecretBoxError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
