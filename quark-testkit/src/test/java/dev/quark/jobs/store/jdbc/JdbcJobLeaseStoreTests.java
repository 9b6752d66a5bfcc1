package dev.quark.jobs.store.jdbc;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.JobId;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.NewJob;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcFencing;
import dev.quark.testkit.lease.FencedRecords;
import dev.quark.testkit.lease.LeaseStoreContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lease store's contract for {@link JdbcJobStore}'s leases, kept in the job rows ({@link JdbcJobLeaseStore}). Its
 * resources are jobs: each test's resource is a job enqueued for it ({@link #newResource}). Where the contract does
 * not apply:
 * <ul>
 * <li>tokens grow per job (the row's previous token plus one), not from one sequence for all resources
 * ({@link #tokensSharedByAllResources()} is {@code false}): the tests do not compare tokens across resources;</li>
 * <li>{@code raiseTokensAbove} is not supported (the contract allows it and skips its test): the job row is both where
 * the token comes from and what it guards, so it cannot fall behind its own records;</li>
 * <li>{@link #resourcesAreDistinctWhateverCharactersTheirNamesHave} is not run: its resources are names made up of
 * any characters, and a resource of this store must name a job ({@code jobs:<id>}); any other is never granted.</li>
 * </ul>
 * The fenced records are rows of a table of their own, stamped and written with {@link JdbcFencing} and this store's
 * tokens: the job statements' own fencing is the job store contract's.
 */
class JdbcJobLeaseStoreTests extends LeaseStoreContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcJobStore jobs;

    private static JdbcClient jdbc;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcJobLeaseStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(10);
        JdbcJobStore.migration(PREFIX).apply(dataSource);
        jobs = new JdbcJobStore(dataSource, PREFIX);
        jdbc = JdbcClient.create(dataSource);
        jdbc.sql("create table area_record (id text primary key, lease_token bigint, value text not null)").update();
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

    @Override
    protected LeaseStore store() {
        return jobs.leaseStore().orElseThrow();
    }

    @Override
    protected Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    protected LeaseStore newStoreOnTheSameBackend() {
        return new JdbcJobStore(dataSource, PREFIX).leaseStore().orElseThrow();
    }

    @Override
    protected boolean tokensSharedByAllResources() {
        return false;
    }

    /**
     * Enqueues a job and returns its lease resource.
     */
    @Override
    protected String newResource(String name) {
        Instant now = Instant.now();
        JobId id = JobId.next(Clock.systemUTC());
        jobs.enqueue(new NewJob(id, "lease-contract-" + name, "{}", null, now, now));
        return JobLeases.resource(id);
    }

    @Override
    protected FencedRecords fencedRecords() {
        return new FencedRecords() {
            @Override
            public void create(String id, String value) {
                jdbc.sql("insert into area_record (id, value) values (?, ?)").params(id, value).update();
            }

            @Override
            public boolean stamp(String id, FencingToken token) {
                return jdbc.sql("update area_record set lease_token = ? where id = ? and "
                        + JdbcFencing.stampable("lease_token"))
                    .params(token.value(), id, token.value())
                    .update() == 1;
            }

            @Override
            public boolean write(String id, FencingToken token, String value) {
                return jdbc.sql("update area_record set value = ? where id = ? and " + JdbcFencing.stamped("lease_token"))
                    .params(value, id, token.value())
                    .update() == 1;
            }

            @Override
            public String read(String id) {
                return jdbc.sql("select value from area_record where id = ?").param(id).query(String.class).single();
            }
        };
    }

    /**
     * Not run: a resource of this store names a job, not any string (see the class's javadoc).
     */
    @Override
    @Test
    @Disabled("A resource of the job rows' lease store names a job (jobs:<id>), not any string")
    public void resourcesAreDistinctWhateverCharactersTheirNamesHave() {
    }

    @Test
    void aResourceThatNamesNoJobIsNeverGranted() {
        LeaseStore store = store();
        String missing = JobLeases.resource(JobId.next(Clock.systemUTC()));
        assertThat(store.tryAcquireAny(List.of("not-a-job", missing), 2, OWNER, LONG)).isEmpty();
        assertThat(store.holder(missing)).isEmpty();
    }
}
