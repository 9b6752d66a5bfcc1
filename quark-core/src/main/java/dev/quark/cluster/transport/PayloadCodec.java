package dev.quark.cluster.transport;

import dev.quark.runtime.MethodDescriptor;

import org.jspecify.annotations.Nullable;

/**
 * Turns what a call carries into bytes and back: the arguments of a request, the result of a response, the
 * failure of a call that threw. One codec per silo, since references to actors passed as arguments become
 * references of the receiving silo's runtime. Local calls never use it.
 */
public interface PayloadCodec {

    /**
     * Encodes the arguments of a call.
     * @param method the called method; its parameter types drive the encoding
     * @param arguments the arguments, in order
     * @return the bytes
     * @throws PayloadCodecException naming the method and the argument that cannot be encoded
     */
    byte[] encodeArguments(MethodDescriptor method, @Nullable Object[] arguments);

    /**
     * Decodes the arguments of a call.
     * @param method the called method
     * @param payload the bytes
     * @return the arguments, in order, of the method's parameter types
     * @throws PayloadCodecException naming the method when the bytes are not its arguments
     */
    @Nullable Object[] decodeArguments(MethodDescriptor method, byte[] payload);

    /**
     * Encodes the result of a call.
     * @param method the called method; its result type drives the encoding
     * @param result the result, {@code null} for {@code void}
     * @return the bytes
     * @throws PayloadCodecException naming the method when the result cannot be encoded
     */
    byte[] encodeResult(MethodDescriptor method, @Nullable Object result);

    /**
     * Decodes the result of a call.
     * @param method the called method
     * @param payload the bytes
     * @return the result
     * @throws PayloadCodecException naming the method when the bytes are not its result
     */
    @Nullable Object decodeResult(MethodDescriptor method, byte[] payload);

    /**
     * Encodes what a call threw: its type name, message and, for allowed types, enough to rebuild it.
     * @param failure the failure
     * @return the bytes
     */
    byte[] encodeFailure(Throwable failure);

    /**
     * Decodes a failure: the original exception type when it is an allowed one, otherwise a
     * {@link RemoteActorException} carrying the type name and message.
     * @param payload the bytes
     * @return the failure to complete the caller's call with
     */
    Throwable decodeFailure(byte[] payload);
}
