package dev.quark.testkit.cluster;

import java.lang.reflect.Constructor;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.RemoteActorException;
import dev.quark.runtime.MethodDescriptor;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A minimal codec for the cluster tests, until the Jackson codec of the cluster lands: arguments as a JSON
 * array read back with the parameter types, results as JSON, failures as type and message, rebuilt through a
 * {@code (String)} constructor for Quark's and the JDK's exceptions.
 */
final class JsonTestCodec implements PayloadCodec {

    private static final List<String> REBUILT = List.of("dev.quark.", "java.lang.", "java.util.");

    private final JsonMapper mapper = JsonMapper.builder().build();

    @Override
    public byte[] encodeArguments(MethodDescriptor method, Object[] arguments) {
        try {
            return this.mapper.writeValueAsBytes(Arrays.asList(arguments));
        }
        catch (JacksonException ex) {
            throw new PayloadCodecException("Cannot encode the arguments of " + method, ex);
        }
    }

    @Override
    public Object[] decodeArguments(MethodDescriptor method, byte[] payload) {
        try {
            JsonNode array = this.mapper.readTree(payload);
            List<Type> types = method.parameterTypes();
            if (!array.isArray() || array.size() != types.size()) {
                throw new PayloadCodecException("The payload of " + method + " is not an array of "
                        + types.size() + " arguments", new IllegalArgumentException(array.toString()));
            }
            Object[] arguments = new Object[types.size()];
            for (int i = 0; i < arguments.length; i++) {
                arguments[i] = this.mapper.readerFor(this.mapper.constructType(types.get(i))).readValue(array.get(i));
            }
            return arguments;
        }
        catch (JacksonException ex) {
            throw new PayloadCodecException("Cannot decode the arguments of " + method, ex);
        }
    }

    @Override
    public byte[] encodeResult(MethodDescriptor method, Object result) {
        try {
            return this.mapper.writeValueAsBytes(result);
        }
        catch (JacksonException ex) {
            throw new PayloadCodecException("Cannot encode the result of " + method, ex);
        }
    }

    @Override
    public Object decodeResult(MethodDescriptor method, byte[] payload) {
        if (method.resultType() == void.class || method.resultType() == Void.class) {
            return null;
        }
        try {
            return this.mapper.readerFor(this.mapper.constructType(method.resultType())).readValue(payload);
        }
        catch (JacksonException ex) {
            throw new PayloadCodecException("Cannot decode the result of " + method, ex);
        }
    }

    @Override
    public byte[] encodeFailure(Throwable failure) {
        String message = (failure.getMessage() != null) ? failure.getMessage() : "";
        return this.mapper.writeValueAsBytes(Map.of("type", failure.getClass().getName(), "message", message));
    }

    @Override
    public Throwable decodeFailure(byte[] payload) {
        JsonNode failure = this.mapper.readTree(payload);
        String type = failure.get("type").asString();
        String message = failure.get("message").asString();
        if (REBUILT.stream().anyMatch(type::startsWith)) {
            try {
                Class<?> exceptionType = Class.forName(type);
                if (Throwable.class.isAssignableFrom(exceptionType)) {
                    return rebuild(exceptionType, message);
                }
            }
            catch (ReflectiveOperationException ex) {
                // Rebuilt as a RemoteActorException below.
            }
        }
        return new RemoteActorException(type, message);
    }

    private static Throwable rebuild(Class<?> type, String message) throws ReflectiveOperationException {
        try {
            Constructor<?> constructor = type.getConstructor(String.class);
            return (Throwable) constructor.newInstance(message);
        }
        catch (NoSuchMethodException ex) {
            Constructor<?> constructor = type.getConstructor(String.class, Throwable.class);
            return (Throwable) constructor.newInstance(message, null);
        }
    }
}
