import Foundation

/// Fixture messages in Tests/Fixtures/mail, found relative to this source file (`#filePath`),
/// so no resource bundle is needed.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/mail")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func allNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".eml") }.sorted()
    }
}

/// Texts the fixtures were written with (see Tests/Fixtures/mail/make_fixtures.py).
enum Texts {
    static let greekSubject = "Παράπονο για την παραγγελία 1234"
    static let greekBody = "Καλησπέρα σας,\n\nΗ παραγγελία μου δεν έφτασε ακόμα. Παρακαλώ ενημερώστε με.\n\nΕυχαριστώ,\nΓιάννης Παπαδόπουλος\n"
    static let greekName = "Γιάννης Παπαδόπουλος"
    static let croatianSubject = "Reklamacija narudžbe 1234 - čekam odgovor"
    static let croatianBody = "Poštovani,\n\nželim prijaviti problem s računom. Čekam odgovor već tjedan dana.\n\nLijep pozdrav,\nIvana Đurđević\n"
    static let croatianName = "Ivana Đurđević"
    static let russianSubject = "Заказ не пришёл"
    static let russianBody = "Здравствуйте,\n\nмой заказ не пришёл. Ёлка, щётка и чай.\n"
    static let pdf = Array("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".utf8)
}

extension Array where Element == UInt8 {
    init(_ string: String) { self = Array(string.utf8) }
}
