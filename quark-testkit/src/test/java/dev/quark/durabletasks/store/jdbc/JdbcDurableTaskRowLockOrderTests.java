package dev.quark.durabletasks.store.jdbc;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.StatementsTogether;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The statements of {@link JdbcDurableTaskStore} that renew many row leases lock the rows in key order, so that two
 * of them over overlapping rows, given in opposite orders, never deadlock.
 */
class JdbcDurableTaskRowLockOrderTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private static final Duration LONG = Duration.ofMinutes(5);

    private static final int ROWS = 200;

    private static final int ROUNDS = 10;

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcDurableTaskStore store;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcDurableTaskRowLockOrderTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(8);
        JdbcDurableTaskStore.migration(PREFIX).apply(dataSource);
        store = new JdbcDurableTaskStore(dataSource, PREFIX);
    }

    @AfterAll
    static void disconnect() {
        if (dataSource != null) {
            dataSource.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    @Test
    @Timeout(120)
    void renewalsOfTheSameInstanceLeasesInOppositeOrdersNeverDeadlock() throws Exception {
        for (int round = 1; round <= ROUNDS; round++) {
            LinkedHashMap<String, FencingToken> ascending = leasedInstances("renew-" + round);
            Map<String, FencingToken> descending = new LinkedHashMap<>();
            ascending.sequencedKeySet().reversed().forEach((id) -> descending.put(id, ascending.get(id)));

            List<Set<String>> renewed = StatementsTogether.run(() -> store.renewInstances(ascending, LONG),
                    () -> store.renewInstances(descending, LONG), () -> store.renewInstances(descending, LONG),
                    () -> store.renewInstances(ascending, LONG));

            assertThat(renewed).allSatisfy((ids) -> assertThat(ids).isEqualTo(ascending.keySet()));
        }
    }

    /** Instances whose rows hold a lease, in id order. */
    private static LinkedHashMap<String, FencingToken> leasedInstances(String name) {
        String prefix = "lock-order-" + Long.toHexString(System.nanoTime()) + "-" + name + "-";
        List<String> ids = IntStream.range(0, ROWS).mapToObj((i) -> prefix + "%04d".formatted(i)).toList();
        LinkedHashMap<String, FencingToken> leased = new LinkedHashMap<>();
        for (String id : ids) {
            assertThat(store.create(new NewInstance(id, "order", null, null, NOW, NOW))).isEmpty();
            long token = JdbcClient.create(dataSource)
                .sql("update quark_durable_instance set lease_owner = 'node', lease_token = nextval('quark_durable_lease_token'), "
                        + "lease_expires_at = clock_timestamp() + interval '5 minutes' where instance_id = ? returning lease_token")
                .param(id)
                .query(Long.class)
                .single();
            leased.put(id, new FencingToken(token));
        }
        return leased;
    }
}
