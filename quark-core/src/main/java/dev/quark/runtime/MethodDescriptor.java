package dev.quark.runtime;

import java.lang.reflect.Type;
import java.util.List;

import dev.quark.actor.Actor;

/**
 * What every silo agrees on about one contract method: its wire name, its stable id and the types a
 * transport needs to (de)serialize its arguments and its result.
 * <p>
 * The id is derived from the wire name and the erased parameter types (the first four bytes of their
 * SHA-256), so it is the same on every JVM running the same contract and does not shift when methods are
 * added; {@link dev.quark.actor.WireName} keeps it when a method is renamed.
 *
 * @param contract the contract that declares the method
 * @param name the Java method name
 * @param wireName the name the id is derived from
 * @param id the method id, unique within its contract and its actor type
 * @param parameterTypes the generic parameter types, in order
 * @param resultType the type of the result: the return type, the type argument of a
 * {@code CompletableFuture}/{@code CompletionStage} for asynchronous methods, {@code void.class} when none
 * @param kind how the caller waits for the call
 * @param idempotent whether the method is {@link dev.quark.actor.Idempotent}: a call to it whose outcome is
 * unknown across silos may be sent once more
 */
public record MethodDescriptor(Class<? extends Actor> contract, String name, String wireName, int id,
        List<Type> parameterTypes, Type resultType, CallKind kind, boolean idempotent) {

    /**
     * Copies the parameter types.
     */
    public MethodDescriptor {
        parameterTypes = List.copyOf(parameterTypes);
    }

    /**
     * Describes a method that is not idempotent.
     * @param contract the contract that declares the method
     * @param name the Java method name
     * @param wireName the name the id is derived from
     * @param id the method id
     * @param parameterTypes the generic parameter types, in order
     * @param resultType the type of the result
     * @param kind how the caller waits for the call
     */
    public MethodDescriptor(Class<? extends Actor> contract, String name, String wireName, int id,
            List<Type> parameterTypes, Type resultType, CallKind kind) {
        this(contract, name, wireName, id, parameterTypes, resultType, kind, false);
    }

    /**
     * How the caller of a contract method waits for it.
     */
    public enum CallKind {

        /** The caller blocks until the turn returns. */
        SYNCHRONOUS,

        /** The caller gets a {@code CompletableFuture} or {@code CompletionStage} at once. */
        ASYNCHRONOUS,

        /** The caller returns once the message is delivered ({@link dev.quark.actor.OneWay}). */
        ONE_WAY
    }

    @Override
    public String toString() {
        return this.contract.getSimpleName() + "." + this.name + "() #" + Integer.toHexString(this.id);
    }
}
