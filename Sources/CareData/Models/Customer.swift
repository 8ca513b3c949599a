import CareCore
import FluentKit
import Foundation

public final class Customer: Model, @unchecked Sendable {
    public static let schema = "customers"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "name") public var name: String
    @OptionalField(key: "language") public var language: String?
    /// Free-form attributes (JSON object of strings), e.g. {"city": "Split", "plan": "premium"}.
    @Field(key: "attributes") public var attributesJSON: String
    @OptionalField(key: "notes") public var notes: String?
    /// Folded name and addresses, for accent-insensitive search.
    @Field(key: "search_text") public var searchText: String
    /// Set when this customer was merged into another; merged customers are hidden everywhere.
    @OptionalField(key: "merged_into_id") public var mergedIntoId: Int?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    @Children(for: \.$customer) public var identities: [Identity]

    public init() {}

    public init(name: String, language: String?, attributes: [String: String] = [:], notes: String? = nil, now: Date) {
        self.name = name
        self.language = language
        self.attributesJSON = Customer.encode(attributes)
        self.notes = notes
        self.searchText = ""
        self.createdAt = now
        self.updatedAt = now
        refreshSearchText(addresses: [])
    }

    /// Search finds a customer by name, by any of their addresses and by the words of their notes.
    func refreshSearchText(addresses: [String]) {
        searchText = SearchFolding.fold(([name] + addresses + [notes ?? ""]).joined(separator: " "))
    }

    public var attributes: [String: String] {
        get { (try? JSONDecoder().decode([String: String].self, from: Data(attributesJSON.utf8))) ?? [:] }
        set { attributesJSON = Customer.encode(newValue) }
    }

    static func encode(_ attributes: [String: String]) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = .sortedKeys
        return (try? String(decoding: enc.encode(attributes), as: UTF8.self)) ?? "{}"
    }
}

public final class Identity: Model, @unchecked Sendable {
    public static let schema = "identities"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Parent(key: "customer_id") public var customer: Customer
    @Field(key: "kind") public var kindRaw: String
    @Field(key: "address") public var address: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    public init(customerId: Int, address: IdentityAddress, now: Date) {
        self.$customer.id = customerId
        self.kindRaw = address.kind.rawValue
        self.address = address.address
        self.createdAt = now
    }

    public var kind: IdentityKind { IdentityKind(rawValue: kindRaw) ?? .external }
}
