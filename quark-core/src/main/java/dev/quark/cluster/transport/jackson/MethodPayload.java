package dev.quark.cluster.transport.jackson;

import java.lang.reflect.Type;
import java.util.List;

import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.runtime.MethodDescriptor;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.util.ByteArrayBuilder;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;

/**
 * The arguments and the result of one method, to bytes and back. Its readers and writers are built once,
 * from the method's generic parameter and result types, so that a call constructs no type and looks nothing
 * up: the arguments are one array whose elements are written and read each with its parameter's type, the
 * result is written and read with the result type, and a {@code void} (or {@code Void}) result is no bytes
 * at all.
 * <p>
 * Every failure becomes a {@link PayloadCodecException} naming the method and, when known, the index (from
 * 0) and type of the argument.
 */
final class MethodPayload {

    private static final byte[] NO_BYTES = new byte[0];

    /** Most argument lists are small: Jackson's builder adds blocks as they grow. */
    private static final int INITIAL_BUFFER_SIZE = 128;

    private final MethodDescriptor method;

    private final ObjectMapper mapper;

    private final ObjectWriter[] argumentWriters;

    private final ObjectReader[] argumentReaders;

    private final boolean[] primitiveArguments;

    private final @Nullable ObjectWriter resultWriter;

    private final @Nullable ObjectReader resultReader;

    private final boolean primitiveResult;

    MethodPayload(ObjectMapper mapper, MethodDescriptor method) {
        this.method = method;
        this.mapper = mapper;
        List<Type> parameters = method.parameterTypes();
        int count = parameters.size();
        this.argumentWriters = new ObjectWriter[count];
        this.argumentReaders = new ObjectReader[count];
        this.primitiveArguments = new boolean[count];
        for (int i = 0; i < count; i++) {
            JavaType type = mapper.constructType(parameters.get(i));
            this.argumentWriters[i] = writer(mapper, type);
            this.argumentReaders[i] = reader(mapper, type);
            this.primitiveArguments[i] = type.isPrimitive();
        }
        Type result = method.resultType();
        if (result == void.class || result == Void.class) {
            this.resultWriter = null;
            this.resultReader = null;
            this.primitiveResult = false;
        }
        else {
            JavaType type = mapper.constructType(result);
            this.resultWriter = writer(mapper, type);
            this.resultReader = reader(mapper, type);
            this.primitiveResult = type.isPrimitive();
        }
    }

    /** Values are written into a generator this class closes: no flush after each. */
    private static ObjectWriter writer(ObjectMapper mapper, JavaType type) {
        return mapper.writerFor(type).without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE);
    }

    /** Values are read out of a stream that goes on (the next argument): the end is checked here. */
    private static ObjectReader reader(ObjectMapper mapper, JavaType type) {
        return mapper.readerFor(type).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    byte[] encodeArguments(@Nullable Object[] arguments) {
        int count = this.argumentWriters.length;
        if (arguments.length != count) {
            throw new PayloadCodecException("Cannot encode the arguments of " + this.method + ": it takes " + count
                    + " arguments, not " + arguments.length);
        }
        ByteArrayBuilder bytes = new ByteArrayBuilder(INITIAL_BUFFER_SIZE);
        int index = 0;
        try (JsonGenerator generator = this.mapper.createGenerator(bytes)) {
            generator.writeStartArray(arguments, count);
            for (; index < count; index++) {
                this.argumentWriters[index].writeValue(generator, arguments[index]);
            }
            generator.writeEndArray();
        }
        catch (RuntimeException ex) {
            throw new PayloadCodecException("Cannot encode " + argument(index) + " of " + this.method + ": "
                    + JacksonPayloadCodec.reason(ex), ex);
        }
        return bytes.toByteArray();
    }

    @Nullable Object[] decodeArguments(byte[] payload) {
        int count = this.argumentReaders.length;
        @Nullable Object[] arguments = new Object[count];
        int reading = count;
        try (JsonParser parser = this.mapper.createParser(payload)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw invalid("the arguments of", "they are not an array");
            }
            for (int index = 0; index < count; index++) {
                JsonToken token = parser.nextToken();
                if (token == JsonToken.END_ARRAY) {
                    throw invalid("the arguments of", "it takes " + count + " arguments, found " + index);
                }
                if (token == null) {
                    throw invalid("the arguments of", "they end after " + index + " of " + count + " arguments");
                }
                reading = index;
                Object argument = this.argumentReaders[index].readValue(parser);
                if (argument == null && this.primitiveArguments[index]) {
                    throw invalid(argument(index) + " of", "it is null");
                }
                arguments[index] = argument;
                reading = count;
            }
            JsonToken end = parser.nextToken();
            if (end != JsonToken.END_ARRAY) {
                throw invalid("the arguments of", (end == null) ? "they are truncated"
                        : "it takes " + count + " arguments, found more");
            }
            if (parser.nextToken() != null) {
                throw invalid("the arguments of", "bytes follow them");
            }
        }
        catch (PayloadCodecException ex) {
            throw ex;
        }
        catch (RuntimeException ex) {
            throw new PayloadCodecException("Cannot decode " + argument(reading) + " of " + this.method + ": "
                    + JacksonPayloadCodec.reason(ex), ex);
        }
        return arguments;
    }

    byte[] encodeResult(@Nullable Object result) {
        ObjectWriter writer = this.resultWriter;
        if (writer == null) {
            return NO_BYTES;
        }
        try {
            return writer.writeValueAsBytes(result);
        }
        catch (RuntimeException ex) {
            throw new PayloadCodecException("Cannot encode the result (" + this.method.resultType().getTypeName()
                    + ") of " + this.method + ": " + JacksonPayloadCodec.reason(ex), ex);
        }
    }

    @Nullable Object decodeResult(byte[] payload) {
        ObjectReader reader = this.resultReader;
        if (reader == null) {
            if (payload.length != 0) {
                throw invalid("the result of", "it returns nothing, yet " + payload.length + " bytes came");
            }
            return null;
        }
        try (JsonParser parser = this.mapper.createParser(payload)) {
            if (parser.nextToken() == null) {
                throw invalid("the result of", "no value came");
            }
            Object result = reader.readValue(parser);
            if (result == null && this.primitiveResult) {
                throw invalid("the result of", "it is null");
            }
            if (parser.nextToken() != null) {
                throw invalid("the result of", "bytes follow it");
            }
            return result;
        }
        catch (PayloadCodecException ex) {
            throw ex;
        }
        catch (RuntimeException ex) {
            throw new PayloadCodecException("Cannot decode the result (" + this.method.resultType().getTypeName()
                    + ") of " + this.method + ": " + JacksonPayloadCodec.reason(ex), ex);
        }
    }

    private String argument(int index) {
        return (index < this.argumentReaders.length)
                ? "argument " + index + " (" + this.method.parameterTypes().get(index).getTypeName() + ")"
                : "the arguments";
    }

    private PayloadCodecException invalid(String what, String why) {
        return new PayloadCodecException("Cannot decode " + what + " " + this.method + ": " + why);
    }
}
