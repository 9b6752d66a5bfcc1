package dev.quark.lease.jdbc;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.Lease;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.StatementsTogether;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The statements of {@link JdbcLeaseStore} that write many lease rows lock them in resource order, so that two of
 * them over overlapping rows, given in opposite orders, never deadlock: renewals, releases, and an acquisition of
 * expired leases racing their old holder's release.
 */
class JdbcLeaseRowLockOrderTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static final Duration LONG = Duration.ofMinutes(5);

    private static final int ROWS = 200;

    private static final int ROUNDS = 10;

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcLeaseStore store;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcLeaseRowLockOrderTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(8);
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        store = new JdbcLeaseStore(dataSource, PREFIX, Clock.systemUTC());
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
    void renewalsAndReleasesOverTheSameRowsInOppositeOrdersNeverDeadlock() throws Exception {
        for (int round = 1; round <= ROUNDS; round++) {
            List<Lease> ascending = store.tryAcquireAny(resources("renew-" + round), ROWS, "node", LONG);
            assertThat(ascending).hasSize(ROWS);
            List<Lease> descending = ascending.reversed();
            StatementsTogether.run(() -> store.renewAll(ascending, LONG), () -> store.renewAll(descending, LONG),
                    () -> store.releaseAll(descending.subList(ROWS / 2, ROWS)),
                    () -> store.releaseAll(ascending.subList(ROWS / 2, ROWS)));
            assertThat(store.releaseAll(ascending)).isEmpty();
        }
    }

    @Test
    @Timeout(120)
    void anAcquisitionOfExpiredLeasesAndTheirOldHoldersReleaseInOppositeOrdersNeverDeadlock() throws Exception {
        for (int round = 1; round <= ROUNDS; round++) {
            List<String> resources = resources("expired-" + round);
            List<Lease> old = store.tryAcquireAny(resources, ROWS, "old", Duration.ofMillis(100));
            assertThat(old).hasSize(ROWS);
            await().atMost(Duration.ofSeconds(30))
                .until(() -> store.holder(resources.getLast()).isEmpty() && store.holder(resources.getFirst()).isEmpty());
            List<List<Lease>> acquired = new ArrayList<>();
            StatementsTogether.run(() -> acquired.add(store.tryAcquireAny(resources, ROWS, "new", LONG)),
                    () -> store.releaseAll(old.reversed()));
            assertThat(acquired.getFirst()).hasSize(ROWS);
            assertThat(store.releaseAll(acquired.getFirst())).hasSize(ROWS);
        }
    }

    private static List<String> resources(String name) {
        String prefix = "lock-order-" + Long.toHexString(System.nanoTime()) + "-" + name + "-";
        return IntStream.range(0, ROWS)
            .mapToObj((i) -> prefix + "%04d".formatted(i))
            .sorted(Comparator.naturalOrder())
            .toList();
    }
}
