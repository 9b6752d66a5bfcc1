package dev.quark.autoconfigure.redis;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration of the Redis backends. The connection itself is Spring Boot's ({@code spring.data.redis.*}).
 */
@ConfigurationProperties(QuarkRedisProperties.PREFIX)
public class QuarkRedisProperties implements InitializingBean {

    static final String PREFIX = "quark.redis";

    /**
     * Prefix of every key Quark writes, so that several applications can share one Redis database. May be
     * empty.
     */
    private String keyPrefix = "quark:";

    public String getKeyPrefix() {
        return this.keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
        this.keyPrefix = keyPrefix;
    }

    /**
     * Rejects a key prefix with whitespace or control characters; the failure names the property.
     * @throws InvalidConfigurationPropertyValueException when the prefix is not allowed
     */
    @Override
    public void afterPropertiesSet() {
        if (this.keyPrefix.codePoints().anyMatch((c) -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new InvalidConfigurationPropertyValueException(PREFIX + ".key-prefix", this.keyPrefix,
                    "must not contain whitespace or control characters");
        }
    }
}
