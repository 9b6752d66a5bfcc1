package dev.quark.cluster.transport.injvm;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.SiloUnreachableException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * The in-JVM transport: asynchronous delivery in order per lane, lanes that do not wait for each other, cut
 * links and silos that disappear.
 */
class InJvmNetworkTests {

    private final InJvmNetwork network = new InJvmNetwork();

    private final InJvmTransport first = this.network.transport();

    private final InJvmTransport second = this.network.transport();

    private final BlockingQueue<Envelope> toSecond = new LinkedBlockingQueue<>();

    private final List<Thread> handlerThreads = new CopyOnWriteArrayList<>();

    private final SiloAddress firstAddress = this.first.start("first", (envelope) -> {
    });

    private final SiloAddress secondAddress = this.second.start("second", (envelope) -> {
        this.handlerThreads.add(Thread.currentThread());
        this.toSecond.add(envelope);
    });

    @AfterEach
    void close() {
        this.first.close();
        this.second.close();
        this.network.close();
    }

    @Test
    void envelopesArriveOnAnotherThreadInTheOrderSent() throws Exception {
        for (int i = 0; i < 100; i++) {
            assertThat(this.first.send(this.secondAddress, envelope(i, Envelope.Kind.ONE_WAY)).toCompletableFuture())
                .isCompleted();
        }
        for (int i = 0; i < 100; i++) {
            Envelope received = this.toSecond.poll(5, TimeUnit.SECONDS);
            assertThat(received).isNotNull();
            assertThat(received.messageId()).isEqualTo(i);
        }
        assertThat(this.handlerThreads).doesNotContain(Thread.currentThread()).allMatch(Thread::isVirtual);
    }

    @Test
    void probesDoNotWaitBehindACallThatBlocksTheHandler() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<Envelope> arrived = new LinkedBlockingQueue<>();
        InJvmTransport blocking = this.network.transport();
        SiloAddress address = blocking.start("blocking", (envelope) -> {
            arrived.add(envelope);
            if (envelope.kind() == Envelope.Kind.REQUEST) {
                try {
                    release.await(5, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        this.first.send(address, envelope(1, Envelope.Kind.REQUEST));
        this.first.send(address, envelope(2, Envelope.Kind.REQUEST));
        assertThat(arrived.poll(5, TimeUnit.SECONDS).messageId()).isEqualTo(1);
        this.first.send(address, envelope(3, Envelope.Kind.PROBE));
        assertThat(arrived.poll(5, TimeUnit.SECONDS).messageId()).as("the probe overtakes the waiting call")
            .isEqualTo(3);
        release.countDown();
        assertThat(arrived.poll(5, TimeUnit.SECONDS).messageId()).isEqualTo(2);
        blocking.close();
    }

    @Test
    void cutLinkFailsSendsInBothDirectionsUntilHealed() throws Exception {
        this.network.cut("second", "first");
        assertThat(this.first.send(this.secondAddress, envelope(1, Envelope.Kind.REQUEST)).toCompletableFuture())
            .failsWithin(Duration.ofSeconds(1))
            .withThrowableThat()
            .havingCause()
            .isInstanceOf(SiloUnreachableException.class)
            .withMessageContaining("first")
            .withMessageContaining("second")
            .withMessageContaining("cut");
        assertThat(this.second.send(this.firstAddress, envelope(2, Envelope.Kind.REQUEST)).toCompletableFuture())
            .failsWithin(Duration.ofSeconds(1));
        this.network.heal("first", "second");
        this.first.send(this.secondAddress, envelope(3, Envelope.Kind.REQUEST));
        assertThat(this.toSecond.poll(5, TimeUnit.SECONDS).messageId()).isEqualTo(3);
    }

    @Test
    void isolatedSiloReachesNobodyAndNobodyReachesItAlsoSilosStartedLaterUntilReconnected() throws Exception {
        this.network.isolate("second");
        InJvmTransport later = this.network.transport();
        BlockingQueue<Envelope> toLater = new LinkedBlockingQueue<>();
        SiloAddress laterAddress = later.start("later", toLater::add);
        assertThat(this.first.send(this.secondAddress, envelope(1, Envelope.Kind.PROBE)).toCompletableFuture())
            .failsWithin(Duration.ofSeconds(1))
            .withThrowableThat()
            .havingCause()
            .isInstanceOf(SiloUnreachableException.class);
        assertThat(later.send(this.secondAddress, envelope(2, Envelope.Kind.PROBE)).toCompletableFuture())
            .failsWithin(Duration.ofSeconds(1));
        assertThat(this.second.send(laterAddress, envelope(3, Envelope.Kind.PROBE)).toCompletableFuture())
            .failsWithin(Duration.ofSeconds(1));
        assertThat(this.network.isCut("first", "later")).isFalse();

        this.network.reconnect("second");
        this.first.send(this.secondAddress, envelope(4, Envelope.Kind.PROBE));
        this.second.send(laterAddress, envelope(5, Envelope.Kind.PROBE));
        assertThat(this.toSecond.poll(5, TimeUnit.SECONDS).messageId()).isEqualTo(4);
        assertThat(toLater.poll(5, TimeUnit.SECONDS).messageId()).isEqualTo(5);
        assertThat(this.toSecond).isEmpty();
        later.close();
    }

    @Test
    void closedSiloIsGoneForItsPeersAndCannotSend() {
        this.second.close();
        assertThat(this.network.silos()).containsExactly("first");
        assertThat(this.first.send(this.secondAddress, envelope(1, Envelope.Kind.REQUEST)).toCompletableFuture())
            .failsWithin(Duration.ofSeconds(1))
            .withThrowableThat()
            .havingCause()
            .isInstanceOf(SiloUnreachableException.class)
            .withMessageContaining("nobody listens");
        assertThat(this.second.send(this.firstAddress, envelope(2, Envelope.Kind.REQUEST)).toCompletableFuture())
            .failsWithin(Duration.ofSeconds(1))
            .withThrowableThat()
            .havingCause()
            .withMessageContaining("closed");
        assertThatIllegalStateException().isThrownBy(() -> this.second.start("again", (envelope) -> {
        }));
    }

    @Test
    void envelopesInFlightOnALinkThatIsCutAreLost() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Long> handled = new CopyOnWriteArrayList<>();
        InJvmTransport slow = this.network.transport();
        SiloAddress address = slow.start("slow", (envelope) -> {
            handled.add(envelope.messageId());
            try {
                release.await(5, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        this.first.send(address, envelope(1, Envelope.Kind.REQUEST));
        this.first.send(address, envelope(2, Envelope.Kind.REQUEST));
        await().atMost(Duration.ofSeconds(5)).until(() -> handled.contains(1L));
        this.network.cut("first", "slow");
        release.countDown();
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !handled.contains(2L));
        this.network.heal("first", "slow");
        this.first.send(address, envelope(3, Envelope.Kind.REQUEST));
        await().atMost(Duration.ofSeconds(5)).until(() -> handled.contains(3L));
        assertThat(handled).containsExactly(1L, 3L);
        slow.close();
    }

    private Envelope envelope(long id, Envelope.Kind kind) {
        return new Envelope(id, id, kind, "first", 1, this.firstAddress, "second", 1, null, null, 0,
                ("#" + id).getBytes(StandardCharsets.UTF_8), 0, null, Map.of(), Long.MAX_VALUE, 0, 0);
    }
}
