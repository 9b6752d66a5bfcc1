package dev.quark.durabletasks.payload;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.json.JsonMapper;

/**
 * Payloads as JSON through a Jackson 3 mapper: the application's, so that its modules and settings apply.
 */
public final class JacksonPayloadConverter implements PayloadConverter {

    private final JsonMapper mapper;

    /**
     * Creates a converter.
     * @param mapper the mapper
     */
    public JacksonPayloadConverter(JsonMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
    }

    /**
     * Creates a converter on Jackson's shared default mapper.
     */
    public JacksonPayloadConverter() {
        this(JsonMapper.shared());
    }

    @Override
    public @Nullable String write(@Nullable Object value) {
        return (value != null) ? this.mapper.writeValueAsString(value) : null;
    }

    @Override
    public @Nullable Object read(@Nullable String text, Type type) {
        if (text == null || type == Void.class || type == void.class) {
            return null;
        }
        JavaType javaType = this.mapper.getTypeFactory().constructType(type);
        return this.mapper.readValue(text, javaType);
    }

    @Override
    public Type[] typeArguments(Class<?> implementation, Class<?> generic) {
        JavaType[] found = this.mapper.getTypeFactory()
            .findTypeParameters(this.mapper.getTypeFactory().constructType(implementation), generic);
        int count = generic.getTypeParameters().length;
        Type[] types = new Type[count];
        for (int i = 0; i < count; i++) {
            types[i] = (found != null && i < found.length && found[i] != null) ? reflect(found[i]) : Object.class;
        }
        return types;
    }

    /**
     * Returns a resolved type as plain reflection types, whose names read well in messages.
     */
    private static Type reflect(JavaType type) {
        if (type.getBindings().isEmpty() || type.isArrayType()) {
            return type.isArrayType() && !type.getBindings().isEmpty() ? type : type.getRawClass();
        }
        Type[] arguments = new Type[type.containedTypeCount()];
        for (int i = 0; i < arguments.length; i++) {
            JavaType argument = type.containedType(i);
            arguments[i] = (argument != null) ? reflect(argument) : Object.class;
        }
        return new Parameterized(type.getRawClass(), arguments);
    }

    /**
     * A generic type with its arguments, for instance {@code List<String>}.
     */
    private static final class Parameterized implements ParameterizedType {

        private final Class<?> raw;

        private final Type[] arguments;

        Parameterized(Class<?> raw, Type[] arguments) {
            this.raw = raw;
            this.arguments = arguments;
        }

        @Override
        public Type[] getActualTypeArguments() {
            return this.arguments.clone();
        }

        @Override
        public Type getRawType() {
            return this.raw;
        }

        @Override
        public @Nullable Type getOwnerType() {
            return null;
        }

        @Override
        public String getTypeName() {
            return this.raw.getName() + Arrays.stream(this.arguments).map(Type::getTypeName)
                .collect(Collectors.joining(", ", "<", ">"));
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof ParameterizedType that && this.raw.equals(that.getRawType())
                    && that.getOwnerType() == null && Arrays.equals(this.arguments, that.getActualTypeArguments());
        }

        @Override
        public int hashCode() {
            return this.raw.hashCode() ^ Arrays.hashCode(this.arguments);
        }

        @Override
        public String toString() {
            return getTypeName();
        }
    }

    @Override
    public String toString() {
        return "JacksonPayloadConverter";
    }
}
