/// The database's migrations compared with the ones this binary ships.
public struct SchemaStatus: Sendable, Equatable {
    /// Shipped but not applied.
    public var pending: [String]
    /// Applied but not shipped: a newer binary migrated the database.
    public var unknown: [String]

    public init(pending: [String], unknown: [String]) {
        self.pending = pending
        self.unknown = unknown
    }
}
