import Foundation
import Logging

/// One JSON object per line on standard error (CAREDESK_LOG_FORMAT=json), for log shippers.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: String] = [
            "ts": ISO8601DateFormatter().string(from: Date()), "level": event.level.rawValue, "logger": label,
            "msg": event.message.description, "source": event.source,
        ]
        for (k, v) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { object[k] = v.description }
        if let error = event.error { object["error"] = String(describing: error) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        FileHandle.standardError.write(data + Data([0x0A]))
    }
}
