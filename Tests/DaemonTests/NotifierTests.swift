import Daemon
import Dispatch
import Synchronization
import Testing

@Suite struct NotifierTests {
    /// While the receiver is stuck, notify() returns at once and a newer STATUS/WATCHDOG replaces a queued one.
    @Test func neverBlocksAndCoalescesWhileTheReceiverIsStuck() async throws {
        let gate = DispatchSemaphore(value: 0)
        let sent = Notes()
        let notifier = Notifier(send: { message in
            if message == "READY=1" { gate.wait() }
            sent.add(message)
        })
        notifier.notify("READY=1")
        for i in 1...100 { notifier.notify("STATUS=\(i) checks") }
        notifier.notify("WATCHDOG=1")
        notifier.notify("STATUS=final")
        notifier.notify("WATCHDOG=1")
        notifier.notify("STOPPING=1")
        #expect(!notifier.flush(timeoutMs: 50), "still blocked on READY")
        gate.signal()
        #expect(notifier.flush(timeoutMs: 5000))
        #expect(sent.all == ["READY=1", "STATUS=final", "WATCHDOG=1", "STOPPING=1"])
    }
}
