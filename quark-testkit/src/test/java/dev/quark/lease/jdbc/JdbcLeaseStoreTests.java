package dev.quark.lease.jdbc;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseStore;
import dev.quark.testkit.lease.FencedRecords;
import dev.quark.testkit.lease.LeaseStoreContractTests;
import dev.quark.testkit.server.BoundCallerTransaction;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class JdbcLeaseStoreTests extends LeaseStoreContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcLeaseStore store;

    private static JdbcClient jdbc;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcLeaseStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(10);
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        store = new JdbcLeaseStore(dataSource, PREFIX, Clock.systemUTC());
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
        return store;
    }

    @Override
    protected Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    protected LeaseStore newStoreOnTheSameBackend() {
        return new JdbcLeaseStore(dataSource, PREFIX, Clock.systemUTC());
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

    @Test
    void aBatchBehindThousandsOfHeldCandidatesLocksNoMoreThanItGrants() {
        List<String> held = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            held.add(newResource("held-" + i));
        }
        for (int from = 0; from < held.size(); from += 500) {
            assertThat(store.tryAcquireAny(held.subList(from, from + 500), 500, OTHER, LONG)).hasSize(500);
        }
        List<String> candidates = new ArrayList<>(held);
        for (int i = 0; i < 1000; i++) {
            candidates.add(newResource("free-" + i));
        }
        JdbcLeaseStore joining = new JdbcLeaseStore(dataSource, PREFIX, Clock.systemUTC(),
                JdbcLeaseStore.Transactions.JOIN_CALLERS);
        callersTransaction().executeWithoutResult((status) -> {
            List<Lease> granted = joining.tryAcquireAny(candidates, 2, OWNER, LONG);
            assertThat(granted).extracting(Lease::resource).containsExactly(candidates.get(3000), candidates.get(3001));
            assertThat(advisoryLocksOfThisSession()).as("advisory locks held in the caller's transaction")
                .isLessThanOrEqualTo(2);
        });
    }

    @Test
    void byDefaultAnAcquisitionRenewalAndReleaseOutliveARollbackOfTheCallersTransaction() {
        String resource = newResource("job");
        Lease lease = callersTransaction().execute((status) -> {
            Lease acquired = store.tryAcquire(resource, OWNER, Duration.ofSeconds(30)).orElseThrow();
            status.setRollbackOnly();
            return acquired;
        });
        assertThat(store.holder(resource).map(LeaseHolder::token)).as("acquired").contains(lease.token());
        callersTransaction().executeWithoutResult((status) -> {
            assertThat(store.renew(lease, LONG)).isPresent();
            status.setRollbackOnly();
        });
        assertThat(store.holder(resource).orElseThrow().remaining()).as("renewed").isGreaterThan(Duration.ofMinutes(1));
        callersTransaction().executeWithoutResult((status) -> {
            assertThat(store.tryAcquireAny(List.of(newResource("batch"), resource), 2, OTHER, LONG)).hasSize(1);
            assertThat(advisoryLocksOfThisSession()).as("the store's own transaction took its locks along").isZero();
            assertThat(store.release(lease)).isTrue();
            status.setRollbackOnly();
        });
        assertThat(store.holder(resource)).as("released").isEmpty();
    }

    /**
     * JPA's and Hibernate's managers bind their connection without marking it as a JDBC transaction: a store that
     * asked a private DataSourceTransactionManager for a new transaction got that connection and committed the
     * caller's work with its own.
     */
    @Test
    void byDefaultAnAcquisitionInsideAJpaStyleTransactionCommitsOnItsOwnAndLeavesTheCallersWorkUncommitted()
            throws Exception {
        String resource = newResource("jpa");
        try (BoundCallerTransaction caller = BoundCallerTransaction.begin(dataSource)) {
            caller.execute("insert into area_record (id, value) values ('" + resource + "', 'the caller''s')");
            assertThat(store.tryAcquire(resource, OWNER, LONG)).isPresent();
            assertThat(caller.connection().getAutoCommit()).isFalse();
        }
        assertThat(jdbc.sql("select count(*) from area_record where id = ?").param(resource).query(Long.class).single())
            .as("the caller's rolled-back row").isZero();
        assertThat(store.holder(resource)).as("the store's own acquisition").isPresent();
    }

    @Test
    void aStoreThatJoinsTheCallersTransactionsIsUndoneByTheirRollback() {
        JdbcLeaseStore joining = new JdbcLeaseStore(dataSource, PREFIX, Clock.systemUTC(),
                JdbcLeaseStore.Transactions.JOIN_CALLERS);
        String resource = newResource("job");
        callersTransaction().executeWithoutResult((status) -> {
            assertThat(joining.tryAcquire(resource, OWNER, LONG)).isPresent();
            assertThat(joining.holder(resource)).as("seen inside the transaction").isPresent();
            status.setRollbackOnly();
        });
        assertThat(store.holder(resource)).isEmpty();
        Lease lease = joining.tryAcquire(resource, OWNER, LONG).orElseThrow();
        assertThat(store.holder(resource).map(LeaseHolder::token)).as("outside a transaction: committed at once")
            .contains(lease.token());
    }

    @Test
    void theChangelogCreatesTheDocumentedTableAndSequence() {
        assertThat(store.table()).isEqualTo("quark_lease");
        assertThat(store.sequence()).isEqualTo("quark_lease_token");
        List<String> columns = jdbc
            .sql("select column_name || ' ' || data_type || ' ' || is_nullable from information_schema.columns "
                    + "where table_schema = current_schema() and table_name = 'quark_lease' order by ordinal_position")
            .query(String.class)
            .list();
        assertThat(columns).containsExactly("resource text NO", "owner character varying NO", "token bigint NO",
                "expires_at timestamp with time zone NO", "acquired_at timestamp with time zone NO");
        assertThat(jdbc.sql("select count(*) from information_schema.sequences where sequence_schema = current_schema() "
                + "and sequence_name = 'quark_lease_token'").query(Long.class).single()).isEqualTo(1L);
    }

    @Test
    void eachHeldLeaseIsOneRowAndAReleasedOneLeavesNone() {
        String resource = newResource("job");
        Lease lease = store.tryAcquire(resource, OWNER, Duration.ofSeconds(30)).orElseThrow();
        String row = jdbc.sql("select owner || '|' || token || '|' || (expires_at > clock_timestamp() + interval '29 seconds') "
                + "from quark_lease where resource = ?").param(resource).query(String.class).single();
        assertThat(row).isEqualTo(OWNER + "|" + lease.token() + "|true");
        store.release(lease);
        assertThat(jdbc.sql("select count(*) from quark_lease where resource = ?").param(resource).query(Long.class).single())
            .isZero();
    }

    @Test
    void theServersClockDecidesExpiry() {
        String resource = newResource("job");
        Lease lease = store.tryAcquire(resource, OWNER, Duration.ofMinutes(5)).orElseThrow();
        jdbc.sql("update quark_lease set expires_at = clock_timestamp() - interval '1 millisecond' where resource = ?")
            .param(resource)
            .update();
        assertThat(store.holder(resource)).isEmpty();
        assertThat(store.renew(lease, Duration.ofMinutes(5))).isEmpty();
        assertThat(store.tryAcquire(resource, OTHER, Duration.ofMinutes(5))).isPresent();
    }

    @Test
    void aWriteCanRequireTheLeaseItselfInTheSameStatement() {
        JdbcFencing fencing = new JdbcFencing(PREFIX);
        String resource = newResource("partition");
        fencedRecords().create(resource, "new");
        String sql = "update area_record set value = ? where id = ? and " + fencing.leaseIsCurrent();
        Lease stale = store.tryAcquire(resource, OWNER, shortDuration()).orElseThrow();
        assertThat(jdbc.sql(sql).params("in time", resource, resource, stale.token().value()).update()).isEqualTo(1);
        awaitExpiry(stale);
        assertThat(jdbc.sql(sql).params("expired", resource, resource, stale.token().value()).update()).isZero();
        Lease current = store.tryAcquire(resource, OTHER, Duration.ofSeconds(30)).orElseThrow();
        int rows = jdbc.sql(sql).params("stale", resource, resource, stale.token().value()).update();
        assertThatExceptionOfType(LeaseLostException.class).isThrownBy(() -> JdbcFencing.requireWritten(rows, stale))
            .withMessageContaining(resource)
            .withMessageNotContaining("nobody holds it")
            .withMessageContaining("holder is not known");
        assertThat(jdbc.sql(sql).params("current", resource, resource, current.token().value()).update()).isEqualTo(1);
        assertThat(fencedRecords().read(resource)).isEqualTo("current");

        String correlated = "update area_record r set value = ? where r.id = ? and "
                + fencing.leaseIsCurrent("r.id", "?");
        assertThat(jdbc.sql(correlated).params("correlated", resource, current.token().value()).update()).isEqualTo(1);
    }

    private static TransactionTemplate callersTransaction() {
        return new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    private static long advisoryLocksOfThisSession() {
        return jdbc.sql("select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()")
            .query(Long.class)
            .single();
    }

    @Test
    void aTokenColumnMustBeAColumnName() {
        assertThat(JdbcFencing.stamped("j.lease_token")).isEqualTo("j.lease_token = ?");
        assertThat(JdbcFencing.stampable("lease_token")).isEqualTo("(lease_token is null or lease_token <= ?)");
        assertThatIllegalArgumentException().isThrownBy(() -> JdbcFencing.stamped("lease_token; drop table x"))
            .withMessageContaining("'lease_token; drop table x' is not a column name");
    }

    @Test
    void applyingTheChangelogAgainChangesNothingAndAnotherPrefixGetsItsOwnTable() {
        Lease lease = store.tryAcquire(newResource("kept"), OWNER, Duration.ofSeconds(30)).orElseThrow();
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        assertThat(store.holder(lease.resource())).isPresent();
        // Liquibase's up-to-date cache ignores changelog parameters: the prefix must still be honoured after it.
        TablePrefix other = new TablePrefix("other_");
        JdbcLeaseStore.migration(other).apply(dataSource);
        JdbcLeaseStore otherStore = new JdbcLeaseStore(dataSource, other, Clock.systemUTC());
        assertThat(otherStore.table()).isEqualTo("other_lease");
        assertThat(otherStore.holder(lease.resource())).isEmpty();
        assertThat(otherStore.tryAcquire(lease.resource(), OTHER, Duration.ofSeconds(30))).isPresent();
    }
}
