package dev.quark.cluster.routing;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.transport.Envelope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One-way {@link Envelope.Kind#NOTICE notices} between the services of silos: sends a topic's bytes to a silo of
 * the view, and hands those that arrive to the handler of their topic, on the routing's executor. A notice is a
 * hint: one whose silo cannot be reached, or whose topic has no handler, is dropped.
 */
final class SiloNotices {

    /** The metadata key of a notice's topic. */
    static final String TOPIC = "quark-notice-topic";

    private static final Logger logger = LoggerFactory.getLogger(SiloNotices.class);

    private final String self;

    private final ViewTracker views;

    private final Messenger messenger;

    private final Executor executor;

    private final Map<String, BiConsumer<byte[], SeenView>> handlers = new ConcurrentHashMap<>();

    SiloNotices(String self, ViewTracker views, Messenger messenger, Executor executor) {
        this.self = self;
        this.views = views;
        this.messenger = messenger;
        this.executor = executor;
    }

    void handle(String topic, Consumer<byte[]> handler) {
        Objects.requireNonNull(handler, "handler must not be null");
        handleWithView(topic, (payload, view) -> handler.accept(payload));
    }

    /**
     * Registers the handler of a topic that also gets the membership view the sender had when it sent the notice
     * (this silo's own for a notice it sends itself).
     */
    void handleWithView(String topic, BiConsumer<byte[], SeenView> handler) {
        Objects.requireNonNull(topic, "topic must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        if (this.handlers.putIfAbsent(topic, handler) != null) {
            throw new IllegalStateException("Silo " + this.self + " has a handler of notices on '" + topic + "' already");
        }
    }

    CompletionStage<Void> send(String siloId, String topic, byte[] payload) {
        if (this.self.equals(siloId)) {
            deliver(topic, payload, SeenView.of(this.views.current()));
            return CompletableFuture.completedFuture(null);
        }
        SiloEntry target = this.views.current().silo(siloId).orElse(null);
        if (target == null) {
            return CompletableFuture.failedFuture(new SiloUnavailableException("Silo " + this.self
                    + " cannot send a notice on '" + topic + "' to silo " + siloId + ": its view has no such silo"));
        }
        return send(Peer.of(target), topic, payload);
    }

    /**
     * Sends a notice to a peer that is not in the view, such as a cluster client, at the address and incarnation
     * its envelopes came from.
     */
    CompletionStage<Void> send(Peer target, String topic, byte[] payload) {
        Messenger.Message notice = new Messenger.Message(Envelope.Kind.NOTICE, null, 0, payload, 0, null,
                Map.of(TOPIC, topic), 0);
        return this.messenger.send(target, notice);
    }

    void received(Envelope envelope) {
        String topic = envelope.metadata().get(TOPIC);
        if (topic == null) {
            logger.debug("Silo {} dropped a notice without a topic: {}", this.self, envelope);
            return;
        }
        deliver(topic, envelope.payload(), SeenView.of(envelope));
    }

    private void deliver(String topic, byte[] payload, SeenView view) {
        BiConsumer<byte[], SeenView> handler = this.handlers.get(topic);
        if (handler == null) {
            logger.debug("Silo {} dropped a notice on '{}': no handler", this.self, topic);
            return;
        }
        this.executor.execute(() -> {
            try {
                handler.accept(payload, view);
            }
            catch (RuntimeException ex) {
                logger.warn("The handler of notices on '{}' of silo {} failed", topic, this.self, ex);
            }
        });
    }
}
