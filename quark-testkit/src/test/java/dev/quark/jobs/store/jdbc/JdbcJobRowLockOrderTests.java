package dev.quark.jobs.store.jdbc;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.NewJob;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.StatementsTogether;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The statements of {@link JdbcJobStore} that update many job rows lock them in id order, so that two of them over
 * overlapping rows, given in opposite orders, never deadlock: a batch of outcomes ({@link JdbcJobStore#finishAll}),
 * lease renewals and releases of the rows' leases, and give-backs (outcomes too).
 */
class JdbcJobRowLockOrderTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

    private static final Duration LONG = Duration.ofMinutes(5);

    private static final int ROWS = 200;

    private static final int ROUNDS = 10;

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcJobStore store;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcJobRowLockOrderTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(8);
        JdbcJobStore.migration(PREFIX).apply(dataSource);
        store = new JdbcJobStore(dataSource, PREFIX);
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
    void outcomesRenewalsAndReleasesOverTheSameRowsInOppositeOrdersNeverDeadlock() throws Exception {
        LeaseStore leases = store.leaseStore().orElseThrow();
        for (int round = 1; round <= ROUNDS; round++) {
            List<ClaimedJob> claimed = claimAll("round-" + round);
            List<ClaimedJob> ascending = claimed.stream()
                .sorted(Comparator.comparing((ClaimedJob c) -> c.job().id().value()))
                .toList();
            List<ClaimedJob> descending = ascending.reversed();
            List<ClaimedJob> firstHalfDescending = descending.subList(ROWS / 2, ROWS);
            List<ClaimedJob> secondHalfAscending = ascending.subList(ROWS / 2, ROWS);
            StatementsTogether.<Object>run(() -> store.finishAll(outcomes(firstHalfDescending)),
                    () -> store.finishAll(outcomes(secondHalfAscending)),
                    () -> leases.renewAll(leasesOf(ascending), LONG),
                    () -> leases.releaseAll(leasesOf(descending)));
            int finalRound = round;
            claimed.forEach((c) -> assertThat(store.find(c.job().id()).orElseThrow().status())
                .as("round %d", finalRound)
                .isIn(JobStatus.SUCCEEDED, JobStatus.RUNNING));
        }
    }

    @Test
    @Timeout(120)
    void aPurgeOfMoreRowsThanOneBatchRemovesThemAll() {
        List<ClaimedJob> claimed = claimAll("purge");
        assertThat(store.finishAll(outcomes(claimed))).isEmpty();
        org.springframework.jdbc.core.simple.JdbcClient sql = org.springframework.jdbc.core.simple.JdbcClient
            .create(dataSource);
        String count = "select count(*) from " + PREFIX.table("job") + " where status = 'SUCCEEDED'";
        long succeeded = sql.sql(count).query(Long.class).single();
        JdbcJobStore batched = new JdbcJobStore(dataSource, PREFIX);
        batched.purgeBatch(ROWS / 3);
        int purged = batched.purge(java.util.Set.of(JobStatus.SUCCEEDED), NOW.plusSeconds(1));
        assertThat(purged).isEqualTo(succeeded).isGreaterThanOrEqualTo(ROWS);
        assertThat(sql.sql(count).query(Long.class).single()).isZero();
        claimed.forEach((c) -> assertThat(store.find(c.job().id())).isEmpty());
    }

    private static List<ClaimedJob> claimAll(String name) {
        String type = "lock-order-" + Long.toHexString(System.nanoTime()) + "-" + name;
        for (int i = 0; i < ROWS; i++) {
            store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW));
        }
        List<ClaimedJob> claimed = new ArrayList<>();
        while (claimed.size() < ROWS) {
            List<ClaimedJob> batch = store.claimDue(new Claim("worker", ROWS, java.util.Map.of(type, ROWS),
                    java.util.Set.of(), NOW), JobLeases.of(store.leaseStore().orElseThrow(), "worker", LONG));
            assertThat(batch).isNotEmpty();
            claimed.addAll(batch);
        }
        return claimed;
    }

    private static List<JobOutcome> outcomes(List<ClaimedJob> jobs) {
        return jobs.stream()
            .map((c) -> new JobOutcome(c.job().id(), c.lease(), JobTransition.succeeded(),
                    new JobReport(100, null, List.of()), NOW))
            .toList();
    }

    private static List<Lease> leasesOf(List<ClaimedJob> jobs) {
        return jobs.stream().map(ClaimedJob::lease).toList();
    }
}
