import Crypto
import Foundation
import NIOPosix

/// Files kept on disk by their content (SHA-256): raw e-mails, attachments, inline images. The same bytes are
/// stored once however often they arrive, a key can never point at other bytes, and a half-written file is
/// never visible (written to a temporary name, flushed to disk, then renamed), so a message is committed to the
/// database only after its files are safely stored.
public struct BlobStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Stores each of `files` and returns their keys, in order. The writing and flushing to disk happens on
    /// NIO's blocking-I/O threads, not on the few threads that run every request's async code.
    public func store(_ files: [[UInt8]]) async throws -> [String] {
        try await NIOThreadPool.singleton.runIfActive { try files.map { try self.put($0) } }
    }

    /// Stores the bytes and returns their key (64 lower-case hex digits). Blocks while the file is flushed.
    @discardableResult
    public func put(_ bytes: some Collection<UInt8>) throws -> String {
        let data = Data(bytes)
        let key = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        let path = self.path(forValidKey: key)
        let fm = FileManager.default
        if fm.fileExists(atPath: path) { return key }
        let folder = (path as NSString).deletingLastPathComponent
        if !fm.fileExists(atPath: folder) { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let temporary = folder + "/.\(key).\(UUID().uuidString).tmp"
        guard fm.createFile(atPath: temporary, contents: nil) else { throw BlobStoreError("cannot create \(temporary)") }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            try? fm.removeItem(atPath: temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            try? fm.removeItem(atPath: temporary)
            throw BlobStoreError("cannot store \(key): errno \(errno)")
        }
        return key
    }

    /// The bytes of a key, or nil for an unknown or malformed key.
    public func get(_ key: String) -> Data? {
        guard Self.isValidKey(key) else { return nil }
        return FileManager.default.contents(atPath: path(forValidKey: key))
    }

    /// The file of a key, or nil for a malformed key (a key can never name a file outside the store).
    public func path(for key: String) -> String? {
        Self.isValidKey(key) ? path(forValidKey: key) : nil
    }

    public static func isValidKey(_ key: String) -> Bool {
        key.utf8.count == 64 && key.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private func path(forValidKey key: String) -> String {
        let k = Array(key)
        return "\(directory)/\(String(k[0..<2]))/\(String(k[2..<4]))/\(key)"
    }
}

public struct BlobStoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
