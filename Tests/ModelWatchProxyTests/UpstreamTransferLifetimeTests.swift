import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import ModelWatchProxy

/// A caller may keep its transfer while the closure it gave the transfer keeps the caller: the
/// readiness probe did, and every probe (one each five seconds) leaked its transfer, head buffer
/// and event list, about 1 KB, which the soak's heap profile found. The transfer breaks that cycle
/// itself once nothing more can be delivered.
@Suite("Upstream transfer lifetime")
struct UpstreamTransferLifetimeTests {
    @Test("a transfer whose closure keeps the owner that keeps the transfer is freed once its response has ended")
    func endedTransferIsFreed() async throws {
        try await withClient { client, loop in
            let freed = try await self.runKeptTransfer(client, on: loop, cancelAtOnce: false)
            #expect(freed)
        }
    }

    @Test("a cancelled transfer kept the same way is freed too")
    func cancelledTransferIsFreed() async throws {
        try await withClient { client, loop in
            let freed = try await self.runKeptTransfer(client, on: loop, cancelAtOnce: true)
            #expect(freed)
        }
    }

    @Test("readiness probes keep answering once their transfers are let go of")
    func probesStillAnswer() async throws {
        try await withClient { client, _ in
            for _ in 0..<20 {
                let answer = await client.status(of: "GET", target: "/", timeout: .seconds(30))
                #expect((try? answer.get()) == 200)
            }
        }
    }

    // MARK: Support

    /// Keeps a transfer, and is kept by the transfer's closure.
    private final class Owner: Sendable {
        let transfer = NIOLockedValueBox<UpstreamTransfer?>(nil)
        let events = NIOLockedValueBox(0)
    }

    private final class WeakTransfer: @unchecked Sendable {
        // @unchecked Sendable: read only after the transfer has finished on its loop.
        weak var value: UpstreamTransfer?
    }

    /// Runs one transfer in the cycle above and says whether it was freed after it finished.
    private func runKeptTransfer(_ client: UpstreamClient, on loop: any EventLoop, cancelAtOnce: Bool) async throws -> Bool {
        let (finished, continuation) = AsyncStream.makeStream(of: Void.self)
        let probe = WeakTransfer()
        do {
            let owner = Owner()
            let request = UpstreamRequest(method: "GET", target: "/", headers: [], body: .none)
            let transfer = client.startTransfer(on: loop, request) { transfer, events in
                owner.events.withLockedValue { $0 += events.count }
                for case .body(let bytes) in events {
                    transfer.acknowledge(bytes: bytes.readableBytes)
                }
                if events.contains(where: \.endsTransfer) { continuation.finish() }
            }
            owner.transfer.withLockedValue { $0 = transfer }
            probe.value = transfer
            if cancelAtOnce {
                transfer.cancel()
                // A cancelled transfer delivers nothing more; once the loop has run the cancel,
                // the driver has let go of it.
                try await loop.submit {}.get()
                continuation.finish()
            }
        }
        for await _ in finished {}
        // The loop lets go of a finished transfer right after delivering its last events; the
        // limit only keeps a build that leaks from hanging the suite.
        for _ in 0..<3000 {
            try await loop.submit {}.get()
            if probe.value == nil { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    private func withClient(_ body: (UpstreamClient, any EventLoop) async throws -> Void) async throws {
        try await withCannedBackendClient(bodySize: 64 << 10) { client, loop, _ in try await body(client, loop) }
    }
}
