package dev.quark.cluster.routing;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.Transport;
import dev.quark.runtime.ActorAddress;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends this silo's envelopes: stamps them with a message id, this silo as source (id, incarnation, address)
 * and the membership version of its view; registers requests in the {@link PendingReplies} so that their
 * answers find them; addresses answers to the source of what they answer.
 */
final class Messenger {

    private static final Logger logger = LoggerFactory.getLogger(Messenger.class);

    private final String self;

    private final Transport transport;

    private final ViewTracker views;

    private final PendingReplies pending;

    private final AtomicLong nextMessageId = new AtomicLong(1);

    private volatile @Nullable SiloAddress address;

    Messenger(String self, Transport transport, ViewTracker views, PendingReplies pending) {
        this.self = self;
        this.transport = transport;
        this.views = views;
        this.pending = pending;
    }

    void listeningAt(SiloAddress listening) {
        this.address = listening;
    }

    String self() {
        return this.self;
    }

    /**
     * Sends a request and returns the stage its answer completes: failed at once when the transport cannot
     * hand it over, at its deadline, or when the target is gone from the view.
     */
    CompletableFuture<Envelope> request(Peer target, Message message, Supplier<? extends Throwable> expired,
            String description) {
        Envelope.Kind kind = message.kind();
        return awaitAnswer(target, envelope(target, message), expired, description, false,
                kind != Envelope.Kind.PROBE && kind != Envelope.Kind.INDIRECT_PROBE);
    }

    /**
     * Sends a question, as {@link #request} does, whose answer a silo's wait for idle does not wait for: a directory
     * lookup, which the application's calls through a leaving silo go on asking for as long as they go on.
     */
    CompletableFuture<Envelope> ask(Peer target, Message message, Supplier<? extends Throwable> expired,
            String description) {
        return awaitAnswer(target, envelope(target, message), expired, description, false, false);
    }

    /**
     * Sends an actor call and returns the stage its answer completes, as {@link #request} does, except that a
     * failure that leaves unknown whether the call ran there (its link broke after it was written, the target is
     * gone from the view) is an {@link OutcomeInDoubt} around the failure, and a failure of the transport to hand
     * it over (so it was not delivered) is a {@link NotHandedOver} around the transport's failure.
     */
    CompletableFuture<Envelope> call(Peer target, Message message, Supplier<? extends Throwable> expired,
            String description) {
        return awaitAnswer(target, envelope(target, message), expired, description, true, false);
    }

    /**
     * Sends a message that gets no answer.
     * @return a stage completed once the transport has handed it over
     */
    CompletionStage<Void> send(Peer target, Message message) {
        return handOver(target.address(), envelope(target, message));
    }

    /**
     * Returns a stage completed once this silo's link for calls to a silo is up again after it broke, failed when
     * the transport cannot bring it up or does not tell ({@link Transport#reconnect}).
     */
    CompletableFuture<Void> reconnected(Peer target) {
        try {
            return this.transport.reconnect(target.address(), Envelope.Kind.REQUEST.lane()).toCompletableFuture();
        }
        catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * Passes a call this silo does not own on to the silo that does, as a call of this silo's with one
     * forward more and the newer of the two membership versions.
     * @return the stage the owner's answer completes, as for {@link #call} (an unknown outcome is an
     * {@link OutcomeInDoubt}, a call the transport could not hand over a {@link NotHandedOver}); for a one-way call,
     * completed with {@code null} once handed over, failed as a {@link NotHandedOver} when the transport could not
     * reach the target, so that the call may be routed again
     */
    CompletableFuture<@Nullable Envelope> relay(Envelope call, Peer target, Supplier<? extends Throwable> expired,
            String description) {
        long messageId = this.nextMessageId.getAndIncrement();
        SeenView stamped = newerOf(SeenView.of(call));
        Envelope relayed = new Envelope(messageId, messageId, call.kind(), this.self, this.views.ownEpoch(),
                listening(), target.siloId(), target.epoch(), call.actorType(), call.actorId(), call.methodId(),
                call.payload(), call.callChainId(), call.requestId(), call.metadata(), call.deadlineEpochMillis(),
                stamped.version(), stamped.incarnation(), call.forwardCount() + 1);
        if (call.kind() == Envelope.Kind.ONE_WAY) {
            CompletableFuture<@Nullable Envelope> sent = new CompletableFuture<>();
            handOver(target.address(), relayed).whenComplete((ignored, failure) -> {
                if (failure == null) {
                    sent.complete(null);
                    return;
                }
                Throwable cause = unwrap(failure);
                sent.completeExceptionally(NotHandedOver.isUnreached(cause) ? new NotHandedOver(cause, target) : cause);
            });
            return sent;
        }
        return awaitAnswer(target, relayed, expired, description, true, false).thenApply((answer) -> answer);
    }

    private CompletableFuture<Envelope> awaitAnswer(Peer target, Envelope envelope,
            Supplier<? extends Throwable> expired, String description, boolean marksDoubt, boolean protocol) {
        CompletableFuture<Envelope> answer = this.pending.register(envelope.messageId(), target,
                envelope.deadlineEpochMillis(), expired, description, marksDoubt, protocol);
        handOver(target.address(), envelope).whenComplete((sent, failure) -> {
            if (failure != null) {
                // The send stage fails only when the envelope was not handed over: the call was not delivered. Only
                // a target that could not be reached makes it one the routing may send elsewhere.
                Throwable cause = unwrap(failure);
                this.pending.fail(envelope.messageId(), (marksDoubt && NotHandedOver.isUnreached(cause))
                        ? new NotHandedOver(cause, target) : cause);
            }
        });
        return answer;
    }

    /**
     * Answers a request, addressed to its source; an answer that cannot be sent is dropped, since the sender
     * gives up at its deadline or when its view drops this silo.
     */
    void answer(Envelope request, Envelope.Kind kind, byte[] payload) {
        answer(request, kind, payload, Map.of());
    }

    /**
     * Answers a request with metadata for its sender.
     */
    void answer(Envelope request, Envelope.Kind kind, byte[] payload, Map<String, String> metadata) {
        answer(request, kind, payload, metadata, (refused) -> null);
    }

    /**
     * Answers a request with metadata for its sender, and, when the transport refuses that answer, with the
     * {@code ERROR} whose payload {@code instead} makes of the refusal (an answer too large or beyond the bounds
     * can never be sent, and its caller should not wait for its deadline): sent once, not replaced again. An
     * answer for which {@code instead} returns {@code null} is dropped.
     */
    void answer(Envelope request, Envelope.Kind kind, byte[] payload, Map<String, String> metadata,
            Function<Throwable, byte @Nullable []> instead) {
        answer(request, kind, payload, metadata, null, instead);
    }

    /**
     * Answers a request as {@link #answer(Envelope, Envelope.Kind, byte[], Map, Function)} does, with at least the
     * given membership version: an answer passed back from another silo carries the newer of that silo's version and
     * this one's, so that a refusal without running the call sends its caller to the view that refused it.
     */
    void answer(Envelope request, Envelope.Kind kind, byte[] payload, Map<String, String> metadata,
            @Nullable SeenView atLeast, Function<Throwable, byte @Nullable []> instead) {
        long messageId = this.nextMessageId.getAndIncrement();
        SeenView stamped = newerOf(atLeast);
        Envelope answer = new Envelope(messageId, request.messageId(), kind, this.self, this.views.ownEpoch(),
                listening(), request.sourceSiloId(), request.sourceEpoch(), request.actorType(), request.actorId(),
                request.methodId(), payload, request.callChainId(), null, metadata, request.deadlineEpochMillis(),
                stamped.version(), stamped.incarnation(), 0);
        handOver(request.sourceAddress(), answer).whenComplete((sent, failure) -> {
            if (failure == null) {
                return;
            }
            Throwable cause = unwrap(failure);
            byte[] error;
            try {
                error = instead.apply(cause);
            }
            catch (RuntimeException ex) {
                logger.debug("Cannot answer the refusal of {}", answer, ex);
                error = null;
            }
            if (error == null) {
                logger.debug("Dropped {}: {}", answer, cause.getMessage());
                return;
            }
            logger.debug("Answering {} with an ERROR instead of {}: {}", request, answer, cause.getMessage());
            answer(request, Envelope.Kind.ERROR, error, Map.of());
        });
    }

    /**
     * Hands an envelope to the transport: a transport that throws instead of failing the stage it returns fails
     * the stage all the same, so that nothing waits for an answer to an envelope that was never sent.
     */
    private CompletionStage<Void> handOver(SiloAddress target, Envelope envelope) {
        try {
            return this.transport.send(target, envelope);
        }
        catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    private Envelope envelope(Peer target, Message message) {
        long messageId = this.nextMessageId.getAndIncrement();
        ActorAddress actor = message.address();
        SeenView stamped = (message.view() != null) ? message.view() : SeenView.of(this.views.current());
        return new Envelope(messageId, messageId, message.kind(), this.self, this.views.ownEpoch(), listening(),
                target.siloId(), target.epoch(), (actor != null) ? actor.typeName() : null,
                (actor != null) ? actor.id() : null, message.methodId(), message.payload(), message.callChainId(),
                message.requestId(), message.metadata(), message.deadlineEpochMillis(), stamped.version(),
                stamped.incarnation(), 0);
    }

    /**
     * The view to stamp on a message this silo sends for another silo's: that silo's when this silo's view is behind
     * it, this silo's otherwise.
     */
    private SeenView newerOf(@Nullable SeenView other) {
        ClusterView current = this.views.current();
        return (other != null && this.views.isBehind(other)) ? other : SeenView.of(current);
    }

    private SiloAddress listening() {
        return Objects.requireNonNull(this.address, "the silo's transport is not listening yet");
    }

    static Throwable unwrap(Throwable failure) {
        return (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause() : failure;
    }

    /**
     * What a request or one-way message carries, before it is stamped into an envelope.
     *
     * @param kind the kind
     * @param address the actor, {@code null} for probes
     * @param methodId the method id of a call, 0 otherwise
     * @param payload the payload
     * @param callChainId the call chain of a call, 0 otherwise
     * @param requestId the request id of a call
     * @param metadata the caller's metadata
     * @param deadlineEpochMillis the deadline
     * @param view the membership view to stamp, {@code null} for this silo's current one (a {@code HANDOFF}
     * passed on carries the original asker's, so that an earlier owner waits for no newer view than it needs)
     */
    record Message(Envelope.Kind kind, @Nullable ActorAddress address, int methodId, byte[] payload,
            long callChainId, @Nullable String requestId, Map<String, String> metadata, long deadlineEpochMillis,
            @Nullable SeenView view) {

        /** A message stamped with this silo's current membership version. */
        Message(Envelope.Kind kind, @Nullable ActorAddress address, int methodId, byte[] payload, long callChainId,
                @Nullable String requestId, Map<String, String> metadata, long deadlineEpochMillis) {
            this(kind, address, methodId, payload, callChainId, requestId, metadata, deadlineEpochMillis, null);
        }

        static Message control(Envelope.Kind kind, @Nullable ActorAddress address, byte[] payload,
                long deadlineEpochMillis) {
            return new Message(kind, address, 0, payload, 0, null, Map.of(), deadlineEpochMillis);
        }
    }
}
