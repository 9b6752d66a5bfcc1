package dev.quark.benchmarks.harness;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import io.lettuce.core.RedisURI;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The Redis and PostgreSQL servers of the backend workloads, from {@code QUARK_BENCH_REDIS_URL} (default {@code
 * QUARK_TEST_REDIS_URL}, then {@code redis://127.0.0.1:6379}) and {@code QUARK_BENCH_POSTGRES_URL} (default {@code
 * QUARK_TEST_POSTGRES_URL}, then {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}), and the names a run
 * keeps its data under there: a PostgreSQL schema or a Redis key prefix of its own, removed when it closes.
 */
public final class BenchServers {

    /** Liquibase logs every changelog it applies through java.util.logging; a round applies several. */
    private static final java.util.logging.Logger liquibase = java.util.logging.Logger.getLogger("liquibase");

    static {
        liquibase.setLevel(java.util.logging.Level.WARNING);
    }

    private BenchServers() {
    }

    /**
     * Returns the PostgreSQL server's JDBC URL.
     * @return the URL
     */
    public static String postgresUrl() {
        return setting("QUARK_BENCH_POSTGRES_URL", "QUARK_TEST_POSTGRES_URL",
                "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    }

    /**
     * Returns the Redis server's URI.
     * @return the URI
     */
    public static RedisURI redisUri() {
        return RedisURI.create(setting("QUARK_BENCH_REDIS_URL", "QUARK_TEST_REDIS_URL", "redis://127.0.0.1:6379"));
    }

    /**
     * Creates an empty schema named after the workload and this process, and a pool whose connections use it.
     * @param name a short name of the workload, letters, digits and {@code _}
     * @param poolSize the pool's connections
     * @return the schema; closing it closes the pool and drops the schema
     */
    public static PostgresSchema postgresSchema(String name, int poolSize) {
        String url = postgresUrl();
        String schema = "quark_bench_" + name + "_" + ProcessHandle.current().pid();
        execute(url, "drop schema if exists " + schema + " cascade");
        execute(url, "create schema " + schema);
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema
                + "&ApplicationName=" + schema);
        dataSource.setMaximumPoolSize(poolSize);
        dataSource.setPoolName(schema);
        return new PostgresSchema(schema, dataSource, () -> {
            dataSource.close();
            execute(url, "drop schema " + schema + " cascade");
        });
    }

    /**
     * Connects to Redis under a key prefix named after the workload and this process.
     * @param name a short name of the workload
     * @return the connection; closing it deletes the keys under the prefix and disconnects
     */
    public static RedisKeys redisKeys(String name) {
        RedisURI uri = redisUri();
        LettuceConnectionFactory connections = new LettuceConnectionFactory(
                new RedisStandaloneConfiguration(uri.getHost(), uri.getPort()),
                LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(30)).build());
        connections.afterPropertiesSet();
        connections.start();
        String prefix = "quark-bench:" + name + ":" + ProcessHandle.current().pid() + ":";
        return new RedisKeys(connections, prefix, () -> {
            StringRedisTemplate redis = new StringRedisTemplate(connections);
            try (Cursor<String> keys = redis.scan(ScanOptions.scanOptions().match(prefix + "*").count(1000).build())) {
                while (keys.hasNext()) {
                    redis.delete(keys.next());
                }
            }
            connections.destroy();
        });
    }

    private static String setting(String variable, String fallback, String otherwise) {
        String value = System.getenv(variable);
        if (value == null || value.isBlank()) {
            value = System.getenv(fallback);
        }
        return (value == null || value.isBlank()) ? otherwise : value;
    }

    private static void execute(String url, String sql) {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not run '" + sql + "' on " + url + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * A schema created for one run.
     *
     * @param name the schema's name
     * @param dataSource connections that use it
     * @param remove closes the pool and drops the schema
     */
    public record PostgresSchema(String name, HikariDataSource dataSource, Runnable remove) implements AutoCloseable {

        @Override
        public void close() {
            this.remove.run();
        }
    }

    /**
     * A Redis key prefix used by one run.
     *
     * @param connections the connection factory
     * @param prefix the key prefix
     * @param remove deletes the keys and disconnects
     */
    public record RedisKeys(LettuceConnectionFactory connections, String prefix, Runnable remove) implements AutoCloseable {

        @Override
        public void close() {
            this.remove.run();
        }
    }
}
