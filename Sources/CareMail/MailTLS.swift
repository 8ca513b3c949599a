import NIOSSL

/// The TLS settings every mail client connection uses (SMTP and IMAP alike): TLS 1.2 or later, full
/// certificate and host name verification, the system trust store plus an optional extra certificate
/// (a private CA, or a test server's self-signed one).
enum MailTLS {
    static func clientContext(trustedCertificateFile: String?) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if let file = trustedCertificateFile {
            tls.additionalTrustRoots = [.file(file)]
        }
        return try NIOSSLContext(configuration: tls)
    }
}
