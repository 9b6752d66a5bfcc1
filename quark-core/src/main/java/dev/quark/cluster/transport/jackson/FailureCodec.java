package dev.quark.cluster.transport.jackson;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.RemoteActorException;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.util.ByteArrayBuilder;
import tools.jackson.databind.ObjectMapper;

/**
 * The failure of a call, to bytes and back: {@code {"type": ..., "message": ..., "fields": {...}, "causes":
 * [{"type": ..., "message": ..., "fields": {...}}, ...]}} in the mapper's format, the causes outermost first.
 * Stack traces do not travel; fields travel only for the exceptions in the {@link ExceptionTypeTable},
 * as texts, whole numbers and lists of texts.
 * <p>
 * Decoding rebuilds each entry, innermost cause first: Quark's own types through
 * the {@link ExceptionTypeTable}, others through {@link ExceptionFactories}; an entry that cannot be rebuilt becomes a {@link RemoteActorException} with its type name and message. The outermost
 * rebuilt exception gets a suppressed {@code RemoteActorException} as the mark that it was thrown on another
 * silo. A {@code RemoteActorException} is written as the type and message it stands for, so that a failure
 * relayed through several silos keeps its original name.
 */
final class FailureCodec {

    /** Causes beyond this many are dropped when encoding and ignored when decoding. */
    static final int MAX_CAUSES = 8;

    /** Messages are cut to this many characters. */
    static final int MAX_MESSAGE_LENGTH = 4096;

    /** A failure object has three fields; a few unknown ones (from a newer sender) are skipped. */
    private static final int MAX_FIELDS = 16;

    /** Field names are cut to this many characters. */
    private static final int MAX_FIELD_NAME_LENGTH = 64;

    private static final StackTraceElement[] NO_STACK_TRACE = new StackTraceElement[0];

    private static final String TYPE = "type";

    private static final String MESSAGE = "message";

    private static final String CAUSES = "causes";

    private static final String FIELDS = "fields";

    private final ObjectMapper mapper;

    private final ExceptionFactories factories;

    private final ExceptionTypeTable types;

    FailureCodec(ObjectMapper mapper, ExceptionFactories factories, ExceptionTypeTable types) {
        this.mapper = mapper;
        this.factories = factories;
        this.types = types;
    }

    byte[] encode(Throwable failure) {
        Throwable outermost = unwrap(failure);
        ByteArrayBuilder bytes = new ByteArrayBuilder(256);
        try (JsonGenerator generator = this.mapper.createGenerator(bytes)) {
            generator.writeStartObject();
            writeEntry(generator, outermost);
            Throwable cause = outermost.getCause();
            if (cause != null) {
                generator.writeName(CAUSES);
                generator.writeStartArray();
                for (int i = 0; i < MAX_CAUSES && cause != null; i++) {
                    generator.writeStartObject();
                    writeEntry(generator, cause);
                    generator.writeEndObject();
                    cause = cause.getCause();
                }
                generator.writeEndArray();
            }
            generator.writeEndObject();
        }
        catch (RuntimeException ex) {
            throw new PayloadCodecException("Cannot encode the failure " + failure.getClass().getName(), ex);
        }
        return bytes.toByteArray();
    }

    /** What an actor's future failed with is what the caller should see. */
    private static Throwable unwrap(Throwable failure) {
        Throwable unwrapped = failure;
        for (int i = 0; i < MAX_CAUSES && (unwrapped instanceof CompletionException
                || unwrapped instanceof ExecutionException) && unwrapped.getCause() != null; i++) {
            unwrapped = unwrapped.getCause();
        }
        return unwrapped;
    }

    private void writeEntry(JsonGenerator generator, Throwable failure) {
        String type;
        String message;
        if (failure instanceof RemoteActorException remote) {
            type = remote.remoteType();
            message = remoteMessage(remote);
        }
        else {
            type = failure.getClass().getName();
            message = failure.getMessage();
        }
        generator.writeStringProperty(TYPE, type);
        if (message != null) {
            generator.writeStringProperty(MESSAGE, bounded(message, MAX_MESSAGE_LENGTH));
        }
        FailureFields fields = this.types.fieldsOf(failure);
        if (!fields.isEmpty()) {
            writeFields(generator, fields);
        }
    }

    private static void writeFields(JsonGenerator generator, FailureFields fields) {
        generator.writeName(FIELDS);
        generator.writeStartObject();
        fields.values().forEach((name, value) -> {
            generator.writeName(name);
            if (value instanceof Long number) {
                generator.writeNumber(number);
            }
            else if (value instanceof List<?> texts) {
                generator.writeStartArray();
                texts.stream().limit(FailureFields.MAX_LIST_SIZE)
                    .forEach((text) -> generator.writeString(bounded((String) text, MAX_MESSAGE_LENGTH)));
                generator.writeEndArray();
            }
            else {
                generator.writeString(bounded((String) value, MAX_MESSAGE_LENGTH));
            }
        });
        generator.writeEndObject();
    }

    /** The message the remote exception was created with: its own is "type: message". */
    private static @Nullable String remoteMessage(RemoteActorException remote) {
        String message = remote.getMessage();
        String prefix = remote.remoteType() + ": ";
        return (message != null && message.startsWith(prefix)) ? message.substring(prefix.length()) : null;
    }

    /**
     * Returns the failure the bytes describe; bytes that describe none give a {@link PayloadCodecException}
     * saying so, so that the call still completes.
     */
    Throwable decode(byte[] payload) {
        List<Entry> entries;
        try {
            entries = read(payload);
        }
        catch (RuntimeException ex) {
            return new PayloadCodecException("Cannot decode the failure of a call: " + JacksonPayloadCodec.reason(ex),
                    ex);
        }
        Throwable cause = null;
        for (int i = entries.size() - 1; i > 0; i--) {
            cause = rebuild(entries.get(i), cause);
        }
        Entry outermost = entries.getFirst();
        Throwable failure = rebuild(outermost, cause);
        if (!(failure instanceof RemoteActorException)) {
            RemoteActorException mark = new RemoteActorException(outermost.type(), outermost.message());
            mark.setStackTrace(NO_STACK_TRACE);
            failure.addSuppressed(mark);
        }
        return failure;
    }

    private Throwable rebuild(Entry entry, @Nullable Throwable cause) {
        Throwable rebuilt = this.types.contains(entry.type())
                ? this.types.rebuild(entry.type(), entry.message(), entry.fields(), cause)
                : this.factories.create(entry.type(), entry.message(), cause);
        if (rebuilt != null) {
            return rebuilt;
        }
        RemoteActorException remote = new RemoteActorException(entry.type(), entry.message());
        if (cause != null) {
            remote.initCause(cause);
        }
        return remote;
    }

    /** The entries, outermost first; never empty. */
    private List<Entry> read(byte[] payload) {
        try (JsonParser parser = this.mapper.createParser(payload)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new PayloadCodecException("a failure is an object with a type and a message");
            }
            List<Entry> causes = new ArrayList<>(0);
            Entry outermost = readEntry(parser, causes);
            if (parser.nextToken() != null) {
                throw new PayloadCodecException("unexpected bytes after the failure");
            }
            List<Entry> entries = new ArrayList<>(causes.size() + 1);
            entries.add(outermost);
            entries.addAll(causes);
            return entries;
        }
    }

    /**
     * Reads one failure object whose start the parser is on; the outermost one (with {@code causes} set)
     * adds its causes there.
     */
    private Entry readEntry(JsonParser parser, @Nullable List<Entry> causes) {
        String type = null;
        String message = null;
        FailureFields fields = FailureFields.NONE;
        for (int field = 0;; field++) {
            JsonToken token = parser.nextToken();
            if (token == JsonToken.END_OBJECT) {
                break;
            }
            if (token != JsonToken.PROPERTY_NAME || field == MAX_FIELDS) {
                throw new PayloadCodecException("a failure is an object with a type and a message");
            }
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value == null) {
                throw new PayloadCodecException("the failure is truncated");
            }
            if (TYPE.equals(name)) {
                type = string(parser, value);
            }
            else if (MESSAGE.equals(name)) {
                message = string(parser, value);
            }
            else if (CAUSES.equals(name) && causes != null && value == JsonToken.START_ARRAY) {
                readCauses(parser, causes);
            }
            else if (FIELDS.equals(name) && value == JsonToken.START_OBJECT) {
                fields = readFields(parser);
            }
            else {
                parser.skipChildren();
            }
        }
        if (type == null || type.isBlank()) {
            throw new PayloadCodecException("the failure names no type");
        }
        return new Entry(bounded(type, ExceptionAllowList.MAX_TYPE_NAME_LENGTH),
                (message != null) ? bounded(message, MAX_MESSAGE_LENGTH) : null, fields);
    }

    /**
     * Reads the fields object whose start the parser is on: texts, whole numbers and lists of texts; values
     * of other kinds and fields beyond {@link FailureFields#MAX_FIELDS} are skipped.
     */
    private static FailureFields readFields(JsonParser parser) {
        FailureFields.Builder fields = FailureFields.builder();
        for (;;) {
            JsonToken token = parser.nextToken();
            if (token == JsonToken.END_OBJECT) {
                return fields.build();
            }
            if (token != JsonToken.PROPERTY_NAME) {
                throw new PayloadCodecException("the fields of a failure are an object");
            }
            String name = bounded(parser.currentName(), MAX_FIELD_NAME_LENGTH);
            JsonToken value = parser.nextToken();
            if (value == null) {
                throw new PayloadCodecException("the failure is truncated");
            }
            if (value == JsonToken.VALUE_STRING) {
                fields.read(name, bounded(parser.getString(), MAX_MESSAGE_LENGTH));
            }
            else if (value == JsonToken.VALUE_NUMBER_INT) {
                fields.read(name, parser.getLongValue());
            }
            else if (value == JsonToken.START_ARRAY) {
                List<String> texts = readTexts(parser);
                if (texts != null) {
                    fields.read(name, texts);
                }
            }
            else {
                parser.skipChildren();
            }
        }
    }

    /** Reads an array of texts whose start the parser is on; {@code null} when it holds anything else. */
    private static @Nullable List<String> readTexts(JsonParser parser) {
        List<String> texts = new ArrayList<>();
        boolean onlyTexts = true;
        for (;;) {
            JsonToken token = parser.nextToken();
            if (token == JsonToken.END_ARRAY) {
                return onlyTexts ? List.copyOf(texts) : null;
            }
            if (token == null) {
                throw new PayloadCodecException("the failure is truncated");
            }
            if (token == JsonToken.VALUE_STRING && texts.size() < FailureFields.MAX_LIST_SIZE) {
                texts.add(bounded(parser.getString(), MAX_MESSAGE_LENGTH));
            }
            else {
                onlyTexts &= token == JsonToken.VALUE_STRING;
                parser.skipChildren();
            }
        }
    }

    private void readCauses(JsonParser parser, List<Entry> causes) {
        for (int i = 0;; i++) {
            JsonToken token = parser.nextToken();
            if (token == JsonToken.END_ARRAY) {
                return;
            }
            if (token == null) {
                throw new PayloadCodecException("the failure is truncated");
            }
            if (i >= MAX_CAUSES || token != JsonToken.START_OBJECT) {
                parser.skipChildren();
            }
            else {
                causes.add(readEntry(parser, null));
            }
        }
    }

    private static @Nullable String string(JsonParser parser, JsonToken token) {
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        if (token != JsonToken.VALUE_STRING) {
            throw new PayloadCodecException("the type and message of a failure are strings, found " + token);
        }
        return parser.getString();
    }

    private static String bounded(String text, int maxLength) {
        return (text.length() <= maxLength) ? text : text.substring(0, maxLength) + "...";
    }

    private record Entry(String type, @Nullable String message, FailureFields fields) {
    }
}
