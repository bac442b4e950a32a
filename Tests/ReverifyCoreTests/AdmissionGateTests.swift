import XCTest

@testable import ReverifyCore

final class AdmissionGateTests: XCTestCase {
    func testAdmitsUpToCapacityThenRefuses() {
        let gate = AdmissionGate(capacity: 2)
        XCTAssertTrue(gate.tryEnter())
        XCTAssertTrue(gate.tryEnter())
        XCTAssertFalse(gate.tryEnter())
        XCTAssertEqual(gate.admittedCount, 2)
    }

    func testLeavingMakesRoomForOneMore() {
        let gate = AdmissionGate(capacity: 1)
        XCTAssertTrue(gate.tryEnter())
        XCTAssertFalse(gate.tryEnter())
        gate.leave()
        XCTAssertTrue(gate.tryEnter())
        XCTAssertFalse(gate.tryEnter())
    }

    func testZeroCapacityAdmitsNothing() {
        XCTAssertFalse(AdmissionGate(capacity: 0).tryEnter())
    }

    func testConcurrentEntrantsNeverExceedCapacity() async {
        let gate = AdmissionGate(capacity: 3)
        let peak = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    var highest = 0
                    for _ in 0..<200 where gate.tryEnter() {
                        highest = max(highest, gate.admittedCount)
                        await Task.yield()
                        gate.leave()
                    }
                    return highest
                }
            }
            return await group.reduce(0) { max($0, $1) }
        }
        XCTAssertLessThanOrEqual(peak, 3)
        XCTAssertGreaterThan(peak, 0)
        XCTAssertEqual(gate.admittedCount, 0)
    }
}
