package dev.quark.cluster.transport.jackson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Modifier;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * Rebuilds exceptions of allowed types from their name and message. A type is looked up once, without
 * initialising it (and only when the {@link ExceptionAllowList} allows its name), and its public
 * {@code (String)} constructor is kept as a method handle; each rebuild is one call of that handle.
 * <p>
 * A rebuilt exception must carry the message it was given: a constructor whose {@code String} is not the
 * message (an account id it builds a message from, say) would garble it, so such an instance is discarded
 * and the caller falls back to a {@link dev.quark.cluster.transport.RemoteActorException}. Only
 * {@link Exception}s are rebuilt, never {@link Error}s. {@link UncheckedIOException}, which has no
 * {@code (String)} constructor, is rebuilt with its {@link IOException} cause.
 */
final class ExceptionFactories {

    private static final MethodType MESSAGE_CONSTRUCTOR = MethodType.methodType(void.class, String.class);

    private static final MethodType FACTORY = MethodType.methodType(Throwable.class, String.class);

    private static final ExceptionFactory NONE = (message, cause) -> null;

    private static final ExceptionFactory UNCHECKED_IO = (message, cause) -> new UncheckedIOException(message,
            (cause instanceof IOException io) ? io : new IOException(message));

    private final ExceptionAllowList allowList;

    private final ClassLoader classLoader;

    /** Only names of classes that exist: names the sender makes up do not grow it. */
    private final ConcurrentHashMap<String, ExceptionFactory> byType = new ConcurrentHashMap<>();

    ExceptionFactories(ExceptionAllowList allowList, ClassLoader classLoader) {
        this.allowList = allowList;
        this.classLoader = classLoader;
    }

    /**
     * Returns an exception of the named type with the given message and cause, or {@code null} when the
     * type is not allowed, not found, has no public {@code (String)} constructor taking the message, or
     * failed to construct.
     */
    @Nullable Throwable create(String typeName, @Nullable String message, @Nullable Throwable cause) {
        return factoryOf(typeName).create(message, cause);
    }

    private ExceptionFactory factoryOf(String typeName) {
        if (!this.allowList.allows(typeName)) {
            return NONE;
        }
        ExceptionFactory known = this.byType.get(typeName);
        if (known != null) {
            return known;
        }
        Class<?> type;
        try {
            type = Class.forName(typeName, false, this.classLoader);
        }
        catch (ClassNotFoundException | LinkageError ex) {
            return NONE;
        }
        ExceptionFactory factory = factoryFor(type);
        ExceptionFactory raced = this.byType.putIfAbsent(typeName, factory);
        return (raced != null) ? raced : factory;
    }

    private static ExceptionFactory factoryFor(Class<?> type) {
        if (type == UncheckedIOException.class) {
            return UNCHECKED_IO;
        }
        if (!Exception.class.isAssignableFrom(type) || Modifier.isAbstract(type.getModifiers())
                || !Modifier.isPublic(type.getModifiers())) {
            return NONE;
        }
        MethodHandle constructor;
        try {
            constructor = MethodHandles.publicLookup().findConstructor(type, MESSAGE_CONSTRUCTOR).asType(FACTORY);
        }
        catch (NoSuchMethodException | IllegalAccessException | RuntimeException ex) {
            return NONE;
        }
        return (message, cause) -> withCause(construct(constructor, message), cause);
    }

    private static @Nullable Throwable construct(MethodHandle constructor, @Nullable String message) {
        try {
            Throwable exception = (Throwable) constructor.invokeExact(message);
            return Objects.equals(exception.getMessage(), message) ? exception : null;
        }
        catch (VirtualMachineError ex) {
            throw ex;
        }
        catch (Throwable ex) {
            return null;
        }
    }

    private static @Nullable Throwable withCause(@Nullable Throwable exception, @Nullable Throwable cause) {
        if (exception == null) {
            return null;
        }
        if (cause != null && exception.getCause() == null) {
            try {
                exception.initCause(cause);
            }
            catch (IllegalStateException | IllegalArgumentException ex) {
                // The constructor fixed the cause already: keep the instance without ours.
            }
        }
        return exception;
    }

    /** Builds one allowed type. */
    @FunctionalInterface
    private interface ExceptionFactory {

        @Nullable Throwable create(@Nullable String message, @Nullable Throwable cause);
    }
}
