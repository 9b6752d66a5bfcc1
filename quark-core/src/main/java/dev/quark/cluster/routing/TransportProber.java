package dev.quark.cluster.routing;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloProber;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.LinkRefusal;
import dev.quark.cluster.transport.SiloUnreachableException;

/**
 * Probes other silos over the transport, on the probe lane, for failure detection: {@code PROBE} answered by
 * {@code PROBE_REPLY}; {@code INDIRECT_PROBE} asks an intermediary to probe the target itself and answers
 * {@code PROBE_REPLY} when the target answered it, {@code PROBE_FAILED} with the reason otherwise. A silo
 * answers probes whether or not it serves calls: a probe asks whether the process is there, and a silo
 * answers {@code PROBE_FAILED} to a probe meant for an earlier incarnation of itself.
 */
final class TransportProber implements SiloProber {

    /** The share of an indirect probe's time the intermediary spends waiting for the target. */
    private static final double INTERMEDIARY_SHARE = 0.8;

    private final Messenger messenger;

    private final Clock clock;

    TransportProber(Messenger messenger, Clock clock) {
        this.messenger = messenger;
        this.clock = clock;
    }

    @Override
    public CompletionStage<Void> probe(SiloEntry target, Duration timeout) {
        return probe(Peer.of(target), timeout);
    }

    @Override
    public CompletionStage<Void> probeIndirectly(SiloEntry intermediary, SiloEntry target, Duration timeout) {
        long waitMillis = Math.max(1, (long) (timeout.toMillis() * INTERMEDIARY_SHARE));
        byte[] payload = new ProbeTarget(target.siloId(), target.epoch(), target.address(), waitMillis).toBytes();
        return exchange(Peer.of(intermediary), Envelope.Kind.INDIRECT_PROBE, payload, timeout,
                "the indirect probe of silo " + target.siloId() + " through silo " + intermediary.siloId());
    }

    /**
     * A probe was refused when its failure, or one of the failures behind it, is a {@link LinkRefusal} of the
     * transport.
     */
    @Override
    public boolean isRefusal(Throwable failure) {
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < 16; depth++) {
            if (cause instanceof LinkRefusal) {
                return true;
            }
            cause = cause.getCause();
        }
        return false;
    }

    private CompletableFuture<Void> probe(Peer target, Duration timeout) {
        return exchange(target, Envelope.Kind.PROBE, Envelope.noPayload(), timeout,
                "the probe of silo " + target.siloId());
    }

    private CompletableFuture<Void> exchange(Peer target, Envelope.Kind kind, byte[] payload, Duration timeout,
            String description) {
        long deadline = this.clock.millis() + timeout.toMillis();
        CompletableFuture<Envelope> answer = this.messenger.request(target,
                Messenger.Message.control(kind, null, payload, deadline),
                () -> new SiloUnreachableException(description + " got no answer within " + timeout.toMillis() + " ms"),
                description);
        return answer.thenApply((reply) -> {
            if (reply.kind() != Envelope.Kind.PROBE_REPLY) {
                throw new SiloUnreachableException(description + " failed: "
                        + new String(reply.payload(), StandardCharsets.UTF_8));
            }
            return null;
        });
    }

    /**
     * Answers a probe meant for this silo.
     */
    void probed(Envelope request) {
        this.messenger.answer(request, Envelope.Kind.PROBE_REPLY, Envelope.noPayload());
    }

    /**
     * Probes the silo an {@code INDIRECT_PROBE} names and tells the asker how it went.
     */
    void probeFor(Envelope request) {
        ProbeTarget target;
        try {
            target = ProbeTarget.of(request.payload());
        }
        catch (RuntimeException ex) {
            refuse(request, String.valueOf(ex.getMessage()));
            return;
        }
        probe(new Peer(target.siloId(), target.epoch(), target.address()), Duration.ofMillis(target.timeoutMillis()))
            .whenComplete((answered, failure) -> {
                if (failure == null) {
                    this.messenger.answer(request, Envelope.Kind.PROBE_REPLY, Envelope.noPayload());
                }
                else {
                    refuse(request, "silo " + this.messenger.self() + " could not reach silo " + target.siloId()
                            + ": " + Messenger.unwrap(failure).getMessage());
                }
            });
    }

    void refuse(Envelope request, String reason) {
        this.messenger.answer(request, Envelope.Kind.PROBE_FAILED, reason.getBytes(StandardCharsets.UTF_8));
    }
}
