import NIOCore

/// Counts every byte the SMTP server sent (decrypted, once TLS is in place), so that at STARTTLS the
/// conversation can prove nothing is waiting beyond the `220` it read.
///
/// Bytes that arrive in the clear after that `220` would otherwise be read as if they came over TLS — the
/// plaintext command/response injection of CVE-2011-0411 (RFC 3207 4.2 and 6: discard what was learned
/// before TLS). Only touched on the channel's event loop.
final class SMTPInboundByteCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let count: NIOLoopBoundBox<Int>

    init(eventLoop: any EventLoop) {
        count = NIOLoopBoundBox(0, eventLoop: eventLoop)
    }

    /// Bytes received so far. Event loop only.
    var received: Int { count.value }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        count.value += unwrapInboundIn(data).readableBytes
        context.fireChannelRead(data)
    }
}
