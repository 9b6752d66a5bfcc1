package dev.quark.cluster.transport.grpc;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.Silos.Silo;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A link's streams one after another: what breaks with one stream is that stream's alone.
 */
class PeerLinkTests {

    private final Silos silos = new Silos();

    private ManagedChannel channel;

    @AfterEach
    void close() {
        if (this.channel != null) {
            this.channel.shutdownNow();
        }
        this.silos.close();
    }

    @Test
    void aBrokenStreamFailsOnlyTheRequestsWrittenOnItNotThoseOnTheLinksNewerStream() {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bank")
            .reconnectBackoff(Duration.ofMillis(1), Duration.ofMillis(1))
            .build();
        Silo a = this.silos.start("a", settings);
        Silo b = this.silos.start("b", settings);
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        Map<Long, RuntimeException> lost = new ConcurrentHashMap<>();
        PeerLink[] link = new PeerLink[1];
        Envelope onNewerStream = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[4]);
        AtomicBoolean interposed = new AtomicBoolean();
        // The newer stream opens and carries a request between the old stream breaking and its requests failing.
        OutstandingRequests outstanding = new OutstandingRequests(Clock.systemUTC()) {
            @Override
            List<Long> removeSentOn(Object stream) {
                if (interposed.compareAndSet(false, true)) {
                    await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> link[0].send(onNewerStream).get(2, TimeUnit.SECONDS) == null);
                    await().atMost(Duration.ofSeconds(10))
                        .until(() -> b.recorder().received.stream()
                            .anyMatch((envelope) -> envelope.messageId() == onNewerStream.messageId()));
                }
                return super.removeSentOn(stream);
            }
        };
        link[0] = new PeerLink("a", b.address(), Envelope.Lane.CALL, this.channel, settings, outstanding, lost::put,
                Clock.systemUTC());
        Envelope onOldStream = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[4]);
        link[0].send(onOldStream).join();
        await().atMost(Duration.ofSeconds(5)).until(() -> !b.recorder().received.isEmpty());

        ((SiloTransportService) b.transport().bindableService()).endAll();

        await().atMost(Duration.ofSeconds(20)).until(() -> lost.containsKey(onOldStream.messageId()));
        assertThat(lost.get(onOldStream.messageId())).isInstanceOf(LinkBrokenException.class);
        assertThat(lost).doesNotContainKey(onNewerStream.messageId());
        assertThat(link[0].outstanding().get()).isEqualTo(1);
        assertThat(outstanding.size()).isEqualTo(1);
        link[0].close();
    }
}
