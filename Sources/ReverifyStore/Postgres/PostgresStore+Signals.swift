import GRDB
import ReverifyCore

extension PostgresStore {
    public func addSignalTransmitter(_ transmitter: SignalTransmitterRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func signalTransmitters() async throws -> [SignalTransmitterRecord] {
        throw Self.notImplemented(#function)
    }

    public func signalTransmitter(issuer: String) async throws -> SignalTransmitterRecord? {
        throw Self.notImplemented(#function)
    }

    public func removeSignalTransmitter(issuer: String) async throws {
        throw Self.notImplemented(#function)
    }

    public func recordSignal(issuer: String, jti: String, at now: UnixTime) async throws -> Bool {
        throw Self.notImplemented(#function)
    }

    public func clearSessionFlag(id: SessionID, reason: String, at now: UnixTime) async throws {
        throw Self.notImplemented(#function)
    }
}
