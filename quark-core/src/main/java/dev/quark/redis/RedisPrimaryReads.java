package dev.quark.redis;

import io.lettuce.core.ReadFrom;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.util.ClassUtils;

/**
 * Refuses a connection factory that reads from Redis replicas, for what must read its own latest writes: a replica
 * lags behind the primary (replication is asynchronous), so a membership table read there can show a version the
 * table has already left, and views would go back and forth. Lettuce routes reads by its {@code ReadFrom} setting
 * (Spring Boot's {@code spring.data.redis.lettuce.read-from}); reading from the primary ({@code UPSTREAM}, the default,
 * also called {@code MASTER}) is fine, and so is preferring it ({@code UPSTREAM_PREFERRED}), which reads a replica
 * only while no primary answers: a read then may show an older table, while no write gets through either (taken as
 * a failover's moment, not refused). Other clients (Jedis) read from the node they are connected to and are not
 * checked.
 */
public final class RedisPrimaryReads {

    private static final boolean LETTUCE_PRESENT = ClassUtils.isPresent(
            "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory",
            RedisPrimaryReads.class.getClassLoader())
            && ClassUtils.isPresent("io.lettuce.core.ReadFrom", RedisPrimaryReads.class.getClassLoader());

    private RedisPrimaryReads() {
    }

    /**
     * Checks that a connection factory reads from the primary.
     * @param connectionFactory the factory
     * @param user what reads through it, for the message, such as {@code "The Redis membership table"}
     * @throws IllegalArgumentException naming the factory's read setting when it reads from replicas
     */
    public static void require(RedisConnectionFactory connectionFactory, String user) {
        if (LETTUCE_PRESENT) {
            Lettuce.require(connectionFactory, user);
        }
    }

    /** Kept apart so that nothing of Lettuce's is loaded without Lettuce. */
    private static final class Lettuce {

        static void require(RedisConnectionFactory connectionFactory, String user) {
            if (!(connectionFactory instanceof LettuceConnectionFactory lettuce)) {
                return;
            }
            ReadFrom readFrom = lettuce.getClientConfiguration().getReadFrom().orElse(null);
            if (readFrom == null || readFrom.getClass() == ReadFrom.UPSTREAM.getClass()
                    || readFrom.getClass() == ReadFrom.UPSTREAM_PREFERRED.getClass()) {
                return;
            }
            throw new IllegalArgumentException(user + " must read from the Redis primary, but its connection factory "
                    + "reads from " + nameOf(readFrom) + " (Lettuce's ReadFrom, Spring Boot's "
                    + "spring.data.redis.lettuce.read-from): a replica lags behind the primary and would show the "
                    + "table as it was. Read from the primary (UPSTREAM, the default, or UPSTREAM_PREFERRED), or "
                    + "define the bean that reads the table yourself (a RedisMembershipProvider) with a connection "
                    + "factory that does");
        }

        /** The setting's name as Lettuce's classes have it ({@code ReplicaPreferred}), else what it says it is. */
        private static String nameOf(ReadFrom readFrom) {
            String simple = readFrom.getClass().getSimpleName().replaceFirst("^ReadFrom", "");
            return simple.isEmpty() ? String.valueOf(readFrom) : simple;
        }
    }
}
