import Foundation
import GRDB
import Logging
import NIOCore
import PostgresNIO
import ReverifyCore
import Synchronization

/// One open transaction on a leased PostgreSQL connection, with the same vocabulary the SQLite store uses.
///
/// Rows are handed to GRDB's own `FetchableRecord` decoding and records are encoded with GRDB's
/// `databaseDictionary`, so a record reads and writes exactly the same columns, JSON and all, on both backends.
/// SQL is written with `?` placeholders, as for SQLite; they become `$1, $2, …` here.
struct PostgresTransaction: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    typealias Arguments = [(any DatabaseValueConvertible)?]

    // MARK: Statements

    /// Runs a statement; returns the rows it changed (or returned).
    @discardableResult
    func execute(_ sql: String, _ arguments: Arguments = []) async throws -> Int {
        let result = try await run(sql, arguments)
        return result.metadata.rows ?? result.rows.count
    }

    /// Rows to read by column name (GRDB's dictionary-built rows do not keep the column order).
    func rows(_ sql: String, _ arguments: Arguments = []) async throws -> [Row] {
        try await run(sql, arguments).rows.map(Self.row)
    }

    /// Rows as ordered column names and values, for reading by position.
    func orderedRows(_ sql: String, _ arguments: Arguments = []) async throws -> [(columns: [String], values: [DatabaseValue])] {
        try await run(sql, arguments).rows.map { row in
            (row.map(\.columnName), try row.map(Self.databaseValue))
        }
    }

    func fetchAll<Record: FetchableRecord>(_ type: Record.Type, _ sql: String, _ arguments: Arguments = []) async throws
        -> [Record]
    {
        try await rows(sql, arguments).map { try Record(row: $0) }
    }

    func fetchOne<Record: FetchableRecord>(_ type: Record.Type, _ sql: String, _ arguments: Arguments = []) async throws
        -> Record?
    {
        try await rows(sql, arguments).first.map { try Record(row: $0) }
    }

    /// Rows whose columns are each a whole table row as `row_to_json(t)::text` (`nil` for SQL NULL, an outer join
    /// that found nothing): one statement reads several records, where one SELECT per record would be a round
    /// trip each. Suits tables of text and integer columns (JSON has no bytes).
    func joinedRows(_ sql: String, _ arguments: Arguments = []) async throws -> [[Row?]] {
        try await run(sql, arguments).rows.map { row in
            try row.map { cell in
                guard let text = String.fromDatabaseValue(try Self.databaseValue(cell)) else { return nil }
                guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                    throw StoreError.invalid("\(cell.columnName) is not a JSON object")
                }
                return Row(try object.mapValues { value -> (any DatabaseValueConvertible)? in
                    switch value {
                    case is NSNull: return nil
                    case let text as String: return text
                    case let number as NSNumber: return number.int64Value
                    default: throw StoreError.invalid("\(cell.columnName) holds a nested JSON value")
                    }
                })
            }
        }
    }

    /// The first column of the first row; `nil` for no row or SQL NULL.
    func value<Value: DatabaseValueConvertible>(_ type: Value.Type, _ sql: String, _ arguments: Arguments = []) async throws
        -> Value?
    {
        guard let row = try await run(sql, arguments).rows.first, let cell = row.first else { return nil }
        return try Value.fromDatabaseValue(Self.databaseValue(cell)) ?? nil
    }

    /// The first column of every row (NULLs skipped).
    func values<Value: DatabaseValueConvertible>(_ type: Value.Type, _ sql: String, _ arguments: Arguments = []) async throws
        -> [Value]
    {
        try await run(sql, arguments).rows.compactMap { row in
            try row.first.flatMap { Value.fromDatabaseValue(try Self.databaseValue($0)) }
        }
    }

    func count(_ sql: String, _ arguments: Arguments = []) async throws -> Int {
        Int(try await value(Int64.self, sql, arguments) ?? 0)
    }

    // MARK: Records

    /// Inserts `record`. An audit row publishes its webhook events in this same transaction, as
    /// `AuditRecord.aroundInsert` does for SQLite: no audit row without its events, nor an event without its row.
    func insert<Record: EncodableRecord & TableRecord>(_ record: Record) async throws {
        let (sql, arguments) = try Self.insertStatement(record, returning: nil)
        try await execute(sql, arguments)
        if let audit = record as? AuditRecord {
            try await PostgresOutbox.enqueue(WebhookEventDerivation.events(for: audit, makeID: Outbox.newEventID), in: self)
        }
    }

    /// Inserts `record` and returns the value the database gave `column` (an identity column).
    func insertReturning<Record: EncodableRecord & TableRecord>(_ record: Record, column: String = "id") async throws -> Int64 {
        precondition(!(record is AuditRecord), "audit rows go through insert(_:), which publishes their events")
        let (sql, arguments) = try Self.insertStatement(record, returning: column)
        guard let id = try await value(Int64.self, sql, arguments) else {
            throw StoreError.invalid("INSERT INTO \(Record.databaseTableName) returned no \(column)")
        }
        return id
    }

    /// Rewrites every column of the row with `record`'s primary key.
    @discardableResult
    func update<Record: EncodableRecord & TableRecord>(_ record: Record) async throws -> Int {
        let table = Record.databaseTableName
        let key = try await primaryKey(table)
        let values = try record.databaseDictionary
        let columns = values.keys.filter { !key.contains($0) }.sorted()
        guard !columns.isEmpty else { return 0 }
        let assignments = columns.map { "\($0) = ?" }.joined(separator: ", ")
        let condition = key.map { "\($0) = ?" }.joined(separator: " AND ")
        let arguments: Arguments = (columns + key).map { values[$0] ?? .null }
        return try await execute("UPDATE \(table) SET \(assignments) WHERE \(condition)", arguments)
    }

    private static func insertStatement<Record: EncodableRecord & TableRecord>(_ record: Record, returning: String?) throws
        -> (String, Arguments)
    {
        // A nil identity column is left out so the database assigns it (GRDB does the same for SQLite's rowid).
        let values = try record.databaseDictionary.filter { name, value in
            !(value.isNull && (name == "id" || name == "seq"))
        }
        let columns = values.keys.sorted()
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        var sql = "INSERT INTO \(Record.databaseTableName) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))"
        if let returning { sql += " RETURNING \(returning)" }
        return (sql, columns.map { values[$0]! })
    }

    /// Primary-key columns by table, read once from the catalog.
    private static let primaryKeys = Mutex<[String: [String]]>([:])

    private func primaryKey(_ table: String) async throws -> [String] {
        if let known = Self.primaryKeys.withLock({ $0[table] }) { return known }
        let columns = try await values(
            String.self,
            """
            SELECT a.attname::text FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY a.attname
            """, [table])
        guard !columns.isEmpty else { throw StoreError.invalid("table \(table) has no primary key") }
        Self.primaryKeys.withLock { $0[table] = columns }
        return columns
    }

    // MARK: Wire

    private func run(_ sql: String, _ arguments: Arguments) async throws -> PostgresQueryResult {
        // A statement written to a closed connection is never answered (postgres-nio drops the write's error).
        guard !connection.isClosed else { throw ConnectionClosed() }
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch (argument?.databaseValue ?? .null).storage {
            case .null: bindings.appendNull()
            case .int64(let value): bindings.append(value)
            case .double(let value): bindings.append(value)
            case .string(let value): bindings.append(value)
            case .blob(let data): bindings.append(ByteBuffer(bytes: data))
            }
        }
        let query = PostgresQuery(unsafeSQL: Self.numberedPlaceholders(sql), binds: bindings)
        return try await connection.query(query, logger: logger).get()
    }

    /// `?` → `$1`, `$2`, …, outside quoted strings and identifiers.
    static func numberedPlaceholders(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 8)
        var index = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                index += 1
                out += "$\(index)"
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func row(_ row: PostgresRow) throws -> Row {
        var values: [String: DatabaseValue] = [:]
        for cell in row { values[cell.columnName] = try databaseValue(cell) }
        return Row(values)
    }

    /// A cell as the SQLite store would have read it: integers, booleans as 0/1, text, blobs, doubles.
    static func databaseValue(_ cell: PostgresCell) throws -> DatabaseValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8: return try cell.decode(Int64.self).databaseValue
        case .int4: return Int64(try cell.decode(Int32.self)).databaseValue
        case .int2: return Int64(try cell.decode(Int16.self)).databaseValue
        case .bool: return (try cell.decode(Bool.self) ? 1 : 0 as Int64).databaseValue
        case .float8, .float4: return try cell.decode(Double.self).databaseValue
        case .numeric:
            // SUM over BIGINT is NUMERIC: an integer when it is one.
            let text = try cell.decode(String.self)
            if let integer = Int64(text) { return integer.databaseValue }
            return (Double(text) ?? 0).databaseValue
        case .bytea:
            var buffer = try cell.decode(ByteBuffer.self)
            return Data(buffer.readBytes(length: buffer.readableBytes) ?? []).databaseValue
        default: return try cell.decode(String.self).databaseValue
        }
    }
}

/// The transaction's connection closed under it: retried on another, like PostgreSQL's own connection errors.
struct ConnectionClosed: Error {}

extension PSQLError {
    /// The SQLSTATE of a server error (`23505` unique_violation, …).
    var sqlState: String? { serverInfo?[.sqlState] }
    var isUniqueViolation: Bool { sqlState == "23505" }
}
