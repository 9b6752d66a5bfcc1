package dev.quark.autoconfigure;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * The checks that {@code quark.*} properties classes run on their bound values: each failure is an
 * {@link InvalidConfigurationPropertyValueException} naming the full property ({@code prefix.name}), its value and why
 * it is refused, which Spring Boot's failure analyzer prints at start-up.
 */
public final class PropertyChecks {

    private final String prefix;

    /**
     * @param prefix the properties' prefix, such as {@code quark.jobs}
     */
    public PropertyChecks(String prefix) {
        this.prefix = prefix;
    }

    /**
     * @param name the property's name under the prefix, such as {@code poll-interval}
     * @param value its bound value
     * @throws InvalidConfigurationPropertyValueException when the value is zero or negative
     */
    public void positive(String name, Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw invalid(name, value, "must be positive");
        }
    }

    /**
     * @param name the property's name under the prefix
     * @param value its bound value
     * @throws InvalidConfigurationPropertyValueException when the value is below 1
     */
    public void positive(String name, int value) {
        if (value < 1) {
            throw invalid(name, value, "must be positive");
        }
    }

    /**
     * @param name the property's name under the prefix
     * @param value the value refused
     * @param reason why, such as {@code must be at least 30ms}
     * @return the exception to throw
     */
    public InvalidConfigurationPropertyValueException invalid(String name, @Nullable Object value,
            String reason) {
        return new InvalidConfigurationPropertyValueException(this.prefix + "." + name, value, reason);
    }
}
