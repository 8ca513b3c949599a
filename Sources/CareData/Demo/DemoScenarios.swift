import CareCore
import Foundation

// What the demo customers write about, and how agents answer, in Greek, Croatian and English.

// MARK: - Scenarios

struct DemoStep: Sendable {
    enum Role: Sendable { case customer, agent, note }

    let role: Role
    let text: String
    /// At least this many days after the previous step, when the text says time has passed ("it's been a week").
    let after: Double

    static func customer(_ text: String, after days: Double = 0) -> DemoStep { DemoStep(role: .customer, text: text, after: days) }
    static func agent(_ text: String, after days: Double = 0) -> DemoStep { DemoStep(role: .agent, text: text, after: days) }
    static func note(_ text: String) -> DemoStep { DemoStep(role: .note, text: text, after: 0) }

    var isCustomer: Bool { role == .customer }
    var isNote: Bool { role == .note }
}

struct DemoScript: Sendable {
    let subject: String
    let steps: [DemoStep]
}

struct DemoScenario: Sendable {
    let kind: ConversationKind
    let priority: Priority
    let tags: [String]
    let channels: [Channel]
    let text: [UILanguage: DemoScript]
}

extension DemoScenario {
    /// Seventeen everyday situations of shops, pharmacies, hotels, insurers, utilities and delivery services,
    /// each written in Greek, Croatian and English. Placeholders are filled by `DemoText.render`.
    static let all: [DemoScenario] = [
        // 1. Late delivery (shop)
        DemoScenario(kind: .problem, priority: .normal, tags: ["delivery", "late"],
                     channels: [.email, .chat, .whatsapp, .messenger, .webForm], text: [
            .el: DemoScript(subject: "Η παραγγελία {order} δεν έχει έρθει ακόμα", steps: [
                .customer("Καλησπέρα σας. Έκανα την παραγγελία {order} πριν από οκτώ μέρες και ακόμα δεν έχω παραλάβει τίποτα. Στο site έγραφε παράδοση σε 2-3 εργάσιμες. Μπορείτε να μου πείτε τι συμβαίνει;"),
                .agent("Καλησπέρα σας και ευχαριστούμε για την υπομονή σας. Έλεγξα την παραγγελία {order}: το δέμα βρίσκεται από την Τρίτη στο κέντρο διαλογής της εταιρείας courier λόγω φόρτου. Επικοινώνησα μαζί τους και η παράδοση έχει προγραμματιστεί για αύριο έως τις 14:00. Ο αριθμός αποστολής είναι {tracking}. Ζητούμε συγγνώμη για την καθυστέρηση.\n\n{agent}"),
                .note("Άνοιξα αίτημα προτεραιότητας στην courier. Αν δεν παραδοθεί αύριο, επιστρέφουμε τα μεταφορικά χωρίς να μας το ζητήσει."),
                .customer("Ευχαριστώ. Αν δεν έρθει ούτε αύριο, θα ήθελα να την ακυρώσω."),
                .agent("Φυσικά, το καταλαβαίνω απόλυτα. Αν το δέμα δεν παραδοθεί αύριο, ακυρώνουμε την παραγγελία και σας επιστρέφουμε ολόκληρο το ποσό ({amount}) την ίδια μέρα. Θα σας ενημερώσω εγώ το απόγευμα.\n\n{agent}"),
                .customer("Ήρθε τελικά σήμερα το πρωί. Ευχαριστώ πολύ για τη βοήθεια!", after: 0.8),
            ]),
            .hr: DemoScript(subject: "Narudžba {order} još nije stigla", steps: [
                .customer("Dobar dan. Narudžbu {order} {c:napravio|napravila} sam prije osam dana i još uvijek ništa nisam {c:primio|primila}. Na stranici piše da dostava traje 2-3 radna dana. Možete li mi reći što se događa?"),
                .agent("Poštovani, hvala Vam na strpljenju. {a:Provjerio|Provjerila} sam narudžbu {order}: paket je od utorka u sortirnom centru dostavne službe zbog velikog broja pošiljaka. {a:Kontaktirao|Kontaktirala} sam ih i dostava je zakazana za sutra do 14 sati. Broj pošiljke je {tracking}. Ispričavamo se zbog kašnjenja.\n\n{agent}"),
                .note("{a:Otvorio|Otvorila} sam prioritetni zahtjev kod dostavne službe. Ako paket ne stigne sutra, vraćamo poštarinu i bez da kupac traži."),
                .customer("Hvala. Ako ne stigne ni sutra, {c:htio|htjela} bih otkazati narudžbu."),
                .agent("Naravno, potpuno razumijem. Ako paket sutra ne bude dostavljen, otkazat ćemo narudžbu i isti dan Vam vratiti cijeli iznos ({amount}). Javit ću Vam se osobno poslijepodne.\n\n{agent}"),
                .customer("Paket je ipak stigao jutros. Puno hvala na pomoći!", after: 0.8),
            ]),
            .en: DemoScript(subject: "Order {order} still hasn't arrived", steps: [
                .customer("Hi, I placed order {order} eight days ago and still haven't received anything. Your website says delivery takes 2-3 working days. Can you tell me what's going on?"),
                .agent("Hello, and thank you for your patience. I've checked order {order}: the parcel has been held at the courier's sorting centre since Tuesday because of high volumes. I've contacted them and delivery is now scheduled for tomorrow before 2 pm. Your tracking number is {tracking}. I'm sorry for the delay.\n\n{agent}"),
                .note("Opened a priority request with the courier. If it isn't delivered tomorrow, refund the shipping fee without waiting to be asked."),
                .customer("Thanks. If it doesn't arrive tomorrow either, I'd like to cancel the order."),
                .agent("Of course, I completely understand. If the parcel isn't delivered tomorrow, we'll cancel the order and refund the full amount ({amount}) the same day. I'll update you myself in the afternoon.\n\n{agent}"),
                .customer("It finally arrived this morning. Thanks a lot for your help!", after: 0.8),
            ]),
        ]),

        // 2. Return and refund (shop)
        DemoScenario(kind: .request, priority: .normal, tags: ["refund", "return"],
                     channels: [.email, .webForm, .chat, .messenger], text: [
            .el: DemoScript(subject: "Επιστροφή προϊόντος και χρημάτων", steps: [
                .customer("Γεια σας. Παρέλαβα τα παπούτσια από την παραγγελία {order}, αλλά μου είναι μικρά. Θα ήθελα να τα επιστρέψω και να πάρω πίσω τα χρήματά μου. Τι πρέπει να κάνω;"),
                .agent("Γεια σας! Φυσικά, έχετε δικαίωμα επιστροφής μέσα σε 14 ημέρες. Σας στείλαμε με email την ετικέτα επιστροφής: κολλήστε τη στο κουτί και παραδώστε το σε οποιοδήποτε σημείο της courier. Μόλις παραλάβουμε το δέμα, η επιστροφή των {amount} στην κάρτα σας γίνεται σε 3-5 εργάσιμες.\n\n{agent}"),
                .customer("Το έστειλα σήμερα. Πότε θα δω τα χρήματα;", after: 1),
                .agent("Το δέμα σας παραλήφθηκε στην αποθήκη μας σήμερα το πρωί και η επιστροφή των {amount} εγκρίθηκε. Θα εμφανιστεί στον λογαριασμό σας σε 3-5 εργάσιμες, ανάλογα με την τράπεζα.\n\n{agent}", after: 2),
                .note("Η επιστροφή εγκρίθηκε στο σύστημα πληρωμών, αριθμός συναλλαγής {refund}."),
                .customer("Τα χρήματα μπήκαν. Ευχαριστώ!", after: 3),
            ]),
            .hr: DemoScript(subject: "Povrat proizvoda i novca", steps: [
                .customer("Pozdrav. {c:Primio|Primila} sam cipele iz narudžbe {order}, ali su mi male. Želim ih vratiti i dobiti povrat novca. Što trebam napraviti?"),
                .agent("Pozdrav! Naravno, imate pravo na povrat u roku od 14 dana. Poslali smo Vam e-poštom naljepnicu za povrat: zalijepite je na kutiju i predajte paket u bilo kojoj poslovnici ili paketomatu dostavne službe. Čim paket stigne, povrat {amount} na Vašu karticu traje 3-5 radnih dana.\n\n{agent}"),
                .customer("{c:Poslao|Poslala} sam paket danas. Kada mogu očekivati novac?", after: 1),
                .agent("Vaš paket je jutros zaprimljen u našem skladištu i povrat {amount} je odobren. Sredstva će biti na Vašem računu za 3-5 radnih dana, ovisno o banci.\n\n{agent}", after: 2),
                .note("Povrat odobren u sustavu plaćanja, broj transakcije {refund}."),
                .customer("Novac je sjeo na račun. Hvala!", after: 3),
            ]),
            .en: DemoScript(subject: "Returning an item and getting a refund", steps: [
                .customer("Hello. I received the shoes from order {order}, but they're too small. I'd like to send them back and get my money back. What do I need to do?"),
                .agent("Hello! Of course, you can return anything within 14 days. We've e-mailed you a return label: stick it on the box and drop it off at any courier point. Once the parcel reaches us, the refund of {amount} to your card takes 3-5 working days.\n\n{agent}"),
                .customer("I sent it today. When will I see the money?", after: 1),
                .agent("Your parcel arrived at our warehouse this morning and the refund of {amount} has been approved. It will show on your account within 3-5 working days, depending on your bank.\n\n{agent}", after: 2),
                .note("Refund approved in the payment system, transaction {refund}."),
                .customer("The money is in. Thank you!", after: 3),
            ]),
        ]),

        // 3. Broken product under warranty (shop)
        DemoScenario(kind: .problem, priority: .high, tags: ["broken", "warranty"],
                     channels: [.email, .whatsapp, .webForm, .messenger, .chat], text: [
            .el: DemoScript(subject: "Χαλασμένη καφετιέρα — εγγύηση", steps: [
                .customer("Καλημέρα. Η καφετιέρα που αγόρασα πριν από δύο εβδομάδες (παραγγελία {order}) σταμάτησε να ζεσταίνει. Ανάβει το λαμπάκι αλλά το νερό βγαίνει κρύο. Καλύπτεται από την εγγύηση;"),
                .agent("Καλημέρα σας και λυπούμαστε πολύ για την ταλαιπωρία. Ναι, η συσκευή έχει εγγύηση δύο ετών. Μπορείτε να μας στείλετε μια φωτογραφία της ετικέτας με τον σειριακό αριθμό στο κάτω μέρος; Μόλις τη λάβουμε, θα κανονίσουμε την αντικατάσταση.\n\n{agent}"),
                .customer("Σας έστειλα τη φωτογραφία. Προτιμώ καινούργια συσκευή και όχι επισκευή, γιατί τη χρειάζομαι καθημερινά."),
                .note("Ο σειριακός είναι από την παρτίδα με το γνωστό πρόβλημα θερμοστάτη. Εγκρίνω αντικατάσταση χωρίς επισκευή."),
                .agent("Σας ευχαριστούμε. Εγκρίναμε αντικατάσταση με καινούργια συσκευή. Ο courier θα φέρει την καινούργια και θα πάρει την παλιά ταυτόχρονα, μεθαύριο μεταξύ 9:00 και 13:00. Δεν χρειάζεται να κάνετε τίποτε άλλο.\n\n{agent}"),
                .customer("Τέλεια, ευχαριστώ πολύ."),
            ]),
            .hr: DemoScript(subject: "Neispravan aparat za kavu — jamstvo", steps: [
                .customer("Dobro jutro. Aparat za kavu koji sam {c:kupio|kupila} prije dva tjedna (narudžba {order}) prestao je grijati. Lampica svijetli, ali voda izlazi hladna. Je li to pokriveno jamstvom?"),
                .agent("Dobro jutro i jako nam je žao zbog neugodnosti. Da, uređaj ima jamstvo od dvije godine. Možete li nam poslati fotografiju naljepnice sa serijskim brojem s donje strane aparata? Čim je dobijemo, dogovorit ćemo zamjenu.\n\n{agent}"),
                .customer("{c:Poslao|Poslala} sam fotografiju. Radije bih novi aparat nego popravak, jer mi treba svaki dan."),
                .note("Serijski broj je iz serije s poznatim problemom termostata. Odobravam zamjenu bez popravka."),
                .agent("Hvala Vam. Odobrili smo zamjenu za novi uređaj. Dostavljač će prekosutra između 9 i 13 sati donijeti novi aparat i istovremeno preuzeti stari. Ne trebate ništa drugo poduzimati.\n\n{agent}"),
                .customer("Odlično, puno hvala."),
            ]),
            .en: DemoScript(subject: "Coffee machine stopped heating — warranty", steps: [
                .customer("Good morning. The coffee machine I bought two weeks ago (order {order}) has stopped heating. The light comes on but the water comes out cold. Is this covered by the warranty?"),
                .agent("Good morning, and I'm very sorry for the trouble. Yes, the machine has a two-year warranty. Could you send us a photo of the label with the serial number on the bottom? As soon as we have it, we'll arrange a replacement.\n\n{agent}"),
                .customer("I've sent the photo. I'd prefer a new machine rather than a repair, as I use it every day."),
                .note("Serial number is from the batch with the known thermostat fault. Approving a replacement, no repair."),
                .agent("Thank you. We've approved a replacement with a brand-new machine. The courier will bring it the day after tomorrow between 9 am and 1 pm and take the old one at the same time. You don't need to do anything else.\n\n{agent}"),
                .customer("Perfect, thanks a lot."),
            ]),
        ]),

        // 4. Rude courier (delivery)
        DemoScenario(kind: .complaint, priority: .high, tags: ["courier", "complaint"],
                     channels: [.phone, .email, .webForm, .messenger], text: [
            .el: DemoScript(subject: "Παράπονο για τη συμπεριφορά του διανομέα", steps: [
                .customer("Θέλω να κάνω παράπονο. Ο διανομέας που έφερε σήμερα το δέμα μου ήταν εξαιρετικά αγενής: χτυπούσε επίμονα το κουδούνι, μου μίλησε άσχημα επειδή άργησα ένα λεπτό να κατέβω και πέταξε το δέμα στην είσοδο. Δεν είναι τρόποι αυτοί."),
                .agent("Σας ευχαριστούμε που μας το αναφέρατε και ζητούμε ειλικρινά συγγνώμη. Αυτή η συμπεριφορά δεν είναι αποδεκτή. Καταγράψαμε το περιστατικό με την αποστολή {tracking} και το προωθήσαμε στον υπεύθυνο της εταιρείας διανομής. Το δέμα ήταν σε καλή κατάσταση;\n\n{agent}"),
                .note("Τρίτο παράπονο αυτόν τον μήνα για τον ίδιο διανομέα στην περιοχή. Ενημερώνω τον συνεργάτη και ζητώ αλλαγή δρομολογίου."),
                .customer("Το δέμα ευτυχώς είναι εντάξει. Θέλω όμως να ξέρω ότι θα γίνει κάτι."),
                .agent("Απολύτως. Ο συνεργάτης μας επιβεβαίωσε ότι μίλησε με τον διανομέα και από την επόμενη εβδομάδα την περιοχή σας θα την εξυπηρετεί άλλος συνάδελφος. Ως ελάχιστη αποζημίωση, η επόμενη αποστολή σας θα είναι χωρίς μεταφορικά. Ευχαριστούμε που μας βοηθάτε να γινόμαστε καλύτεροι.\n\n{agent}", after: 1),
            ]),
            .hr: DemoScript(subject: "Pritužba na ponašanje dostavljača", steps: [
                .customer("Želim uložiti pritužbu. Dostavljač koji mi je danas donio paket bio je izrazito nepristojan: uporno je zvonio, vikao na mene jer sam minutu kasnije {c:sišao|sišla} i bacio paket na ulazu. To nije u redu."),
                .agent("Hvala Vam što ste nam to javili i iskreno se ispričavamo. Takvo ponašanje nije prihvatljivo. Zabilježili smo slučaj uz pošiljku {tracking} i proslijedili ga voditelju dostavne službe. Je li paket stigao neoštećen?\n\n{agent}"),
                .note("Treća pritužba ovaj mjesec na istog dostavljača u tom kvartu. Javljam partneru i tražim promjenu rute."),
                .customer("Paket je srećom u redu. Ali želim znati da će se nešto poduzeti."),
                .agent("Svakako. Naš partner je potvrdio da je razgovarao s dostavljačem i od sljedećeg tjedna Vaše područje pokriva drugi kolega. Kao malu ispriku, Vaša sljedeća dostava bit će besplatna. Hvala što nam pomažete da budemo bolji.\n\n{agent}", after: 1),
            ]),
            .en: DemoScript(subject: "Complaint about the courier's behaviour", steps: [
                .customer("I want to make a complaint. The courier who delivered my parcel today was extremely rude: he kept ringing the bell, shouted at me because I took a minute to come down, and then threw the parcel into the hallway. That is not acceptable."),
                .agent("Thank you for telling us, and I sincerely apologise. That behaviour is not acceptable. We've logged the incident against shipment {tracking} and passed it to the delivery company's manager. Did the parcel arrive undamaged?\n\n{agent}"),
                .note("Third complaint this month about the same driver in that area. Escalating to the partner and asking for a route change."),
                .customer("Luckily the parcel is fine. But I want to know that something will actually be done."),
                .agent("Absolutely. Our partner has confirmed they spoke to the driver, and from next week a different colleague will cover your area. As a small apology, your next delivery is free of charge. Thank you for helping us get better.\n\n{agent}", after: 1),
            ]),
        ]),

        // 5. Booking change (hotel)
        DemoScenario(kind: .request, priority: .normal, tags: ["booking", "hotel"],
                     channels: [.email, .whatsapp, .phone, .telegram, .webForm], text: [
            .el: DemoScript(subject: "Αλλαγή ημερομηνιών κράτησης {booking}", steps: [
                .customer("Καλησπέρα. Έχω την κράτηση {booking} για τρεις νύχτες από την Παρασκευή. Λόγω δουλειάς πρέπει να έρθω μια μέρα αργότερα. Μπορούμε να τη μεταφέρουμε από Σάββατο έως Τρίτη;"),
                .agent("Καλησπέρα σας! Έλεγξα τη διαθεσιμότητα: το ίδιο δίκλινο με θέα θάλασσα είναι ελεύθερο από Σάββατο έως Τρίτη, στην ίδια τιμή. Να προχωρήσω την αλλαγή;\n\n{agent}"),
                .customer("Ναι, παρακαλώ. Υπάρχει και δυνατότητα για late check-out την Τρίτη;"),
                .agent("Έγινε! Η κράτηση {booking} είναι πλέον από Σάββατο έως Τρίτη και σας κρατήσαμε late check-out έως τις 14:00 χωρίς χρέωση. Θα λάβετε την ενημερωμένη επιβεβαίωση με email. Καλό ταξίδι!\n\n{agent}"),
                .customer("Ευχαριστώ πολύ, είστε υπέροχοι!"),
            ]),
            .hr: DemoScript(subject: "Promjena datuma rezervacije {booking}", steps: [
                .customer("Dobra večer. Imam rezervaciju {booking} za tri noćenja od petka. Zbog posla moram doći dan kasnije. Možemo li rezervaciju prebaciti na subotu do utorka?"),
                .agent("Dobra večer! {a:Provjerio|Provjerila} sam raspoloživost: ista dvokrevetna soba s pogledom na more slobodna je od subote do utorka, po istoj cijeni. Da izvršim promjenu?\n\n{agent}"),
                .customer("Da, molim. Postoji li mogućnost kasne odjave u utorak?"),
                .agent("Gotovo! Rezervacija {booking} sada glasi od subote do utorka, a kasnu odjavu do 14 sati dobivate bez naplate. Ažuriranu potvrdu poslat ćemo Vam e-poštom. Sretan put!\n\n{agent}"),
                .customer("Hvala puno, divni ste!"),
            ]),
            .en: DemoScript(subject: "Changing the dates of booking {booking}", steps: [
                .customer("Good evening. I have booking {booking} for three nights from Friday. Because of work I have to arrive a day later. Could we move it to Saturday through Tuesday?"),
                .agent("Good evening! I've checked availability: the same double room with sea view is free from Saturday to Tuesday at the same rate. Shall I go ahead with the change?\n\n{agent}"),
                .customer("Yes, please. Is a late check-out on Tuesday possible too?"),
                .agent("Done! Booking {booking} now runs from Saturday to Tuesday, and we've given you a free late check-out until 2 pm. You'll receive the updated confirmation by e-mail. Safe travels!\n\n{agent}"),
                .customer("Thank you so much, you're wonderful!"),
            ]),
        ]),

        // 6. Airport transfer (hotel)
        DemoScenario(kind: .question, priority: .low, tags: ["hotel", "transfer"],
                     channels: [.chat, .whatsapp, .telegram, .messenger, .email], text: [
            .el: DemoScript(subject: "Μεταφορά από το αεροδρόμιο", steps: [
                .customer("Γεια σας, φτάνουμε την Πέμπτη στις 23:40 με πτήση από το Μόναχο. Προσφέρετε μεταφορά από το αεροδρόμιο; Και μέχρι τι ώρα γίνεται το check-in;"),
                .agent("Γεια σας! Ναι, προσφέρουμε μεταφορά με 35 € ανά διαδρομή για έως τέσσερα άτομα. Η ρεσεψιόν μας λειτουργεί όλο το 24ωρο, οπότε η αργή άφιξη δεν είναι πρόβλημα. Θέλετε να προσθέσουμε τη μεταφορά στην κράτηση {booking};\n\n{agent}"),
                .customer("Ναι, για δύο άτομα με δύο βαλίτσες. Ευχαριστώ!"),
                .agent("Κλείστηκε! Ο οδηγός θα σας περιμένει στις αφίξεις με πινακίδα με το όνομά σας. Αν η πτήση καθυστερήσει, την παρακολουθούμε και θα σας περιμένει.\n\n{agent}"),
            ]),
            .hr: DemoScript(subject: "Prijevoz iz zračne luke", steps: [
                .customer("Pozdrav, stižemo u četvrtak u 23:40 letom iz Münchena. Nudite li prijevoz iz zračne luke? I do kada je moguća prijava u hotel?"),
                .agent("Pozdrav! Da, nudimo transfer po cijeni od 35 € u jednom smjeru za najviše četiri osobe. Recepcija radi 0-24, tako da kasni dolazak nije problem. Želite li da transfer dodamo rezervaciji {booking}?\n\n{agent}"),
                .customer("Da, za dvije osobe s dva kofera. Hvala!"),
                .agent("Rezervirano! Vozač će Vas čekati u dolaznom terminalu s pločicom s Vašim imenom. Ako let kasni, pratimo ga i vozač će pričekati.\n\n{agent}"),
            ]),
            .en: DemoScript(subject: "Transfer from the airport", steps: [
                .customer("Hi, we land on Thursday at 23:40 on a flight from Munich. Do you offer an airport transfer? And how late can we check in?"),
                .agent("Hi! Yes, the transfer costs €35 each way for up to four people. Our reception is open 24 hours, so a late arrival is no problem at all. Shall we add the transfer to booking {booking}?\n\n{agent}"),
                .customer("Yes please, for two people with two suitcases. Thanks!"),
                .agent("Booked! The driver will wait for you in arrivals with a sign with your name. If the flight is delayed, we track it and the driver will wait.\n\n{agent}"),
            ]),
        ]),

        // 7. Invoice question (utility)
        DemoScenario(kind: .question, priority: .normal, tags: ["invoice", "billing"],
                     channels: [.email, .phone, .webForm, .chat], text: [
            .el: DemoScript(subject: "Απορία για τον λογαριασμό {invoice}", steps: [
                .customer("Καλησπέρα. Ο τελευταίος λογαριασμός ρεύματος ({invoice}) είναι {amount}, σχεδόν διπλάσιος από τον προηγούμενο, ενώ η κατανάλωση στο σπίτι δεν άλλαξε. Μπορείτε να μου εξηγήσετε γιατί;"),
                .agent("Καλησπέρα σας. Κοίταξα τον λογαριασμό {invoice}: ο προηγούμενος ήταν έναντι (με εκτίμηση), ενώ ο τωρινός βασίζεται σε πραγματική καταμέτρηση και περιλαμβάνει τη διαφορά τεσσάρων μηνών. Γι' αυτό το ποσό είναι μεγαλύτερο. Αν θέλετε, μπορούμε να το χωρίσουμε σε τρεις άτοκες δόσεις.\n\n{agent}"),
                .customer("Ναι, θα ήθελα τις δόσεις. Πρέπει να κάνω κάποια αίτηση;"),
                .agent("Όχι, το κανονίσαμε ήδη. Θα δείτε το ποσό χωρισμένο σε τρεις δόσεις στους επόμενους τρεις λογαριασμούς. Για να αποφεύγετε τέτοιες εκπλήξεις, μπορείτε να μας δηλώνετε την ένδειξη του μετρητή κάθε μήνα από την εφαρμογή.\n\n{agent}"),
                .note("Ρύθμιση σε 3 δόσεις περασμένη στο billing. Προτάθηκε αυτοκαταμέτρηση."),
            ]),
            .hr: DemoScript(subject: "Pitanje o računu {invoice}", steps: [
                .customer("Dobar dan. Zadnji račun za struju ({invoice}) iznosi {amount}, gotovo dvostruko više od prethodnog, a potrošnja u kućanstvu se nije mijenjala. Možete li mi objasniti zašto?"),
                .agent("Dobar dan. {a:Pregledao|Pregledala} sam račun {invoice}: prethodni je bio akontacijski (procjena), a ovaj se temelji na stvarnom očitanju i uključuje razliku za četiri mjeseca. Zato je iznos veći. Ako želite, možemo ga podijeliti na tri beskamatne rate.\n\n{agent}"),
                .customer("Da, {c:htio|htjela} bih rate. Trebam li podnijeti neki zahtjev?"),
                .agent("Ne, već smo to riješili. Iznos ćete vidjeti podijeljen na tri rate u sljedeća tri računa. Da izbjegnete takva iznenađenja, stanje brojila možete nam sami javljati svaki mjesec putem aplikacije.\n\n{agent}"),
                .note("Obročna otplata na 3 rate unesena u naplatu. Predloženo samoočitanje."),
            ]),
            .en: DemoScript(subject: "Question about bill {invoice}", steps: [
                .customer("Hello. My latest electricity bill ({invoice}) is {amount}, almost twice the previous one, although our usage at home hasn't changed. Can you explain why?"),
                .agent("Hello. I've looked at bill {invoice}: the previous one was an estimate, while this one is based on an actual meter reading and includes the difference for four months. That's why the amount is higher. If you like, we can split it into three interest-free instalments.\n\n{agent}"),
                .customer("Yes, I'd like the instalments. Do I need to fill in an application?"),
                .agent("No, it's already arranged. You'll see the amount split over your next three bills. To avoid surprises like this, you can send us your meter reading every month in the app.\n\n{agent}"),
                .note("3-instalment plan entered in billing. Suggested self-reading."),
            ]),
        ]),

        // 8. Power outage (utility)
        DemoScenario(kind: .problem, priority: .urgent, tags: ["outage", "utility"],
                     channels: [.phone, .sms, .chat, .whatsapp], text: [
            .el: DemoScript(subject: "Διακοπή ρεύματος στην πολυκατοικία", steps: [
                .customer("Δεν έχουμε ρεύμα από τις 7 το πρωί σε όλη την πολυκατοικία. Η ηλικιωμένη μητέρα μου χρησιμοποιεί συσκευή οξυγόνου. Πότε θα αποκατασταθεί;"),
                .note("Ευπαθής πελάτης (συσκευή οξυγόνου). Ενημέρωσα τη βάρδια βλαβών για προτεραιότητα."),
                .agent("Λυπούμαστε πολύ. Υπάρχει βλάβη σε υποσταθμό της περιοχής σας και το συνεργείο είναι ήδη επί τόπου. Η αποκατάσταση εκτιμάται έως τις 12:00. Καταγράψαμε ότι στο σπίτι υπάρχει συσκευή οξυγόνου, ώστε να έχετε προτεραιότητα σε μελλοντικές διακοπές. Αν χρειαστείτε άμεση βοήθεια, καλέστε το 166.\n\n{agent}"),
                .customer("Ήρθε το ρεύμα. Ευχαριστούμε για τη γρήγορη ενημέρωση.", after: 0.15),
            ]),
            .hr: DemoScript(subject: "Nestanak struje u zgradi", steps: [
                .customer("Od 7 ujutro nemamo struje u cijeloj zgradi. Moja starija majka koristi aparat za kisik. Kada će struja biti vraćena?"),
                .note("Ranjivi korisnik (aparat za kisik). {a:Obavijestio|Obavijestila} sam dežurnu ekipu za kvarove radi prioriteta."),
                .agent("Jako nam je žao. Došlo je do kvara na trafostanici u Vašem području i ekipa je već na terenu. Očekujemo da će struja biti vraćena do 12 sati. Zabilježili smo da u kućanstvu koristite aparat za kisik, kako biste ubuduće imali prednost kod prekida. Ako Vam treba hitna pomoć, nazovite 112.\n\n{agent}"),
                .customer("Struja je došla. Hvala na brzoj informaciji.", after: 0.15),
            ]),
            .en: DemoScript(subject: "Power cut in our building", steps: [
                .customer("We've had no power in the whole building since 7 am. My elderly mother uses an oxygen concentrator. When will it be back?"),
                .note("Vulnerable customer (oxygen concentrator). Told the fault crew on duty to prioritise."),
                .agent("I'm very sorry. There's a fault at a substation in your area and the crew is already on site. We expect power back by 12:00. We've noted the oxygen concentrator on your account so you get priority in future outages. If you need urgent help, please call 112.\n\n{agent}"),
                .customer("Power is back. Thanks for the quick update.", after: 0.15),
            ]),
        ]),

        // 9. Insurance claim (insurer)
        DemoScenario(kind: .request, priority: .high, tags: ["claim", "insurance"],
                     channels: [.email, .webForm, .whatsapp], text: [
            .el: DemoScript(subject: "Δήλωση ζημιάς — σπασμένο τζάμι αυτοκινήτου", steps: [
                .customer("Καλημέρα. Χθες το βράδυ μου έσπασαν το πίσω τζάμι του αυτοκινήτου ενώ ήταν παρκαρισμένο. Έχω το ασφαλιστήριο {policy} με κάλυψη θραύσης κρυστάλλων. Τι χρειάζεται για να δηλώσω τη ζημιά;"),
                .agent("Καλημέρα σας, λυπούμαστε για το περιστατικό. Το ασφαλιστήριο {policy} καλύπτει θραύση κρυστάλλων χωρίς απαλλαγή. Χρειαζόμαστε φωτογραφίες της ζημιάς, βεβαίωση από την αστυνομία και την άδεια κυκλοφορίας. Μπορείτε να τα στείλετε απαντώντας σε αυτό το μήνυμα.\n\n{agent}"),
                .customer("Σας τα έστειλα όλα. Μπορώ να πάω σε όποιο συνεργείο θέλω;"),
                .note("Φάκελος πλήρης. Άνοιξα ζημιά στο σύστημα με αριθμό ZM-{claim}."),
                .agent("Λάβαμε όλα τα έγγραφα και ο φάκελός σας είναι πλήρης. Μπορείτε να πάτε σε οποιοδήποτε συνεργαζόμενο συνεργείο κρυστάλλων χωρίς να πληρώσετε τίποτα· σας στείλαμε τη λίστα με email. Αν προτιμάτε άλλο συνεργείο, κρατήστε την απόδειξη και θα σας αποζημιώσουμε μέσα σε 10 εργάσιμες.\n\n{agent}"),
                .customer("Το αυτοκίνητο είναι έτοιμο. Πολύ γρήγορη εξυπηρέτηση, ευχαριστώ!", after: 2),
            ]),
            .hr: DemoScript(subject: "Prijava štete — razbijeno staklo na automobilu", steps: [
                .customer("Dobro jutro. Sinoć mi je netko razbio stražnje staklo na parkiranom automobilu. Imam policu {policy} s pokrićem loma stakla. Što trebam za prijavu štete?"),
                .agent("Dobro jutro, žao nam je zbog tog događaja. Polica {policy} pokriva lom stakla bez odbitne franšize. Trebamo fotografije štete, policijski zapisnik i prometnu dozvolu. Možete ih poslati kao odgovor na ovu poruku.\n\n{agent}"),
                .customer("{c:Poslao|Poslala} sam sve. Mogu li ići u bilo koji servis?"),
                .note("Dokumentacija kompletna. Otvorena šteta u sustavu, broj ST-{claim}."),
                .agent("Zaprimili smo sve dokumente i Vaš je predmet kompletan. Možete otići u bilo koji naš partnerski servis za stakla bez ikakvog plaćanja; popis smo Vam poslali e-poštom. Ako više volite drugi servis, sačuvajte račun i isplatit ćemo Vam iznos u roku od 10 radnih dana.\n\n{agent}"),
                .customer("Auto je gotov. Vrlo brza usluga, hvala!", after: 2),
            ]),
            .en: DemoScript(subject: "Claim — broken car window", steps: [
                .customer("Good morning. Last night someone smashed the rear window of my car while it was parked. I have policy {policy} with glass cover. What do you need for me to make a claim?"),
                .agent("Good morning, I'm sorry to hear that. Policy {policy} covers glass breakage with no excess. We need photos of the damage, a police report and the vehicle registration. You can send them by replying to this message.\n\n{agent}"),
                .customer("I've sent everything. Can I go to any repair shop I like?"),
                .note("File complete. Opened claim ZM-{claim} in the system."),
                .agent("We've received all the documents and your file is complete. You can go to any of our partner glass repairers and pay nothing; we've e-mailed you the list. If you prefer another shop, keep the receipt and we'll reimburse you within 10 working days.\n\n{agent}"),
                .customer("The car is ready. Very quick service, thank you!", after: 2),
            ]),
        ]),

        // 10. Policy cover question (insurer)
        DemoScenario(kind: .question, priority: .low, tags: ["policy", "insurance"],
                     channels: [.chat, .email, .phone, .messenger], text: [
            .el: DemoScript(subject: "Κάλυψη υγείας στο εξωτερικό", steps: [
                .customer("Γεια σας. Πάω ταξίδι στην Ιταλία τον άλλο μήνα. Η ασφάλεια υγείας μου ({policy}) με καλύπτει και στο εξωτερικό ή χρειάζομαι ξεχωριστή ταξιδιωτική;"),
                .agent("Γεια σας! Το πρόγραμμα {policy} καλύπτει επείγοντα περιστατικά σε όλη την Ευρώπη έως 30 ημέρες ανά ταξίδι, με τηλεφωνική βοήθεια 24/7. Δεν καλύπτει όμως ακύρωση ταξιδιού ή απώλεια αποσκευών· γι' αυτά προτείνουμε το ταξιδιωτικό πακέτο από 12 €.\n\n{agent}"),
                .customer("Κατάλαβα, ευχαριστώ. Θα το σκεφτώ."),
            ]),
            .hr: DemoScript(subject: "Pokriva li me osiguranje u inozemstvu?", steps: [
                .customer("Pozdrav. Idući mjesec putujem u Italiju. Pokriva li me moje zdravstveno osiguranje ({policy}) i u inozemstvu ili trebam posebno putno osiguranje?"),
                .agent("Pozdrav! Polica {policy} pokriva hitne slučajeve u cijeloj Europi do 30 dana po putovanju, uz telefonsku pomoć 0-24. Ne pokriva otkaz putovanja ni gubitak prtljage; za to preporučujemo putni paket od 12 €.\n\n{agent}"),
                .customer("Razumijem, hvala. Razmislit ću."),
            ]),
            .en: DemoScript(subject: "Am I covered abroad?", steps: [
                .customer("Hello. I'm travelling to Italy next month. Does my health insurance ({policy}) cover me abroad, or do I need separate travel insurance?"),
                .agent("Hello! Plan {policy} covers emergencies anywhere in Europe for up to 30 days per trip, with a 24/7 assistance line. It doesn't cover trip cancellation or lost luggage, though; for those we recommend the travel add-on from €12.\n\n{agent}"),
                .customer("I see, thank you. I'll think about it."),
            ]),
        ]),

        // 11. Is a medicine in stock? (pharmacy)
        DemoScenario(kind: .question, priority: .normal, tags: ["pharmacy", "availability"],
                     channels: [.phone, .chat, .whatsapp, .inPerson, .sms], text: [
            .el: DemoScript(subject: "Διαθεσιμότητα παιδικού σιροπιού", steps: [
                .customer("Καλησπέρα, έχετε το παιδικό σιρόπι για τον βήχα που μου είχατε προτείνει τον περασμένο μήνα; Έψαξα σε τρία φαρμακεία και έχει τελειώσει παντού."),
                .agent("Καλησπέρα σας! Στο φαρμακείο του κέντρου έχουμε δύο τεμάχια. Μπορούμε να σας κρατήσουμε ένα μέχρι αύριο στις 14:00 ή να σας το στείλουμε σπίτι σήμερα το απόγευμα με 2,50 €. Τι προτιμάτε;\n\n{agent}"),
                .customer("Κρατήστε μου ένα, θα περάσω αύριο το πρωί."),
                .agent("Το κρατήσαμε στο όνομά σας και σας περιμένει στο ταμείο. Περαστικά στο παιδί!\n\n{agent}"),
            ]),
            .hr: DemoScript(subject: "Dostupnost dječjeg sirupa", steps: [
                .customer("Dobar dan, imate li dječji sirup za kašalj koji ste mi preporučili prošli mjesec? {c:Obišao|Obišla} sam tri ljekarne i posvuda je rasprodan."),
                .agent("Dobar dan! U ljekarni u centru imamo još dva komada. Možemo Vam jedan rezervirati do sutra u 14 sati ili Vam ga danas poslijepodne dostaviti na kućnu adresu za 2,50 €. Što Vam više odgovara?\n\n{agent}"),
                .customer("Rezervirajte mi jedan, svratit ću sutra ujutro."),
                .agent("Rezervirali smo ga na Vaše ime i čeka Vas na blagajni. Djetetu želimo brz oporavak!\n\n{agent}"),
            ]),
            .en: DemoScript(subject: "Is the children's cough syrup in stock?", steps: [
                .customer("Hello, do you have the children's cough syrup you recommended last month? I've tried three pharmacies and it's sold out everywhere."),
                .agent("Hello! Our city-centre pharmacy has two left. We can hold one for you until 2 pm tomorrow, or deliver it to your home this afternoon for €2.50. Which would you prefer?\n\n{agent}"),
                .customer("Please hold one for me, I'll come by tomorrow morning."),
                .agent("It's reserved in your name and waiting at the till. We hope your little one feels better soon!\n\n{agent}"),
            ]),
        ]),

        // 12. Wrong strength delivered (pharmacy)
        DemoScenario(kind: .problem, priority: .high, tags: ["pharmacy", "wrong-item"],
                     channels: [.phone, .inPerson, .email, .whatsapp], text: [
            .el: DemoScript(subject: "Λάθος σκεύασμα στην παραγγελία {order}", steps: [
                .customer("Στην παραγγελία {order} αντί για τα δισκία των 500 mg μου στείλατε των 1000 mg. Ευτυχώς το πρόσεξα πριν πάρω το φάρμακο. Τι κάνουμε τώρα;"),
                .note("Λάθος στη συλλογή από την αποθήκη. Ενημέρωσα τον υπεύθυνο φαρμακοποιό να ελέγξει όλες τις σημερινές παραγγελίες."),
                .agent("Σας ευχαριστούμε πολύ που το προσέξατε και ζητούμε συγγνώμη, δεν έπρεπε να συμβεί. Σήμερα το απόγευμα ο διανομέας μας θα σας φέρει τη σωστή συσκευασία των 500 mg και θα πάρει πίσω τη λάθος, χωρίς καμία χρέωση. Ο φαρμακοποιός μας είναι στη διάθεσή σας για οποιαδήποτε απορία.\n\n{agent}"),
                .customer("Εντάξει, ευχαριστώ για τη γρήγορη αντίδραση."),
            ]),
            .hr: DemoScript(subject: "Pogrešan lijek u narudžbi {order}", steps: [
                .customer("U narudžbi {order} umjesto tableta od 500 mg poslali ste mi tablete od 1000 mg. Srećom sam to {c:primijetio|primijetila} prije nego što sam {c:uzeo|uzela} lijek. Što sada?"),
                .note("Greška pri komisioniranju u skladištu. {a:Obavijestio|Obavijestila} sam voditeljicu ljekarne da provjeri sve današnje narudžbe."),
                .agent("Hvala Vam što ste to primijetili i iskreno se ispričavamo, to se nije smjelo dogoditi. Danas poslijepodne naš će Vam dostavljač donijeti ispravno pakiranje od 500 mg i preuzeti pogrešno, bez ikakve naknade. Naš farmaceut stoji Vam na raspolaganju za sva pitanja.\n\n{agent}"),
                .customer("U redu, hvala na brzoj reakciji."),
            ]),
            .en: DemoScript(subject: "Wrong strength in order {order}", steps: [
                .customer("In order {order} you sent me 1000 mg tablets instead of the 500 mg ones. Luckily I noticed before taking any. What happens now?"),
                .note("Picking error in the warehouse. Asked the pharmacist in charge to check all of today's orders."),
                .agent("Thank you so much for noticing, and I'm sorry, this should never have happened. This afternoon our driver will bring you the correct 500 mg pack and collect the wrong one, at no cost. Our pharmacist is available if you have any questions.\n\n{agent}"),
                .customer("OK, thanks for reacting so quickly."),
            ]),
        ]),

        // 13. Charged twice (shop)
        DemoScenario(kind: .problem, priority: .high, tags: ["payment", "refund"],
                     channels: [.email, .chat, .webForm, .messenger], text: [
            .el: DemoScript(subject: "Χρεώθηκα δύο φορές για την παραγγελία {order}", steps: [
                .customer("Γεια σας, έκανα χθες την παραγγελία {order} και βλέπω στην κάρτα μου δύο χρεώσεις των {amount}. Η πρώτη προσπάθεια πληρωμής έβγαλε σφάλμα και ξαναπλήρωσα. Μπορείτε να μου επιστρέψετε τη μία;"),
                .agent("Γεια σας και συγγνώμη για την αναστάτωση. Βλέπω ότι η πρώτη πληρωμή έμεινε ως δέσμευση στην τράπεζα αλλά δεν ολοκληρώθηκε σε εμάς. Τέτοιες δεσμεύσεις αποδεσμεύονται αυτόματα σε 3-7 εργάσιμες. Αν δεν εξαφανιστεί μέχρι τότε, γράψτε μας και θα το λύσουμε αμέσως με την τράπεζα.\n\n{agent}"),
                .customer("Πέρασε μια εβδομάδα και ακόμα βλέπω δύο χρεώσεις.", after: 7),
                .note("Ο πάροχος πληρωμών επιβεβαιώνει διπλή εκκαθάριση (σφάλμα timeout). Κάνω χειροκίνητη επιστροφή."),
                .agent("Έχετε δίκιο και σας ζητώ συγγνώμη. Ο πάροχος πληρωμών επιβεβαίωσε ότι εκκαθαρίστηκαν και οι δύο πληρωμές. Σήμερα κάναμε επιστροφή {amount} στην κάρτα σας· θα τη δείτε σε 2-3 εργάσιμες. Σας στείλαμε και το αποδεικτικό με email.\n\n{agent}"),
            ]),
            .hr: DemoScript(subject: "Naplaćeno mi je dva puta za narudžbu {order}", steps: [
                .customer("Pozdrav, jučer sam {c:napravio|napravila} narudžbu {order} i na kartici vidim dva terećenja od {amount}. Prvi pokušaj plaćanja javio je grešku pa sam {c:platio|platila} ponovno. Možete li mi vratiti jedno?"),
                .agent("Pozdrav i ispričavamo se zbog neugodnosti. Vidim da je prvo plaćanje ostalo rezervirano u banci, ali kod nas nije provedeno. Takva se rezervacija automatski oslobađa za 3-7 radnih dana. Ako do tada ne nestane, javite nam se i odmah ćemo to riješiti s bankom.\n\n{agent}"),
                .customer("Prošao je tjedan dana, a i dalje vidim dva terećenja.", after: 7),
                .note("Pružatelj plaćanja potvrđuje dvostruku naplatu (greška zbog isteka vremena). Radim ručni povrat."),
                .agent("Imate pravo, ispričavam se. Pružatelj usluge plaćanja potvrdio je da su provedena oba plaćanja. Danas smo Vam vratili {amount} na karticu; sredstva ćete vidjeti za 2-3 radna dana. Potvrdu smo Vam poslali e-poštom.\n\n{agent}"),
            ]),
            .en: DemoScript(subject: "I was charged twice for order {order}", steps: [
                .customer("Hi, I placed order {order} yesterday and I can see two charges of {amount} on my card. The first payment attempt showed an error so I paid again. Can you refund one of them?"),
                .agent("Hi, and sorry for the worry. I can see the first payment stayed as a hold at your bank but never completed on our side. Holds like that are released automatically within 3-7 working days. If it hasn't disappeared by then, write to us and we'll sort it out with the bank straight away.\n\n{agent}"),
                .customer("It's been a week and I still see two charges.", after: 7),
                .note("Payment provider confirms a double capture (timeout bug). Doing a manual refund."),
                .agent("You're right, and I apologise. The payment provider has confirmed that both payments went through. We refunded {amount} to your card today; you'll see it within 2-3 working days. We've e-mailed you the confirmation too.\n\n{agent}"),
            ]),
        ]),

        // 14. Change of delivery address (delivery)
        DemoScenario(kind: .request, priority: .normal, tags: ["delivery", "address"],
                     channels: [.sms, .whatsapp, .telegram, .chat], text: [
            .el: DemoScript(subject: "Αλλαγή διεύθυνσης παράδοσης για {tracking}", steps: [
                .customer("Γεια σας, η αποστολή {tracking} είναι για αύριο αλλά δεν θα είμαι σπίτι. Μπορεί να παραδοθεί στη δουλειά μου, Λεωφόρος Συγγρού 120;"),
                .agent("Γεια σας! Ναι, η αποστολή {tracking} δεν έχει φορτωθεί ακόμα. Αλλάξαμε τη διεύθυνση σε Λεωφόρο Συγγρού 120 και η παράδοση θα γίνει αύριο 9:00-13:00. Υπάρχει όροφος ή όνομα εταιρείας για τον διανομέα;\n\n{agent}"),
                .customer("3ος όροφος, ρεσεψιόν. Ευχαριστώ!"),
                .agent("Το προσθέσαμε στις οδηγίες παράδοσης. Καλή συνέχεια!\n\n{agent}"),
            ]),
            .hr: DemoScript(subject: "Promjena adrese dostave za {tracking}", steps: [
                .customer("Pozdrav, pošiljka {tracking} treba stići sutra, ali neću biti kod kuće. Može li se dostaviti na moj posao, Ulica grada Vukovara 269?"),
                .agent("Pozdrav! Da, pošiljka {tracking} još nije utovarena. Promijenili smo adresu u Ulica grada Vukovara 269, a dostava će biti sutra između 9 i 13 sati. Postoji li kat ili naziv tvrtke za dostavljača?\n\n{agent}"),
                .customer("3. kat, recepcija. Hvala!"),
                .agent("Dodali smo to u upute za dostavu. Ugodan dan!\n\n{agent}"),
            ]),
            .en: DemoScript(subject: "Change of delivery address for {tracking}", steps: [
                .customer("Hi, shipment {tracking} is due tomorrow but I won't be home. Could it be delivered to my office instead? The address is saved in my account under \"Work\"."),
                .agent("Hi! Yes, shipment {tracking} hasn't been loaded yet. We've changed the address to your work address and it will be delivered tomorrow between 9 am and 1 pm. Is there a floor or company name for the driver?\n\n{agent}"),
                .customer("3rd floor, reception. Thanks!"),
                .agent("Added to the delivery instructions. Have a nice day!\n\n{agent}"),
            ]),
        ]),

        // 15. Discount code rejected (shop)
        DemoScenario(kind: .question, priority: .low, tags: ["promo", "discount"],
                     channels: [.chat, .messenger, .email, .whatsapp], text: [
            .el: DemoScript(subject: "Ο εκπτωτικός κωδικός δεν λειτουργεί", steps: [
                .customer("Καλησπέρα, προσπαθώ να βάλω τον κωδικό {code} που ήρθε στο newsletter, αλλά μου βγάζει «μη έγκυρος κωδικός». Λήγει σήμερα, μπορείτε να βοηθήσετε;"),
                .agent("Καλησπέρα! Ο κωδικός {code} ισχύει για αγορές άνω των 50 € και το καλάθι σας είναι λίγο κάτω από το όριο, γι' αυτό δεν τον δέχεται. Επειδή όμως λήγει σήμερα, σας στείλαμε νέο κωδικό 10% χωρίς ελάχιστο ποσό, που ισχύει έως την Κυριακή.\n\n{agent}"),
                .customer("Τέλεια, δούλεψε! Ευχαριστώ πολύ."),
            ]),
            .hr: DemoScript(subject: "Kod za popust ne radi", steps: [
                .customer("Dobra večer, pokušavam upisati kod {code} koji sam {c:dobio|dobila} u newsletteru, ali javlja „nevažeći kod”. Ističe danas, možete li pomoći?"),
                .agent("Dobra večer! Kod {code} vrijedi za kupnju iznad 50 €, a Vaša je košarica malo ispod tog iznosa pa ga sustav ne prihvaća. No budući da ističe danas, {a:poslao|poslala} sam Vam novi kod za 10% popusta bez minimalnog iznosa, koji vrijedi do nedjelje.\n\n{agent}"),
                .customer("Super, radi! Puno hvala."),
            ]),
            .en: DemoScript(subject: "Discount code doesn't work", steps: [
                .customer("Good evening, I'm trying to use the code {code} from your newsletter but it says \"invalid code\". It expires today, can you help?"),
                .agent("Good evening! The code {code} is valid on orders over €50 and your basket is just under that, which is why it's rejected. But since it expires today, I've sent you a new 10% code with no minimum spend, valid until Sunday.\n\n{agent}"),
                .customer("Great, that worked! Thanks a lot."),
            ]),
        ]),

        // 16. Noisy room and broken air conditioning (hotel)
        DemoScenario(kind: .complaint, priority: .high, tags: ["hotel", "complaint", "room"],
                     channels: [.inPerson, .phone, .whatsapp, .email], text: [
            .el: DemoScript(subject: "Θόρυβος και χαλασμένο κλιματιστικό στο δωμάτιο 214", steps: [
                .customer("Είμαστε στο δωμάτιο 214 και το κλιματιστικό δεν δουλεύει από χθες. Επιπλέον, ο θόρυβος από το μπαρ της πισίνας μέχρι τη μία τα ξημερώματα δεν μας άφησε να κοιμηθούμε. Για τα χρήματα που πληρώνουμε, περιμέναμε πολύ καλύτερα."),
                .agent("Έχετε απόλυτο δίκιο και σας ζητούμε ειλικρινά συγγνώμη. Ο τεχνικός μας θα έρθει στο δωμάτιο μέσα στην επόμενη ώρα. Αν η βλάβη δεν διορθωθεί αμέσως, σας προσφέρουμε μεταφορά σε δωμάτιο στην ήσυχη πλευρά του ξενοδοχείου, με θέα στον κήπο.\n\n{agent}"),
                .note("Το κλιματιστικό του 214 θέλει ανταλλακτικό, δεν θα φτιαχτεί σήμερα. Ετοιμάζουμε το 305 (ήσυχη πλευρά). Δείπνο για δύο ως αποζημίωση, εγκεκριμένο από τη διεύθυνση."),
                .customer("Ναι, προτιμάμε να αλλάξουμε δωμάτιο."),
                .agent("Το δωμάτιο 305 είναι έτοιμο και ο συνάδελφος της ρεσεψιόν θα σας βοηθήσει με τις αποσκευές. Ως ελάχιστη συγγνώμη, απόψε σας περιμένει δείπνο για δύο στο εστιατόριό μας, με δικά μας έξοδα.\n\n{agent}"),
                .customer("Ευχαριστούμε, το νέο δωμάτιο είναι πολύ καλύτερο."),
            ]),
            .hr: DemoScript(subject: "Buka i neispravan klima-uređaj u sobi 214", steps: [
                .customer("U sobi smo 214 i klima-uređaj ne radi od jučer. Osim toga, buka iz bara kod bazena do jedan iza ponoći nije nam dala spavati. Za novac koji plaćamo očekivali smo puno bolje."),
                .agent("Potpuno ste u pravu i iskreno se ispričavamo. Naš tehničar doći će u Vašu sobu unutar sat vremena. Ako se kvar ne otkloni odmah, nudimo Vam preseljenje u sobu na mirnijoj strani hotela, s pogledom na vrt.\n\n{agent}"),
                .note("Klima u 214 treba rezervni dio, danas neće biti popravljena. Pripremamo 305 (mirna strana). Večera za dvoje kao isprika, odobrila uprava."),
                .customer("Da, radije bismo promijenili sobu."),
                .agent("Soba 305 je spremna i kolega s recepcije pomoći će Vam s prtljagom. Kao malu ispriku, večeras Vas očekuje večera za dvoje u našem restoranu, na naš račun.\n\n{agent}"),
                .customer("Hvala, nova soba je puno bolja."),
            ]),
            .en: DemoScript(subject: "Noise and broken air conditioning in room 214", steps: [
                .customer("We're in room 214 and the air conditioning hasn't worked since yesterday. On top of that, the noise from the pool bar until 1 am kept us awake. For what we're paying, we expected much better."),
                .agent("You're absolutely right and I sincerely apologise. Our technician will be in your room within the hour. If it can't be fixed straight away, we'll move you to a room on the quiet side of the hotel, overlooking the garden.\n\n{agent}"),
                .note("AC in 214 needs a spare part, won't be fixed today. Preparing 305 (quiet side). Dinner for two as an apology, approved by the manager."),
                .customer("Yes, we'd rather change rooms."),
                .agent("Room 305 is ready and a colleague from reception will help with your luggage. As a small apology, dinner for two is waiting for you tonight in our restaurant, on the house.\n\n{agent}"),
                .customer("Thank you, the new room is much better."),
            ]),
        ]),

        // 17. Moving house: transfer the contract (utility)
        DemoScenario(kind: .request, priority: .normal, tags: ["contract", "moving"],
                     channels: [.email, .webForm, .chat], text: [
            .el: DemoScript(subject: "Μεταφορά παροχής λόγω μετακόμισης", steps: [
                .customer("Καλησπέρα. Μετακομίζω στις αρχές του επόμενου μήνα και θέλω να μεταφέρω το συμβόλαιο ρεύματος στη νέα διεύθυνση. Τι δικαιολογητικά χρειάζονται;"),
                .agent("Καλησπέρα σας! Χρειαζόμαστε το μισθωτήριο ή το συμβόλαιο αγοράς της νέας κατοικίας, τον αριθμό παροχής του νέου σπιτιού (γράφεται στον λογαριασμό ή στον μετρητή) και την ημερομηνία που θέλετε να γίνει η αλλαγή. Στείλτε τα εδώ και αναλαμβάνουμε εμείς τα υπόλοιπα.\n\n{agent}"),
                .customer("Σας επισυνάπτω το μισθωτήριο. Ο αριθμός παροχής είναι 1 23456789-01 5. Από την 1η του μήνα, αν γίνεται.", after: 1),
                .note("Έλεγξα τα έγγραφα, όλα εντάξει. Η αίτηση μεταφοράς καταχωρήθηκε για την 1η."),
                .agent("Όλα είναι εντάξει. Η αίτηση καταχωρήθηκε και από την 1η του μήνα η παροχή στη νέα διεύθυνση θα είναι στο όνομά σας. Την ίδια μέρα θα γίνει και η τελική καταμέτρηση στο παλιό σπίτι. Καλή μετακόμιση!\n\n{agent}"),
            ]),
            .hr: DemoScript(subject: "Prijenos ugovora zbog selidbe", steps: [
                .customer("Dobar dan. Selim se početkom idućeg mjeseca i želim prenijeti ugovor za struju na novu adresu. Koje dokumente trebam?"),
                .agent("Dobar dan! Trebamo ugovor o najmu ili kupoprodajni ugovor za novi stan, broj obračunskog mjernog mjesta na novoj adresi (piše na računu ili brojilu) i datum od kada želite promjenu. Pošaljite ih ovdje, a ostalo ćemo riješiti mi.\n\n{agent}"),
                .customer("U prilogu je ugovor o najmu. Broj mjernog mjesta je 0123456789. Od prvog u mjesecu, ako može.", after: 1),
                .note("{a:Provjerio|Provjerila} sam dokumente, sve je u redu. Zahtjev za prijenos unesen od 1."),
                .agent("Sve je u redu. Zahtjev je unesen i od prvog u mjesecu mjerno mjesto na novoj adresi glasi na Vaše ime. Istog dana obavit će se i završno očitanje na staroj adresi. Sretno sa selidbom!\n\n{agent}"),
            ]),
            .en: DemoScript(subject: "Moving house: transferring my contract", steps: [
                .customer("Hello. I'm moving at the beginning of next month and would like to transfer my electricity contract to the new address. What documents do you need?"),
                .agent("Hello! We need the lease or purchase contract for the new home, the supply number of the new address (it's on the bill or the meter) and the date you'd like the change to happen. Send them here and we'll take care of the rest.\n\n{agent}"),
                .customer("Attached is the lease. The supply number is 0123456789. From the 1st of the month, if possible.", after: 1),
                .note("Documents checked, all fine. Transfer request entered for the 1st."),
                .agent("Everything is in order. The request is in, and from the 1st of the month the supply at the new address will be in your name. The final meter reading at the old address will be taken the same day. Good luck with the move!\n\n{agent}"),
            ]),
        ]),
    ]
}
