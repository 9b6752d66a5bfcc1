package dev.quark.cluster.transport.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

import dev.quark.cluster.membership.SiloAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PeerProtocol#speaksTls} says yes only to a TLS record: not to a port without a listener, a server that
 * closes the connection without a word, one that stalls, nor a plaintext HTTP/2 server's {@code SETTINGS} frame.
 * (A real TLS silo answering yes is covered by {@code GrpcTransportTlsTests} in the test kit.)
 */
class PeerProtocolTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @Test
    void aPortWithoutAListenerDoesNotSpeakTls() throws IOException {
        int port;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = server.getLocalPort();
        }
        assertThat(PeerProtocol.speaksTls(new SiloAddress("127.0.0.1", port), TIMEOUT)).isFalse();
    }

    @Test
    void aServerThatClosesWithoutAWordDoesNotSpeakTls() throws Exception {
        assertThat(answering(new byte[0])).isFalse();
    }

    @Test
    void aPlaintextHttp2ServerDoesNotSpeakTls() throws Exception {
        byte[] settings = { 0, 0, 0x12, 0x04, 0, 0, 0, 0, 0, 0, 0x03, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff };
        assertThat(answering(settings)).isFalse();
    }

    @Test
    void aServerThatAnswersWithATlsRecordSpeaksTls() throws Exception {
        assertThat(answering(new byte[] { 0x16, 0x03, 0x03, 0x00, 0x5a })).isTrue();
        assertThat(answering(new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02 })).as("an alert record").isTrue();
    }

    @Test
    void aServerThatStallsDoesNotSpeakTls() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try (Socket socket = server.accept()) {
                    socket.getInputStream().readAllBytes();
                }
                catch (IOException ex) {
                    // the client gave up
                }
            });
            assertThat(PeerProtocol.speaksTls(new SiloAddress("127.0.0.1", server.getLocalPort()),
                    Duration.ofMillis(300))).isFalse();
            acceptor.join(Duration.ofSeconds(5));
        }
    }

    /** Asks a server that reads the client's first bytes, answers {@code answer} and closes. */
    private static boolean answering(byte[] answer) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try (Socket socket = server.accept()) {
                    InputStream in = socket.getInputStream();
                    in.readNBytes(5);
                    socket.getOutputStream().write(answer);
                    socket.getOutputStream().flush();
                }
                catch (IOException ex) {
                    // the client closed first
                }
            });
            boolean tls = PeerProtocol.speaksTls(new SiloAddress("127.0.0.1", server.getLocalPort()), TIMEOUT);
            acceptor.join(Duration.ofSeconds(5));
            return tls;
        }
    }
}
