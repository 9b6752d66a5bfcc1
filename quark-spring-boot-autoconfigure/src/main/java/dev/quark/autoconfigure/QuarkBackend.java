package dev.quark.autoconfigure;

/**
 * Where an area of Quark keeps its data: {@code quark.backend} for every area, overridable per area (for
 * instance {@code quark.persistence.backend}).
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
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
