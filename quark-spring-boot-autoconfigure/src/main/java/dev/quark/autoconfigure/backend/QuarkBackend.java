package dev.quark.autoconfigure.backend;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Where an area of Quark keeps its data: {@code quark.backend} for every area, overridable per area with
 * {@code quark.<area>.backend} (see {@link QuarkBackendResolver}).
 */
public enum QuarkBackend {

    /** In the JVM's memory: nothing survives a restart, nothing is shared between silos. */
    MEMORY,

    /** In Redis, through the application's {@code RedisConnectionFactory}. */
    REDIS,

    /** In PostgreSQL, through the application's {@code DataSource}. */
    POSTGRES;

    /**
     * Returns the name used in properties.
     * @return {@code memory}, {@code redis} or {@code postgres}
     */
    public String propertyValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Finds the backend a property value names, ignoring case and surrounding blanks.
     * @param value the property value
     * @return the backend, or empty when the value names none
     */
    public static Optional<QuarkBackend> fromPropertyValue(String value) {
        String normalized = value.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter((backend) -> backend.propertyValue().equals(normalized)).findFirst();
    }

    /**
     * Lists the property values, for messages.
     * @return {@code memory, redis, postgres}
     */
    static String propertyValues() {
        return Arrays.stream(values()).map(QuarkBackend::propertyValue).collect(Collectors.joining(", "));
    }
}
