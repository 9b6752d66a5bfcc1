package dev.quark.cluster.transport.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

import dev.quark.cluster.membership.SiloAddress;

/**
 * Asks a peer, over a connection of its own, whether it speaks TLS, after a plaintext link's connection was closed
 * before the peer accepted its stream: a TLS server closes a connection that starts with the plaintext HTTP/2
 * preface without a word, so the plaintext side sees "Network closed for unknown reason", as for a silo that died,
 * and the link's own failure cannot tell a mismatch from silence. The answer is unambiguous: a TLS server answers
 * a TLS {@code ClientHello} with a TLS record (a handshake or alert record of version 3.x), which no HTTP/2 server
 * sends (its first frame's header starts with a length below 2^14, so its first byte is 0). No connection, no
 * answer within the timeout, or other bytes: "no", and the link's failure stays what it was. (The other way round
 * needs no check: a plaintext peer answers a TLS link's {@code ClientHello} with its {@code SETTINGS} frame, which
 * the TLS side sees as a {@code NotSslRecordException}, see {@link TlsRefusal}.)
 */
final class PeerProtocol {

    private static final int TLS_HANDSHAKE = 0x16;

    private static final int TLS_ALERT = 0x15;

    private PeerProtocol() {
    }

    /**
     * Tells whether the server at an address answers a TLS {@code ClientHello} with a TLS record.
     * @param address the peer
     * @param timeout how long to wait for the connection and for the first bytes of the answer
     * @return {@code true} only when it answered with a TLS record
     */
    static boolean speaksTls(SiloAddress address, Duration timeout) {
        try {
            SSLEngine engine = SSLContext.getDefault().createSSLEngine(address.host(), address.port());
            engine.setUseClientMode(true);
            engine.beginHandshake();
            ByteBuffer hello = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            engine.wrap(ByteBuffer.allocate(0), hello);
            hello.flip();
            byte[] bytes = new byte[hello.remaining()];
            hello.get(bytes);
            byte[] answer = exchange(address, timeout, bytes, 3);
            return answer.length == 3 && (answer[0] == TLS_HANDSHAKE || answer[0] == TLS_ALERT) && answer[1] == 3;
        }
        catch (IOException | GeneralSecurityException | RuntimeException ex) {
            return false;
        }
    }

    /** Writes {@code request} and reads up to {@code length} bytes of the answer, fewer when the peer closes. */
    private static byte[] exchange(SiloAddress address, Duration timeout, byte[] request, int length)
            throws IOException {
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address.host(), address.port()), millis);
            socket.setSoTimeout(millis);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] answer = new byte[length];
            int read = 0;
            while (read < length) {
                int n = in.read(answer, read, length - read);
                if (n < 0) {
                    break;
                }
                read += n;
            }
            return (read == length) ? answer : Arrays.copyOf(answer, read);
        }
    }
}
