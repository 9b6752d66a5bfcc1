package dev.quark.cluster.transport.jackson;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.BiConsumer;

import dev.quark.actor.ActivationException;
import dev.quark.actor.ActorCallExpiredException;
import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorException;
import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.DeadlockException;
import dev.quark.actor.MailboxFullException;
import dev.quark.actor.ReminderException;
import dev.quark.actor.ReminderTurnException;
import dev.quark.cluster.CallForwardingException;
import dev.quark.cluster.NoActiveSiloException;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.MembershipConflictException;
import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.grpc.EnvelopeRejectedException;
import dev.quark.cluster.transport.grpc.HandshakeRefusedException;
import dev.quark.cluster.transport.grpc.LinkBrokenException;
import dev.quark.cluster.transport.grpc.PeerOverloadedException;
import dev.quark.eventsourcing.EventDeserializationException;
import dev.quark.eventsourcing.EventStoreException;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseHolder;
import dev.quark.lease.LeaseLostException;
import dev.quark.state.StateException;
import dev.quark.state.StateKey;
import dev.quark.state.StateSerializationException;
import dev.quark.state.StateStoreException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * Other modules add their types through {@link ExceptionTypeContributor}s, loaded once with the table.
 */
final class QuarkExceptionTypes {

    private static final Logger logger = LoggerFactory.getLogger(QuarkExceptionTypes.class);

    private static final String ACTOR = "actor";

    private static final String METHOD = "method";

    private static final String ACTORS = "actors";

    private static final String STORE = "store";

    private static final String STREAM = "stream";

    private static final String KEY_TYPE = "keyActorType";

    private static final String KEY_ID = "keyActorId";

    private static final String KEY_NAME = "keyName";

    private static final String EXPECTED = "expectedVersion";

    private static final String ACTUAL = "actualVersion";

    private static final String RESOURCE = "resource";

    private static final String TOKEN = "token";

    private static final String HOLDER_OWNER = "holderOwner";

    private static final String HOLDER_TOKEN = "holderToken";

    private static final String HOLDER_REMAINING = "holderRemainingMillis";

    private static final String DEADLOCK_PREFIX = "Deadlock between call chains: ";

    private static final Map<Class<?>, QuarkType<?>> BY_CLASS = new HashMap<>();

    private static final Map<String, QuarkType<?>> BY_NAME = new HashMap<>();

    static {
        messageOnly(ActorException.class, (message, cause) -> new ActorException(message, cause));
        messageOnly(ActorRuntimeClosedException.class, (message, cause) -> new ActorRuntimeClosedException(message));
        messageOnly(ActorUnreachableException.class, (message, cause) -> new ActorUnreachableException(message, cause));
        messageOnly(MailboxFullException.class, (message, cause) -> new MailboxFullException(message));
        messageOnly(ReminderTurnException.class, (message, cause) -> new ReminderTurnException(message, cause));
        messageOnly(ReminderException.class, (message, cause) -> new ReminderException(message, cause));
        messageOnly(CallForwardingException.class, (message, cause) -> new CallForwardingException(message));
        messageOnly(SiloUnavailableException.class, (message, cause) -> new SiloUnavailableException(message, cause));
        messageOnly(NoActiveSiloException.class, (message, cause) -> new NoActiveSiloException(message));
        messageOnly(SiloNotServingException.class, (message, cause) -> new SiloNotServingException(message));
        messageOnly(SiloUnreachableException.class, (message, cause) -> new SiloUnreachableException(message));
        messageOnly(LinkBrokenException.class, (message, cause) -> new LinkBrokenException(message));
        messageOnly(PeerOverloadedException.class, (message, cause) -> new PeerOverloadedException(message));
        messageOnly(EnvelopeRejectedException.class, (message, cause) -> new EnvelopeRejectedException(message));
        messageOnly(HandshakeRefusedException.class, (message, cause) -> new HandshakeRefusedException(message));
        messageOnly(MembershipConflictException.class, (message, cause) -> new MembershipConflictException(message));
        messageOnly(PayloadCodecException.class, (message, cause) -> (cause != null)
                ? new PayloadCodecException(message, cause) : new PayloadCodecException(message));
        register(ActivationException.class, (failure, fields) -> fields.text(ACTOR, failure.getActor()),
                (message, fields, cause) -> new ActivationException(fields.requiredText(ACTOR), message, cause));
        register(ActorCallTimeoutException.class, QuarkExceptionTypes::writeCall,
                (message, fields, cause) -> new ActorCallTimeoutException(fields.requiredText(ACTOR),
                        fields.requiredText(METHOD), message));
        register(ActorCallExpiredException.class, QuarkExceptionTypes::writeCall,
                (message, fields, cause) -> new ActorCallExpiredException(fields.requiredText(ACTOR),
                        fields.requiredText(METHOD), message));
        register(DeadlockException.class, (failure, fields) -> fields.texts(ACTORS, failure.getActors()),
                (message, fields, cause) -> message.startsWith(DEADLOCK_PREFIX) ? new DeadlockException(
                        fields.requiredTexts(ACTORS), message.substring(DEADLOCK_PREFIX.length())) : null);
        register(StateException.class, (failure, fields) -> writeKey(failure.getKey(), fields),
                (message, fields, cause) -> new StateException(readKey(fields), message, cause));
        register(StateStoreException.class, (failure, fields) -> writeKey(failure.getKey(), fields)
            .text(STORE, failure.getStore()),
                (message, fields, cause) -> StateStoreException.crossedSilos(fields.requiredText(STORE),
                        readKey(fields), message, cause));
        register(StateSerializationException.class, (failure, fields) -> writeKey(failure.getKey(), fields),
                (message, fields, cause) -> StateSerializationException.crossedSilos(readKey(fields), message,
                        cause));
        register(dev.quark.state.ConcurrencyException.class, (failure, fields) -> writeKey(failure.getKey(), fields)
            .number(EXPECTED, failure.getExpectedVersion())
            .number(ACTUAL, failure.getActualVersion()),
                (message, fields, cause) -> new dev.quark.state.ConcurrencyException(readKey(fields),
                        fields.requiredNumber(EXPECTED), fields.requiredNumber(ACTUAL)));
        register(EventStoreException.class, (failure, fields) -> fields.text(STREAM, failure.getStream()),
                (message, fields, cause) -> new EventStoreException(fields.requiredText(STREAM), message, cause));
        register(EventDeserializationException.class, (failure, fields) -> fields.text(STREAM, failure.getStream()),
                (message, fields, cause) -> new EventDeserializationException(fields.requiredText(STREAM), message,
                        cause));
        register(dev.quark.eventsourcing.ConcurrencyException.class,
                (failure, fields) -> fields.text(STREAM, failure.getStream())
                    .number(EXPECTED, failure.getExpectedVersion())
                    .number(ACTUAL, failure.getActualVersion()),
                (message, fields, cause) -> new dev.quark.eventsourcing.ConcurrencyException(
                        fields.requiredText(STREAM), fields.requiredNumber(EXPECTED), fields.requiredNumber(ACTUAL)));
        register(LeaseLostException.class, QuarkExceptionTypes::writeLease, QuarkExceptionTypes::readLease);
        loadContributions();
    }

    private QuarkExceptionTypes() {
    }

    /** Returns the fields of a failure whose exact type is one of these; none for any other. */
    static FailureFields fieldsOf(Throwable failure) {
        QuarkType<?> type = BY_CLASS.get(failure.getClass());
        return (type != null) ? type.fieldsOf(failure) : FailureFields.NONE;
    }

    /** Returns whether the named type is one of these. */
    static boolean isQuarkType(String typeName) {
        return BY_NAME.containsKey(typeName);
    }

    /**
     * Rebuilds a failure of one of these types.
     * @return the exception, or {@code null} when the type is not one of these or the fields do not make one
     */
    static @Nullable Throwable rebuild(String typeName, @Nullable String message, FailureFields fields,
            @Nullable Throwable cause) {
        QuarkType<?> type = BY_NAME.get(typeName);
        if (type == null || message == null) {
            return null;
        }
        try {
            Throwable rebuilt = type.reader.read(message, fields, cause);
            if (rebuilt != null && cause != null && rebuilt.getCause() == null) {
                rebuilt.initCause(cause);
            }
            return rebuilt;
        }
        catch (RuntimeException ex) {
            return null;
        }
    }

    private static void loadContributions() {
        ExceptionTypeContributor.Table table = new ExceptionTypeContributor.Table() {

            @Override
            public <T extends Throwable> void add(Class<T> type, BiConsumer<T, FailureFields.Builder> writer,
                    ExceptionTypeContributor.Reader reader) {
                if (!BY_CLASS.containsKey(type)) {
                    register(type, writer, reader::read);
                }
            }
        };
        try {
            for (ExceptionTypeContributor contributor : ServiceLoader.load(ExceptionTypeContributor.class,
                    QuarkExceptionTypes.class.getClassLoader())) {
                try {
                    contributor.contribute(table);
                }
                catch (RuntimeException ex) {
                    logger.warn("Skipped the exception types of {}: {}", contributor.getClass().getName(), ex.toString());
                }
            }
        }
        catch (ServiceConfigurationError ex) {
            logger.warn("Skipped the remaining exception type contributors: {}", ex.toString());
        }
    }

    private static <T extends Throwable> void messageOnly(Class<T> type, MessageReader reader) {
        register(type, (failure, fields) -> {
        }, (message, fields, cause) -> reader.read(message, cause));
    }

    private static <T extends Throwable> void register(Class<T> type, BiConsumer<T, FailureFields.Builder> writer,
            FieldsReader reader) {
        QuarkType<T> entry = new QuarkType<>(type, writer, reader);
        BY_CLASS.put(type, entry);
        BY_NAME.put(type.getName(), entry);
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

    /** Builds a type that has no fields of its own from message and cause. */
    @FunctionalInterface
    private interface MessageReader {

        Throwable read(String message, @Nullable Throwable cause);
    }

    /** Builds a type from message, fields and cause; {@code null} when they do not make one. */
    @FunctionalInterface
    private interface FieldsReader {

        @Nullable Throwable read(String message, FailureFields fields, @Nullable Throwable cause);
    }

    private record QuarkType<T extends Throwable>(Class<T> type, BiConsumer<T, FailureFields.Builder> writer,
            FieldsReader reader) {

        FailureFields fieldsOf(Throwable failure) {
            FailureFields.Builder fields = FailureFields.builder();
            this.writer.accept(this.type.cast(failure), fields);
            return fields.build();
        }
    }
}
