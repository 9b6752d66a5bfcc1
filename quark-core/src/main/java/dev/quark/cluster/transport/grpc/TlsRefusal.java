package dev.quark.cluster.transport.grpc;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLException;

import org.jspecify.annotations.Nullable;

/**
 * Tells a TLS handshake that one side refused (it does not trust the other's certificate, got none where one is
 * required, or the peer does not speak TLS) from one that was cut short. Only a refusal becomes a
 * {@link TlsHandshakeException}: Netty also raises {@code SSLHandshakeException} when the connection closes
 * during the handshake (the peer was killed) and {@code SslHandshakeTimeoutException} when the peer accepts the
 * connection but stalls, and those are silence, which heals, not configuration.
 * <p>
 * A refusal is a certificate check that failed here ({@link CertificateException} or
 * {@link CertPathValidatorException} in the chain), a fatal alert the peer sent about the handshake or our
 * certificate (the JDK's "Received fatal alert: bad_certificate", OpenSSL's "..._ALERT_BAD_CERTIFICATE"), or a
 * peer that answered with something other than TLS ({@code NotSslRecordException}).
 */
final class TlsRefusal {

    /** The TLS alerts (RFC 8446 §6.2 names) by which a peer refuses the handshake or this silo's certificate. */
    private static final Set<String> REFUSING_ALERTS = Set.of("handshake_failure", "no_certificate",
            "bad_certificate", "unsupported_certificate", "certificate_revoked", "certificate_expired",
            "certificate_unknown", "unknown_ca", "access_denied", "protocol_version", "insufficient_security",
            "certificate_required", "no_application_protocol");

    private static final Pattern JDK_ALERT = Pattern.compile("fatal alert: ([a-z_]+)");

    private static final Pattern OPENSSL_ALERT = Pattern.compile("ALERT_([A-Z_]+)");

    private static final int MAX_DEPTH = 16;

    private TlsRefusal() {
    }

    /**
     * Returns the TLS failure by which one of the two silos refused the other, if the chain holds one.
     * @param error how a link's stream ended
     * @return the refusing failure, {@code null} when the chain holds none (no TLS failure, or a handshake that
     * was closed or timed out)
     */
    static @Nullable Throwable of(Throwable error) {
        Throwable cause = error;
        for (int depth = 0; cause != null && depth < MAX_DEPTH; depth++) {
            if (isNotTls(cause)) {
                return cause;
            }
            if (cause instanceof SSLException && (refusingAlert(cause.getMessage()) || certificateCheckFailed(cause))) {
                return cause;
            }
            cause = cause.getCause();
        }
        return null;
    }

    /**
     * Whether a failure is Netty's {@code NotSslRecordException}: the peer answered with bytes that are no TLS
     * record, as a plaintext HTTP/2 server answers a {@code ClientHello} with its {@code SETTINGS} frame.
     */
    static boolean isNotTls(Throwable failure) {
        return failure.getClass().getSimpleName().equals("NotSslRecordException");
    }

    private static boolean certificateCheckFailed(Throwable ssl) {
        Throwable cause = ssl.getCause();
        for (int depth = 0; cause != null && depth < MAX_DEPTH; depth++) {
            if (cause instanceof CertificateException || cause instanceof CertPathValidatorException) {
                return true;
            }
            cause = cause.getCause();
        }
        return false;
    }

    static boolean refusingAlert(@Nullable String message) {
        if (message == null) {
            return false;
        }
        Matcher jdk = JDK_ALERT.matcher(message);
        if (jdk.find() && REFUSING_ALERTS.contains(jdk.group(1))) {
            return true;
        }
        Matcher openSsl = OPENSSL_ALERT.matcher(message);
        while (openSsl.find()) {
            if (REFUSING_ALERTS.contains(openSsl.group(1).toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }
}
