package dev.quark.benchmarks.reminders;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.TablePrefix;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.jdbc.JdbcReminderTable;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.reminder.redis.RedisReminderTable;
import io.lettuce.core.RedisURI;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * A reminder table the workload runs on, created empty under names of its own (a Redis key prefix, a
 * PostgreSQL schema, both with the process id) and removed afterwards, so that it collides neither with tests
 * nor with another run. The servers come from {@code QUARK_BENCH_REDIS_URL} (default {@code
 * QUARK_TEST_REDIS_URL}, then {@code redis://127.0.0.1:6379}) and {@code QUARK_BENCH_POSTGRES_URL} (default
 * {@code QUARK_TEST_POSTGRES_URL}, then {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}).
 */
enum ReminderBackend {

    MEMORY {
        @Override
        OpenTable open() {
            return new OpenTable(new InMemoryReminderTable(), () -> {
            });
        }
    },

    REDIS {
        @Override
        OpenTable open() {
            RedisURI uri = RedisURI.create(setting("QUARK_BENCH_REDIS_URL", "QUARK_TEST_REDIS_URL", "redis://127.0.0.1:6379"));
            RedisStandaloneConfiguration server = new RedisStandaloneConfiguration(uri.getHost(), uri.getPort());
            LettuceConnectionFactory connections = new LettuceConnectionFactory(server,
                    LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(30)).build());
            connections.afterPropertiesSet();
            connections.start();
            String prefix = "quark-bench:" + ProcessHandle.current().pid() + ":";
            return new OpenTable(new RedisReminderTable(connections, prefix), () -> {
                StringRedisTemplate redis = new StringRedisTemplate(connections);
                try (Cursor<String> keys = redis.scan(ScanOptions.scanOptions().match(prefix + "*").count(1000).build())) {
                    while (keys.hasNext()) {
                        redis.delete(keys.next());
                    }
                }
                connections.destroy();
            });
        }
    },

    POSTGRES {
        @Override
        OpenTable open() {
            String url = setting("QUARK_BENCH_POSTGRES_URL", "QUARK_TEST_POSTGRES_URL",
                    "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
            String schema = "quark_bench_" + ProcessHandle.current().pid();
            execute(url, "create schema " + schema);
            HikariDataSource dataSource = new HikariDataSource();
            dataSource.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema);
            dataSource.setMaximumPoolSize(POOL_SIZE);
            JdbcReminderTable.migration(new TablePrefix(TablePrefix.DEFAULT)).apply(dataSource);
            return new OpenTable(new JdbcReminderTable(dataSource, new TablePrefix(TablePrefix.DEFAULT)), () -> {
                dataSource.close();
                execute(url, "drop schema " + schema + " cascade");
            });
        }
    };

    /** Connections to PostgreSQL: enough for the registrations and one batch of writes at a time. */
    static final int POOL_SIZE = 16;

    /**
     * Creates the table, empty.
     * @return the table and how to remove it
     */
    abstract OpenTable open();

    /** The name in figure keys and tables: {@code memory}, {@code redis}, {@code postgres}. */
    String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The name in the table's labels. */
    String label() {
        return switch (this) {
            case MEMORY -> "in-memory";
            case REDIS -> "Redis";
            case POSTGRES -> "PostgreSQL";
        };
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
     * A table created for one run.
     *
     * @param table the table
     * @param remove removes what the run stored
     */
    record OpenTable(ReminderTable table, Runnable remove) implements AutoCloseable {

        OpenTable {
            Objects.requireNonNull(table, "table must not be null");
        }

        @Override
        public void close() {
            this.remove.run();
        }
    }
}
