package dev.quark.cluster.routing;

import java.time.Clock;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import javax.net.ssl.SSLHandshakeException;

import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.grpc.HandshakeRefusedException;
import dev.quark.cluster.transport.grpc.LinkBrokenException;
import dev.quark.cluster.transport.grpc.TlsHandshakeException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failed probe is a refusal when a transport refusal is behind it, however the stage wrapped it: as a join's
 * check sees it (a {@link CompletionException}), or as the reconnect back-off replays it; a broken link or a
 * probe without answer is silence.
 */
class TransportProberRefusalTests {

    @SuppressWarnings("NullAway")
    private final TransportProber prober = new TransportProber(null, Clock.systemUTC());

    @Test
    void tlsRefusalWrappedByTheProbesStageIsARefusal() {
        TlsHandshakeException refused = new TlsHandshakeException("The TLS handshake of the link from silo a to b "
                + "was refused: SSLHandshakeException: Received fatal alert: bad_certificate",
                new SSLHandshakeException("Received fatal alert: bad_certificate"));
        assertThat(this.prober.isRefusal(new CompletionException(refused))).isTrue();
        assertThat(this.prober.isRefusal(new ExecutionException(new CompletionException(refused)))).isTrue();
    }

    @Test
    void theBackOffsCopyOfARefusalIsARefusal() {
        TlsHandshakeException copy = new TlsHandshakeException("Silo a cannot send ...: its link to b is down after "
                + "1 failure(s), next attempt in 90 ms; last failure: ...",
                new SSLHandshakeException("Received fatal alert: certificate_required"));
        assertThat(this.prober.isRefusal(new CompletionException(copy))).isTrue();
        assertThat(this.prober.isRefusal(new CompletionException(new HandshakeRefusedException(
                "silo b is in cluster name 'other'")))).isTrue();
    }

    @Test
    void brokenLinksAndUnansweredProbesAreSilence() {
        assertThat(this.prober.isRefusal(new CompletionException(new LinkBrokenException("The link from silo a to "
                + "b broke: UNAVAILABLE io exception (SSLHandshakeException: Connection closed while SSL/TLS "
                + "handshake was in progress)")))).isFalse();
        assertThat(this.prober.isRefusal(new CompletionException(new SiloUnreachableException(
                "the probe of silo b got no answer within 1000 ms")))).isFalse();
    }
}
