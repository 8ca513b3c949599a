import CareCore
import Foundation

// The demo company's agents and customers: names, addresses, attributes and notes in EL, HR and EN.

// MARK: - Seeds

enum DemoRegion: Hashable, Sendable {
    case greece, croatia

    var teamName: String {
        switch self {
        case .greece: "Εξυπηρέτηση Αθήνα"
        case .croatia: "Podrška Zagreb"
        }
    }
}

struct DemoAgentSeed: Sendable {
    let email: String
    let name: String
    let role: AgentRole
    let language: UILanguage
    let timeZone: String
    let regions: [DemoRegion]
    let female: Bool
    let greekFirstName: String?

    var firstName: String { String(name.split(separator: " ")[0]) }

    static let all: [DemoAgentSeed] = [
        .init(email: DemoData.adminEmail, name: "Dimitris Alexiou", role: .admin, language: .el,
              timeZone: "Europe/Athens", regions: [.greece, .croatia], female: false, greekFirstName: "Δημήτρης"),
        .init(email: "marija.kovac@demo.caredesk.local", name: "Marija Kovač", role: .supervisor, language: .hr,
              timeZone: "Europe/Zagreb", regions: [.greece, .croatia], female: true, greekFirstName: nil),
        .init(email: "eleni.papadopoulou@demo.caredesk.local", name: "Eleni Papadopoulou", role: .agent, language: .el,
              timeZone: "Europe/Athens", regions: [.greece], female: true, greekFirstName: "Ελένη"),
        .init(email: "kostas.georgiou@demo.caredesk.local", name: "Kostas Georgiou", role: .agent, language: .el,
              timeZone: "Europe/Athens", regions: [.greece], female: false, greekFirstName: "Κώστας"),
        .init(email: "sofia.nikolaidou@demo.caredesk.local", name: "Sofia Nikolaidou", role: .agent, language: .en,
              timeZone: "Europe/Athens", regions: [.greece], female: true, greekFirstName: "Σοφία"),
        .init(email: "ivana.horvat@demo.caredesk.local", name: "Ivana Horvat", role: .agent, language: .hr,
              timeZone: "Europe/Zagreb", regions: [.croatia], female: true, greekFirstName: nil),
        .init(email: "luka.babic@demo.caredesk.local", name: "Luka Babić", role: .agent, language: .hr,
              timeZone: "Europe/Zagreb", regions: [.croatia], female: false, greekFirstName: nil),
    ]
}

struct DemoCustomerSeed: Sendable {
    let name: String
    let language: UILanguage
    let female: Bool
    let emailLocal: String
    let city: String
    /// Identities, one letter each: e-mail, phone, whatsapp, chat visitor, telegram, messenger.
    let contacts: String
    let region: DemoRegion

    init(_ name: String, _ language: UILanguage, _ female: Bool, _ emailLocal: String, _ city: String,
         _ contacts: String, _ region: DemoRegion? = nil) {
        self.name = name
        self.language = language
        self.female = female
        self.emailLocal = emailLocal
        self.city = city
        self.contacts = contacts
        self.region = region ?? (language == .hr ? .croatia : .greece)
    }

    static let all: [DemoCustomerSeed] = [
        .init("Γιώργος Παπαδόπουλος", .el, false, "g.papadopoulos", "Αθήνα", "ep"),
        .init("Željko Šimić", .hr, false, "zeljko.simic", "Zagreb", "ep"),
        .init("Sarah Thompson", .en, true, "sarah.thompson", "London", "ep", .greece),
        .init("Μαρία Κωνσταντίνου", .el, true, "maria.konstantinou", "Θεσσαλονίκη", "ec"),
        .init("Đurđa Kovačević", .hr, true, "durda.kovacevic", "Osijek", "e"),
        .init("Δημήτρης Νικολάου", .el, false, "d.nikolaou", "Πάτρα", "pw"),
        .init("Ana Marić", .hr, true, "ana.maric", "Split", "pw"),
        .init("James O'Connor", .en, false, "james.oconnor", "Dublin", "ec", .croatia),
        .init("Κατερίνα Οικονόμου", .el, true, "katerina.oikonomou", "Αθήνα", "ep"),
        .init("Ivan Jurić", .hr, false, "ivan.juric", "Rijeka", "ec"),
        .init("Νίκος Γεωργίου", .el, false, "nikos.georgiou", "Ηράκλειο", "c"),
        .init("Marko Knežević", .hr, false, "marko.knezevic", "Zagreb", "ep"),
        .init("Emily Clarke", .en, true, "emily.clarke", "Manchester", "ew", .greece),
        .init("Ελένη Βασιλείου", .el, true, "eleni.vasileiou", "Πειραιάς", "em"),
        .init("Petra Vuković", .hr, true, "petra.vukovic", "Zadar", "c"),
        .init("Αλέξανδρος Ιωάννου", .el, false, "alexandros.ioannou", "Λάρισα", "e"),
        .init("Tomislav Perić", .hr, false, "tomislav.peric", "Split", "et"),
        .init("Michael Schneider", .en, false, "m.schneider", "Munich", "e", .croatia),
        .init("Σοφία Παπαδοπούλου", .el, true, "sofia.papadopoulou", "Βόλος", "pw"),
        .init("Maja Pavlović", .hr, true, "maja.pavlovic", "Zagreb", "em"),
        .init("Χρήστος Αντωνίου", .el, false, "christos.antoniou", "Αθήνα", "et"),
        .init("Krešimir Božić", .hr, false, "kresimir.bozic", "Dubrovnik", "pw"),
        .init("Olivia Bennett", .en, true, "olivia.bennett", "Bristol", "c", .greece),
        .init("Αικατερίνη Μιχαηλίδου", .el, true, "a.michailidou", "Θεσσαλονίκη", "ep"),
        .init("Ivona Grgić", .hr, true, "ivona.grgic", "Varaždin", "ep"),
        .init("Παναγιώτης Δημητρίου", .el, false, "p.dimitriou", "Ιωάννινα", "p"),
        .init("Matej Tomić", .hr, false, "matej.tomic", "Pula", "p"),
        .init("Daniel Fischer", .en, false, "daniel.fischer", "Vienna", "et", .croatia),
        .init("Βασιλική Καραγιάννη", .el, true, "vasiliki.karagianni", "Χανιά", "ec"),
        .init("Lucija Blažević", .hr, true, "lucija.blazevic", "Zagreb", "ec"),
        .init("Ιωάννης Σταυρόπουλος", .el, false, "i.stavropoulos", "Καλαμάτα", "ep"),
        .init("Goran Matić", .hr, false, "goran.matic", "Osijek", "ep"),
        .init("Hannah Müller", .en, true, "hannah.mueller", "Berlin", "em", .greece),
        .init("Αναστασία Λαμπράκη", .el, true, "anastasia.lamprakis", "Ρόδος", "w"),
        .init("Snježana Radić", .hr, true, "snjezana.radic", "Karlovac", "e"),
        .init("Θανάσης Κυριακίδης", .el, false, "thanasis.kyriakidis", "Θεσσαλονίκη", "cp"),
        .init("Dario Novak", .hr, false, "dario.novak", "Rijeka", "w"),
        .init("Tom Williams", .en, false, "tom.williams", "Cardiff", "ep", .croatia),
        .init("Δέσποινα Αθανασίου", .el, true, "despina.athanasiou", "Αθήνα", "e"),
        .init("Mirjana Čačić", .hr, true, "mirjana.cacic", "Zagreb", "cp"),
        .init("Σπύρος Μαυρίδης", .el, false, "spyros.mavridis", "Κέρκυρα", "m"),
        .init("Nikola Jukić", .hr, false, "nikola.jukic", "Šibenik", "t"),
        .init("Laura Rossi", .en, true, "laura.rossi", "Milan", "ec", .greece),
        .init("Ευαγγελία Πετροπούλου", .el, true, "evangelia.petropoulou", "Αθήνα", "ep"),
        .init("Katarina Šarić", .hr, true, "katarina.saric", "Split", "ep"),
        .init("Κώστας Ζαχαρίου", .el, false, "kostas.zachariou", "Πειραιάς", "pw"),
        .init("Hrvoje Ćorić", .hr, false, "hrvoje.coric", "Zagreb", "m"),
        .init("David Cohen", .en, false, "david.cohen", "New York", "e", .croatia),
        .init("Φωτεινή Χατζηδάκη", .el, true, "fotini.chatzidaki", "Ηράκλειο", "ec"),
        .init("Jelena Lovrić", .hr, true, "jelena.lovric", "Dubrovnik", "ew"),
    ]

    static let notes: [UILanguage: [String]] = [
        .el: [
            "Προτιμά τηλεφωνική επικοινωνία μετά τις 17:00.",
            "{c:Πελάτης|Πελάτισσα} από το 2015, πάντα συνεπής στις πληρωμές. Εκτιμά να {c:τον|την} ενημερώνουμε πριν μας ρωτήσει.",
            "Έχει ζητήσει να μη λαμβάνει διαφημιστικά μηνύματα.",
            "Ηλικιωμένος γονέας στο σπίτι: προτεραιότητα σε διακοπές ρεύματος και επείγουσες παραδόσεις.",
        ],
        .hr: [
            "Preferira kontakt e-poštom, ne zvati prije 9 sati.",
            "{c:Vjerni kupac|Vjerna kupkinja} od 2016., uvijek {c:vrlo uljudan|vrlo uljudna}. Cijeni kad {c:ga|je} sami obavijestimo o kašnjenju.",
            "Ne želi primati promotivne poruke.",
            "Alergija na penicilin — oprez kod preporuka lijekova.",
        ],
        .en: [
            "Spends the summer in the Mediterranean; prefers short messages.",
            "Has asked us not to send marketing e-mails.",
            "Travels for work a lot; always reply in English.",
            "Long-standing customer; was very unhappy with a late delivery last year, handle with care.",
        ],
    ]
}
