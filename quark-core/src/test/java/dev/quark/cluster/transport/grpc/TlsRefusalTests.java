package dev.quark.cluster.transport.grpc;

import java.nio.channels.ClosedChannelException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import io.grpc.Status;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which TLS failures are refusals (configuration, that does not heal) and which are a handshake cut short (a
 * closed connection, a timeout: silence), as a link's stream reports them: a {@code StatusRuntimeException}
 * whose cause chain holds the TLS failure.
 */
class TlsRefusalTests {

    @Test
    void alertsByWhichThePeerRefusesTheHandshakeAreRefusals() {
        for (String alert : new String[] { "bad_certificate", "certificate_required", "unknown_ca",
                "handshake_failure", "certificate_unknown", "certificate_expired" }) {
            SSLHandshakeException received = new SSLHandshakeException("Received fatal alert: " + alert);
            assertThat(TlsRefusal.of(unavailable(received))).as(alert).isSameAs(received);
        }
        SSLException openSsl = new SSLException(
                "error:10000412:SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE");
        assertThat(TlsRefusal.of(unavailable(openSsl))).isSameAs(openSsl);
    }

    @Test
    void certificateChecksThatFailedHereAreRefusals() {
        SSLHandshakeException untrusted = new SSLHandshakeException("PKIX path validation failed");
        untrusted.initCause(new CertificateException("validation failed",
                new CertPathValidatorException("signature check failed")));
        assertThat(TlsRefusal.of(unavailable(untrusted))).isSameAs(untrusted);
        SSLHandshakeException expired = new SSLHandshakeException("certificate expired");
        expired.initCause(new CertPathValidatorException("validity check failed"));
        assertThat(TlsRefusal.of(unavailable(expired))).isSameAs(expired);
    }

    @Test
    void aPeerThatDoesNotSpeakTlsRefusesIt() {
        NotSslRecordException plain = new NotSslRecordException("not an SSL/TLS record: 000012");
        assertThat(TlsRefusal.of(unavailable(plain))).isSameAs(plain);
    }

    @Test
    void handshakesClosedOrTimedOutAreNotRefusals() {
        SSLHandshakeException closed = new SSLHandshakeException(
                "Connection closed while SSL/TLS handshake was in progress");
        closed.initCause(new ClosedChannelException());
        assertThat(TlsRefusal.of(unavailable(closed))).isNull();
        assertThat(TlsRefusal.of(unavailable(new SslHandshakeTimeoutException("handshake timed out after 10000ms"))))
            .isNull();
        assertThat(TlsRefusal.of(unavailable(new SSLException("Received close_notify during handshake")))).isNull();
        assertThat(TlsRefusal.of(unavailable(new SSLHandshakeException("Received fatal alert: internal_error"))))
            .isNull();
        assertThat(TlsRefusal.of(unavailable(new ClosedChannelException()))).isNull();
    }

    private static Throwable unavailable(Throwable cause) {
        return Status.UNAVAILABLE.withDescription("io exception").withCause(cause).asRuntimeException();
    }
}
