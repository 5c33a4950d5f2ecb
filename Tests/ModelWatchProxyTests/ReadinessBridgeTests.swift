import CSignalIO
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import ModelWatchProxy

/// The readiness bridge's edges: signals are edges, so what libcurl leaves unread, pauses or
/// loses to a full signal queue must still be driven to the end.
///
/// Serialized: the overflow test lowers the process's signal-queue limit for a while.
@Suite("Readiness bridge", .serialized)
struct ReadinessBridgeTests {
    @Test("a download paused by a slow client, with the rest already in the socket, resumes and ends")
    func pausedDownloadResumes() async throws {
        // 1.5 MiB: more than the transfer lets out before it pauses (1 MiB), little enough that
        // the rest can sit in the sockets' buffers, so no packet (and no signal) follows the pause.
        try await withBridge(bodySize: 3 << 19) { client, loop, backend in
            let (events, transfer) = self.start(client, on: loop)
            var received = 0
            var unacknowledged = 0
            var resumed = false
            var ended = false
            var checker = PatternChecker()
            for await event in events {
                switch event {
                case .body(let bytes):
                    checker.check(bytes)
                    received += bytes.readableBytes
                    unacknowledged += bytes.readableBytes
                    if resumed {
                        transfer.acknowledge(bytes: unacknowledged)
                        unacknowledged = 0
                    } else if received >= UpstreamFlowControl.highWaterMark {
                        // The transfer paused itself; once the backend has handed everything to
                        // the kernel, nothing new arrives to signal the rest.
                        try await waitUntil { try await loop.submit { transfer.downloadPaused }.get() }
                        try await waitUntil { backend.responsesWritten.withLockedValue { $0 } == 1 }
                        resumed = true
                        transfer.acknowledge(bytes: unacknowledged)
                        unacknowledged = 0
                    }
                case .end:
                    ended = true
                case .failure(let failure):
                    Issue.record("the transfer failed: \(failure)")
                case .head, .requestBodyDrained:
                    break
                }
                if ended { break }
            }
            #expect(ended)
            #expect(resumed)
            #expect(received == 3 << 19)
            #expect(checker.intact)
        }
    }

    @Test("a large response read in many buffers from one burst of signals arrives whole, many times over")
    func partiallyDrainedSocketsAreRedriven() async throws {
        try await withBridge(bodySize: 256 << 10) { client, loop, _ in
            try await self.expectWholeExchanges(8, of: 256 << 10, client, on: loop)
        }
    }

    @Test("when the real-time signal queue overflows, SIGIO makes the driver ask every socket, and exchanges complete")
    func queueOverflowFallsBackToAskingEverySocket() async throws {
        var previous: UInt = 0
        try #require(mw_sigio_set_queue_limit(0, &previous) == 0)
        defer { _ = mw_sigio_set_queue_limit(previous, &previous) }
        try await withBridge(bodySize: 64 << 10) { client, loop, _ in
            try await self.expectWholeExchanges(10, of: 64 << 10, client, on: loop)
            let driver = client.driver(on: loop)
            let statistics = try await loop.submit { driver.statistics }.get()
            #expect(statistics.overflows > 0)
            #expect(statistics.signals == 0)
        }
    }

    @Test("the readiness signal is blocked on the loop's thread and libcurl's sockets signal that thread alone")
    func signalStaysOnTheLoopThread() async throws {
        try await withBridge(bodySize: 100) { client, loop, _ in
            let outcome = try await self.exchange(client, on: loop)
            #expect(outcome.ended)
            let driver = client.driver(on: loop)
            let (blocked, owners, thread, signals) = try await loop.submit {
                (
                    mw_sigio_is_blocked_on_this_thread() == 1, driver.ownSockets.map { mw_sigio_owner_thread($0) },
                    mw_sigio_thread_id(), driver.statistics.signals
                )
            }.get()
            #expect(blocked)
            // The kept-alive connection to the backend.
            #expect(!owners.isEmpty)
            #expect(owners.allSatisfy { $0 == thread })
            #expect(signals > 0)
            // This thread is not the loop's and never blocked the signal: none may come here.
            #expect(mw_sigio_thread_id() != thread)
        }
    }

    @Test("two upstream clients on one event loop share its signals: the exchanges of both complete")
    func twoClientsOnOneLoop() async throws {
        try await withBridge(bodySize: 64 << 10) { client, loop, backend in
            let configuration = UpstreamConfiguration(url: try UpstreamURL(parsing: "http://127.0.0.1:\(backend.port)"))
            let second = try UpstreamClient(configuration: configuration, group: loop, logger: Logger(label: "test"))
            for _ in 0..<5 {
                async let first = self.exchange(client, on: loop)
                async let other = self.exchange(second, on: loop)
                let outcomes = try await [first, other]
                #expect(outcomes.allSatisfy { $0.ended && $0.bytes == 64 << 10 && $0.intact })
            }
            await second.shutdown()
            // The first client goes on alone after the second has let go of the shared signalfd.
            try await self.expectWholeExchanges(2, of: 64 << 10, client, on: loop)
        }
    }

    // MARK: Support

    private struct Outcome {
        var bytes = 0
        var ended = false
        var intact = true
    }

    private func start(_ client: UpstreamClient, on loop: any EventLoop) -> (AsyncStream<UpstreamEvent>, UpstreamTransfer) {
        let (events, continuation) = AsyncStream.makeStream(of: UpstreamEvent.self)
        let request = UpstreamRequest(method: "GET", target: "/", headers: [], body: .none)
        let transfer = client.startTransfer(on: loop, request) { _, batch in
            for event in batch { continuation.yield(event) }
        }
        return (events, transfer)
    }

    private func expectWholeExchanges(_ count: Int, of bodySize: Int, _ client: UpstreamClient, on loop: any EventLoop) async throws {
        for _ in 0..<count {
            let outcome = try await self.exchange(client, on: loop)
            #expect(outcome.ended)
            #expect(outcome.bytes == bodySize)
            #expect(outcome.intact)
        }
    }

    /// One exchange whose client takes every byte at once.
    private func exchange(_ client: UpstreamClient, on loop: any EventLoop) async throws -> Outcome {
        let (events, transfer) = self.start(client, on: loop)
        var outcome = Outcome()
        var checker = PatternChecker()
        for await event in events {
            switch event {
            case .body(let bytes):
                checker.check(bytes)
                outcome.bytes += bytes.readableBytes
                transfer.acknowledge(bytes: bytes.readableBytes)
            case .end:
                outcome.ended = true
            case .failure(let failure):
                Issue.record("the transfer failed: \(failure)")
                return outcome
            case .head, .requestBodyDrained:
                break
            }
            if outcome.ended { break }
        }
        outcome.intact = checker.intact
        return outcome
    }

    private func withBridge(
        bodySize: Int, _ body: (UpstreamClient, any EventLoop, CannedBackend) async throws -> Void
    ) async throws {
        try await withCannedBackendClient(bodySize: bodySize, body)
    }
}

/// Waits for a condition that the code under test reaches by itself; the limit only keeps a
/// broken build from hanging the suite.
private func waitUntil(_ condition: () async throws -> Bool) async throws {
    for _ in 0..<6000 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("the condition never held")
}

/// Body bytes follow a pattern, so a lost, repeated or reordered buffer shows.
private struct PatternChecker {
    private var offset = 0
    private(set) var intact = true

    mutating func check(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                if byte != UInt8(self.offset % 251) { self.intact = false }
                self.offset += 1
            }
        }
    }
}

/// Runs `body` with an upstream client of a `CannedBackend` on a one-loop group, and shuts all
/// three down whatever `body` does.
func withCannedBackendClient(
    bodySize: Int, _ body: (UpstreamClient, any EventLoop, CannedBackend) async throws -> Void
) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let backend = try await CannedBackend.start(bodySize: bodySize, group: group)
    let configuration = UpstreamConfiguration(url: try UpstreamURL(parsing: "http://127.0.0.1:\(backend.port)"))
    let client = try UpstreamClient(configuration: configuration, group: group, logger: Logger(label: "test"))
    do {
        try await body(client, group.next(), backend)
    } catch {
        await client.shutdown()
        try? await backend.channel.close()
        try? await group.shutdownGracefully()
        throw error
    }
    await client.shutdown()
    try? await backend.channel.close()
    try await group.shutdownGracefully()
}

/// A backend that answers every request with a fixed-size body written at once.
final class CannedBackend: Sendable {
    let channel: any Channel
    let port: Int
    /// Responses the kernel has taken whole.
    let responsesWritten: NIOLockedValueBox<Int>

    private init(channel: any Channel, responsesWritten: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.responsesWritten = responsesWritten
    }

    static func start(bodySize: Int, group: any EventLoopGroup) async throws -> CannedBackend {
        var response = ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: \(bodySize)\r\n\r\n")
        for offset in 0..<bodySize {
            response.writeInteger(UInt8(offset % 251))
        }
        let written = NIOLockedValueBox(0)
        let answer = response
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CannedResponder(response: answer, written: written))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return CannedBackend(channel: channel, responsesWritten: written)
    }
}

private final class CannedResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let response: ByteBuffer
    private let written: NIOLockedValueBox<Int>
    private var received: [UInt8] = []

    init(response: ByteBuffer, written: NIOLockedValueBox<Int>) {
        self.response = response
        self.written = written
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received.append(contentsOf: self.unwrapInboundIn(data).readableBytesView)
        // Requests here have no body: each blank line ends one.
        while let end = self.headEnd() {
            self.received.removeFirst(end)
            let written = self.written
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenSuccess { written.withLockedValue { $0 += 1 } }
            context.writeAndFlush(self.wrapOutboundOut(self.response), promise: promise)
        }
    }

    private func headEnd() -> Int? {
        guard self.received.count >= 4 else { return nil }
        for index in 3..<self.received.count
        where self.received[index - 3] == 13 && self.received[index - 2] == 10 && self.received[index - 1] == 13
            && self.received[index] == 10
        {
            return index + 1
        }
        return nil
    }
}
