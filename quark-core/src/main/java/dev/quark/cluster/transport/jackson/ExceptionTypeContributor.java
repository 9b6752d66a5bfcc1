package dev.quark.cluster.transport.jackson;

import java.util.function.BiConsumer;

import org.jspecify.annotations.Nullable;

/**
 * Adds the exceptions of a module other than {@code quark-core} (jobs, durable tasks, messaging, an
 * application's library) to the table of exceptions that cross silos with their fields, as
 * {@code quark-core}'s own do: quark-core cannot depend on those modules, so each one names its types here.
 * <p>
 * Implementations are found by each {@link JacksonPayloadCodec} when it is created, with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.quark.cluster.transport.jackson.ExceptionTypeContributor})
 * on the class loader it loads exceptions with; GraalVM's native image registers the providers it finds there.
 * An implementation is a public class with a public no-argument constructor. A contributor that cannot be used
 * fails the codec's construction (so, under Spring Boot, the application's start) with an
 * {@link IllegalStateException} naming its class: one that cannot be instantiated, whose {@link #contribute}
 * throws, that adds a type that is not an {@link Exception}, or a type {@code quark-core} or another contributor
 * already added (the message names both).
 * <p>
 * Only exact types are looked up, and a rebuild that fails (fields missing or malformed) makes the failure
 * arrive as a {@link dev.quark.cluster.transport.RemoteActorException}, as for core's types.
 */
@FunctionalInterface
public interface ExceptionTypeContributor {

    /**
     * Adds this module's exception types.
     * @param table where to add them
     */
    void contribute(Table table);

    /** The table of exception types that cross silos with their fields. */
    interface Table {

        /**
         * Adds a type that travels with fields.
         * @param type the exact type
         * @param writer writes the fields of a failure of that type on the sending silo
         * @param reader rebuilds the failure on the receiving silo
         * @param <T> the type
         */
        <T extends Throwable> void add(Class<T> type, BiConsumer<T, FailureFields.Builder> writer, Reader reader);

        /**
         * Adds a type that has no fields of its own: it is rebuilt from its message and cause.
         * @param type the exact type
         * @param reader rebuilds the failure from message and cause
         * @param <T> the type
         */
        default <T extends Throwable> void addMessageOnly(Class<T> type, MessageReader reader) {
            add(type, (failure, fields) -> {
            }, (message, fields, cause) -> reader.read(message, cause));
        }
    }

    /** Rebuilds a failure from message, fields and cause; {@code null} when they do not make one. */
    @FunctionalInterface
    interface Reader {

        /**
         * Rebuilds the failure.
         * @param message the message as the other silo wrote it
         * @param fields the fields the writer wrote; a required one that is missing throws
         * @param cause the rebuilt cause, if any
         * @return the failure, or {@code null}
         */
        @Nullable Throwable read(String message, FailureFields fields, @Nullable Throwable cause);
    }

    /** Rebuilds a failure that has no fields of its own. */
    @FunctionalInterface
    interface MessageReader {

        /**
         * Rebuilds the failure.
         * @param message the message as the other silo wrote it
         * @param cause the rebuilt cause, if any
         * @return the failure
         */
        Throwable read(String message, @Nullable Throwable cause);
    }
}
