package dev.quark.cluster.transport.jackson;

import java.time.Duration;

import dev.quark.actor.ActivationException;
import dev.quark.actor.ActorCallExpiredException;
import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorException;
import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.CallRejectedException;
import dev.quark.actor.DeadlockException;
import dev.quark.actor.MailboxFullException;
import dev.quark.actor.ReminderException;
import dev.quark.actor.ReminderTurnException;
import dev.quark.cluster.CallForwardingException;
import dev.quark.cluster.NoActiveSiloException;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.MembershipConflictException;
import dev.quark.cluster.membership.UnreachablePeersException;
import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.grpc.EnvelopeRejectedException;
import dev.quark.cluster.transport.grpc.HandshakeRefusedException;
import dev.quark.cluster.transport.grpc.LinkBrokenException;
import dev.quark.cluster.transport.grpc.PeerOverloadedException;
import dev.quark.cluster.transport.grpc.TlsHandshakeException;
import dev.quark.eventsourcing.EventDeserializationException;
import dev.quark.eventsourcing.EventStoreException;
import dev.quark.eventsourcing.TruncatedStreamException;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseHolder;
import dev.quark.lease.LeaseLostException;
import dev.quark.state.StateException;
import dev.quark.state.StateKey;
import dev.quark.state.StateSerializationException;
import dev.quark.state.StateStoreException;
import org.jspecify.annotations.Nullable;

/**
 * The public exceptions of {@code quark-core} that a call to another silo can fail with, each with how it
 * crosses: which of its fields travel, and how the receiving silo rebuilds it from message, fields and
 * cause. An explicit table rather than reflection, so that these types need no reflection hints in a native
 * image and each keeps the fields its callers read ({@link DeadlockException#getActors()},
 * {@link dev.quark.state.ConcurrencyException#getActualVersion()}, ...).
 * <p>
 * Only exact types are looked up: a subclass (an application's own {@code ActorException}, say) is not one
 * of these and goes through {@link ExceptionFactories}. A rebuild that fails (fields missing or malformed,
 * from a sender of another version) gives {@code null}: the failure arrives as a
 * {@link dev.quark.cluster.transport.RemoteActorException}.
 * <p>
 * Other modules add their types through {@link ExceptionTypeContributor}s; {@link ExceptionTypeTable} holds
 * both.
 */
final class QuarkExceptionTypes {

    private static final String ACTOR = "actor";

    private static final String METHOD = "method";

    private static final String ACTORS = "actors";

    private static final String REASON = "reason";

    private static final String STORE = "store";

    private static final String STREAM = "stream";

    private static final String KEY_TYPE = "keyActorType";

    private static final String KEY_ID = "keyActorId";

    private static final String KEY_NAME = "keyName";

    private static final String EXPECTED = "expectedVersion";

    private static final String ACTUAL = "actualVersion";

    private static final String TRUNCATED = "truncatedVersion";

    private static final String SNAPSHOT = "snapshotVersion";

    private static final String RESOURCE = "resource";

    private static final String TOKEN = "token";

    private static final String HOLDER_OWNER = "holderOwner";

    private static final String HOLDER_TOKEN = "holderToken";

    private static final String HOLDER_REMAINING = "holderRemainingMillis";

    private static final String DEADLOCK_PREFIX = "Deadlock between call chains: ";

    private QuarkExceptionTypes() {
    }

    /**
     * Adds quark-core's types to a table.
     * @param table the table
     */
    static void addTo(ExceptionTypeContributor.Table table) {
        table.addMessageOnly(ActorException.class, (message, cause) -> new ActorException(message, cause));
        table.addMessageOnly(ActorRuntimeClosedException.class, (message, cause) -> new ActorRuntimeClosedException(message));
        table.addMessageOnly(ActorUnreachableException.class, (message, cause) -> new ActorUnreachableException(message, cause));
        table.addMessageOnly(MailboxFullException.class, (message, cause) -> new MailboxFullException(message));
        table.addMessageOnly(ReminderTurnException.class, (message, cause) -> new ReminderTurnException(message, cause));
        table.addMessageOnly(ReminderException.class, (message, cause) -> new ReminderException(message, cause));
        table.addMessageOnly(CallForwardingException.class, (message, cause) -> new CallForwardingException(message));
        table.addMessageOnly(SiloUnavailableException.class, (message, cause) -> new SiloUnavailableException(message, cause));
        table.addMessageOnly(NoActiveSiloException.class, (message, cause) -> new NoActiveSiloException(message));
        table.addMessageOnly(SiloNotServingException.class, (message, cause) -> new SiloNotServingException(message));
        table.addMessageOnly(SiloUnreachableException.class, (message, cause) -> new SiloUnreachableException(message));
        table.addMessageOnly(LinkBrokenException.class, (message, cause) -> new LinkBrokenException(message));
        table.addMessageOnly(PeerOverloadedException.class, (message, cause) -> new PeerOverloadedException(message));
        table.addMessageOnly(EnvelopeRejectedException.class, (message, cause) -> new EnvelopeRejectedException(message));
        table.addMessageOnly(HandshakeRefusedException.class, (message, cause) -> new HandshakeRefusedException(message));
        table.addMessageOnly(TlsHandshakeException.class, (message, cause) -> (cause != null)
                ? new TlsHandshakeException(message, cause) : new TlsHandshakeException(message));
        table.addMessageOnly(UnreachablePeersException.class, (message, cause) -> new UnreachablePeersException(message, cause));
        table.addMessageOnly(MembershipConflictException.class, (message, cause) -> new MembershipConflictException(message));
        table.addMessageOnly(PayloadCodecException.class, (message, cause) -> (cause != null)
                ? new PayloadCodecException(message, cause) : new PayloadCodecException(message));
        table.add(ActivationException.class, (failure, fields) -> fields.text(ACTOR, failure.getActor()),
                (message, fields, cause) -> new ActivationException(fields.requiredText(ACTOR), message, cause));
        table.add(ActorCallTimeoutException.class, QuarkExceptionTypes::writeCall,
                (message, fields, cause) -> new ActorCallTimeoutException(fields.requiredText(ACTOR),
                        fields.requiredText(METHOD), message));
        table.add(ActorCallExpiredException.class, QuarkExceptionTypes::writeCall,
                (message, fields, cause) -> new ActorCallExpiredException(fields.requiredText(ACTOR),
                        fields.requiredText(METHOD), message));
        table.add(CallRejectedException.class, (failure, fields) -> fields.text(ACTOR, failure.getActor())
            .text(METHOD, failure.getMethod())
            .text(REASON, failure.getReason().name()),
                (message, fields, cause) -> new CallRejectedException(fields.requiredText(ACTOR),
                        fields.requiredText(METHOD), CallRejectedException.Reason.valueOf(fields.requiredText(REASON)),
                        message, cause));
        table.add(DeadlockException.class, (failure, fields) -> fields.texts(ACTORS, failure.getActors()),
                (message, fields, cause) -> message.startsWith(DEADLOCK_PREFIX) ? new DeadlockException(
                        fields.requiredTexts(ACTORS), message.substring(DEADLOCK_PREFIX.length())) : null);
        table.add(StateException.class, (failure, fields) -> writeKey(failure.getKey(), fields),
                (message, fields, cause) -> new StateException(readKey(fields), message, cause));
        table.add(StateStoreException.class, (failure, fields) -> writeKey(failure.getKey(), fields)
            .text(STORE, failure.getStore()),
                (message, fields, cause) -> StateStoreException.crossedSilos(fields.requiredText(STORE),
                        readKey(fields), message, cause));
        table.add(StateSerializationException.class, (failure, fields) -> writeKey(failure.getKey(), fields),
                (message, fields, cause) -> StateSerializationException.crossedSilos(readKey(fields), message,
                        cause));
        table.add(dev.quark.state.ConcurrencyException.class, (failure, fields) -> writeKey(failure.getKey(), fields)
            .number(EXPECTED, failure.getExpectedVersion())
            .number(ACTUAL, failure.getActualVersion()),
                (message, fields, cause) -> new dev.quark.state.ConcurrencyException(readKey(fields),
                        fields.requiredNumber(EXPECTED), fields.requiredNumber(ACTUAL)));
        table.add(EventStoreException.class, (failure, fields) -> fields.text(STREAM, failure.getStream()),
                (message, fields, cause) -> new EventStoreException(fields.requiredText(STREAM), message, cause));
        table.add(EventDeserializationException.class, (failure, fields) -> fields.text(STREAM, failure.getStream()),
                (message, fields, cause) -> new EventDeserializationException(fields.requiredText(STREAM), message,
                        cause));
        table.add(dev.quark.eventsourcing.ConcurrencyException.class,
                (failure, fields) -> fields.text(STREAM, failure.getStream())
                    .number(EXPECTED, failure.getExpectedVersion())
                    .number(ACTUAL, failure.getActualVersion()),
                (message, fields, cause) -> new dev.quark.eventsourcing.ConcurrencyException(
                        fields.requiredText(STREAM), fields.requiredNumber(EXPECTED), fields.requiredNumber(ACTUAL),
                        message, cause));
        table.add(TruncatedStreamException.class,
                (failure, fields) -> fields.text(STREAM, failure.getStream())
                    .number(TRUNCATED, failure.getTruncatedVersion())
                    .number(SNAPSHOT, failure.getSnapshotVersion()),
                (message, fields, cause) -> new TruncatedStreamException(fields.requiredText(STREAM),
                        fields.requiredNumber(TRUNCATED), fields.requiredNumber(SNAPSHOT)));
        table.add(LeaseLostException.class, QuarkExceptionTypes::writeLease, QuarkExceptionTypes::readLease);
    }

    private static void writeCall(ActorCallTimeoutException failure, FailureFields.Builder fields) {
        fields.text(ACTOR, failure.getActor()).text(METHOD, failure.getMethod());
    }

    private static FailureFields.Builder writeKey(StateKey key, FailureFields.Builder fields) {
        return fields.text(KEY_TYPE, key.actorType()).text(KEY_ID, key.actorId()).text(KEY_NAME, key.name());
    }

    private static StateKey readKey(FailureFields fields) {
        return new StateKey(fields.requiredText(KEY_TYPE), fields.requiredText(KEY_ID), fields.requiredText(KEY_NAME));
    }

    private static void writeLease(LeaseLostException failure, FailureFields.Builder fields) {
        fields.text(RESOURCE, failure.getResource()).number(TOKEN, failure.getToken().value());
        LeaseHolder holder = failure.getCurrentHolder();
        if (holder != null) {
            fields.text(HOLDER_OWNER, holder.owner())
                .number(HOLDER_TOKEN, holder.token().value())
                .number(HOLDER_REMAINING, holder.remaining().toMillis());
        }
    }

    private static LeaseLostException readLease(String message, FailureFields fields, @Nullable Throwable cause) {
        String resource = fields.requiredText(RESOURCE);
        LeaseHolder holder = fields.has(HOLDER_OWNER) ? new LeaseHolder(resource, fields.requiredText(HOLDER_OWNER),
                new FencingToken(fields.requiredNumber(HOLDER_TOKEN)),
                Duration.ofMillis(fields.requiredNumber(HOLDER_REMAINING))) : null;
        return LeaseLostException.crossedSilos(message, resource, new FencingToken(fields.requiredNumber(TOKEN)),
                holder);
    }
}
