package dev.quark.state;

import java.lang.reflect.Type;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes states as JSON with a Jackson {@link JsonMapper}; readers and writers are created once per type.
 */
public final class JsonStateSerializer implements StateSerializer {

    private final JsonMapper mapper;

    private final Map<Type, ObjectReader> readers = new ConcurrentHashMap<>();

    private final Map<Type, ObjectWriter> writers = new ConcurrentHashMap<>();

    /**
     * Creates a serializer with Jackson's default mapper.
     */
    public JsonStateSerializer() {
        this(JsonMapper.shared());
    }

    /**
     * Creates a serializer with the given mapper, usually the application's.
     * @param mapper the mapper
     */
    public JsonStateSerializer(JsonMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
    }

    @Override
    public String serialize(Object value, Type type) {
        return this.writers.computeIfAbsent(type, (key) -> this.mapper.writerFor(javaType(key)))
            .writeValueAsString(value);
    }

    @Override
    public Object deserialize(String payload, Type type) {
        Object value = this.readers.computeIfAbsent(type, (key) -> this.mapper.readerFor(javaType(key)))
            .readValue(payload);
        if (value == null) {
            throw new IllegalArgumentException("the payload is JSON null");
        }
        return value;
    }

    private JavaType javaType(Type type) {
        return this.mapper.constructType(type);
    }
}
