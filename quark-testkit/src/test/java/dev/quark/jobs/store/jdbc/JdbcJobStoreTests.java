package dev.quark.jobs.store.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.EndingTransactionMarker;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobDraft;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobVetoedException;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.runtime.DefaultJobQueue;
import dev.quark.jobs.runtime.JobFilters;
import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.JobMetrics;
import dev.quark.jobs.runtime.JobPayloadCodec;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.NewJob;
import dev.quark.lease.LeaseHolder;
import dev.quark.lease.LeaseRenewal;
import dev.quark.lease.LeaseStore;
import dev.quark.testkit.jobs.JobStoreContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalApplicationListener;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JdbcJobStoreTests extends JobStoreContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcJobStore store;

    private static JdbcClient jdbc;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcJobStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(12);
        JdbcJobStore.migration(PREFIX).apply(dataSource);
        store = new JdbcJobStore(dataSource, PREFIX);
        jdbc = JdbcClient.create(dataSource);
        jdbc.sql("create table business_order (id text primary key)").update();
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
    protected JobStore store() {
        return store;
    }

    @Override
    protected LeaseStore leaseStore() {
        return store.leaseStore().orElseThrow();
    }

    @Test
    void metadataThatIsNotAJsonObjectOfStringsDoesNotBlockTheClaimOfItsJob() {
        String type = newType("bad-metadata");
        JobId number = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(number, type, "{}", null, NOW, NOW));
        JobId mixed = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(mixed, type, "{}", null, NOW, NOW));
        jdbc.sql("update quark_job set metadata = '42' where id = ?").param(number.value()).update();
        jdbc.sql("update quark_job set metadata = '{\"tenant\":\"acme\",\"count\":3,\"gone\":null}' where id = ?")
            .param(mixed.value())
            .update();
        assertThat(store.find(number).orElseThrow().metadata()).isEmpty();
        List<ClaimedJob> claimed = store.claimDue(claim(OWNER, 10, NOW, type), leases(OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().id()).containsExactlyInAnyOrder(number, mixed);
        assertThat(claimed).filteredOn((c) -> c.job().id().equals(mixed))
            .singleElement()
            .satisfies((c) -> assertThat(c.job().metadata()).containsOnly(java.util.Map.entry("tenant", "acme"),
                    java.util.Map.entry("count", "3")));
    }

    @Test
    void aRowWithoutATimeoutOrWithOneThatIsNotPositiveIsClaimedWithoutOne() {
        String type = newType("bad-timeout");
        JobId older = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(older, type, "{}", null, NOW, NOW));
        JobId zero = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(zero, type, "{}", null, NOW, NOW, java.util.Map.of(), java.time.Duration.ofSeconds(1)));
        jdbc.sql("update quark_job set timeout_ms = 0 where id = ?").param(zero.value()).update();
        assertThat(store.find(older).orElseThrow().timeout()).isNull();
        List<ClaimedJob> claimed = store.claimDue(claim(OWNER, 10, NOW, type), leases(OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().id()).containsExactlyInAnyOrder(older, zero);
        assertThat(claimed).allSatisfy((c) -> assertThat(c.job().timeout()).isNull());
    }

    @Test
    void aRowTheClaimCannotReadIsLeftOutAndTheOthersAreClaimedWithoutLeavingAnyRunning() {
        String type = newType("unreadable");
        JobId first = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(first, type, "{}", null, NOW, NOW));
        JobId broken = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(broken, type, "{}", null, NOW, NOW));
        JobId last = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(last, type, "{}", null, NOW, NOW));
        jdbc.sql("alter table quark_job alter column payload drop not null").update();
        try {
            jdbc.sql("update quark_job set payload = null where id = ?").param(broken.value()).update();
            List<ClaimedJob> claimed = store.claimDue(claim(OWNER, 10, NOW, type), leases(OWNER, LONG));
            assertThat(claimed).extracting((c) -> c.job().id()).containsExactly(first, last);
            assertThat(jdbc.sql("select status, attempt, lease_owner from quark_job where id = ?")
                .param(broken.value())
                .query((row, number) -> row.getString(1) + "/" + row.getInt(2) + "/" + row.getString(3))
                .single()).isEqualTo("ENQUEUED/0/null");
            assertThat(jdbc.sql("select owner is null and started_at is null and lease_expires_at is null "
                    + "from quark_job where id = ?").param(broken.value()).query(Boolean.class).single())
                .as("put back as it was before the claim").isTrue();
            assertThat(store.claimAbandoned(claim(OTHER, 10, NOW, type), leases(OTHER, LONG))).isEmpty();
        }
        finally {
            jdbc.sql("delete from quark_job where id = ?").param(broken.value()).update();
            jdbc.sql("alter table quark_job alter column payload set not null").update();
        }
    }

    @Test
    void aRunningRowATakeOverCannotReadIsPutBackAsItWasAndTheOthersAreTakenOver() {
        String type = newType("unreadable-abandoned");
        JobId first = store.enqueue(newJob(type)).job().id();
        JobId broken = store.enqueue(newJob(type)).job().id();
        assertThat(store.claimDue(claim(OWNER, 10, NOW, type), leases(OWNER, LONG))).hasSize(2);
        jdbc.sql("update quark_job set lease_expires_at = clock_timestamp() - interval '1 second' where type = ?")
            .param(type)
            .update();
        String before = rowState(broken);
        jdbc.sql("alter table quark_job alter column payload drop not null").update();
        try {
            jdbc.sql("update quark_job set payload = null where id = ?").param(broken.value()).update();
            List<ClaimedJob> claimed = store.claimAbandoned(claim(OTHER, 10, NOW, type), leases(OTHER, LONG));
            assertThat(claimed).extracting((c) -> c.job().id()).containsExactly(first);
            assertThat(rowState(broken)).as("status, owner, attempt, start, progress and lease as before")
                .isEqualTo(before);
        }
        finally {
            jdbc.sql("delete from quark_job where id = ?").param(broken.value()).update();
            jdbc.sql("alter table quark_job alter column payload set not null").update();
        }
    }

    @Test
    void aClaimIsOneStatementCommittedOnItsOwn() throws Exception {
        String type = newType("one-round-trip");
        store.enqueue(newJob(type));
        store.enqueue(newJob(type));
        List<String> calls = new CopyOnWriteArrayList<>();
        DataSource counting = new DelegatingDataSource(dataSource) {

            @Override
            public Connection getConnection() throws SQLException {
                Connection connection = dataSource.getConnection();
                return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
                        new Class<?>[] { Connection.class }, (proxy, method, arguments) -> {
                            String name = method.getName();
                            if (name.equals("commit") || name.equals("rollback") || name.startsWith("prepare")
                                    || (name.equals("setAutoCommit") && Boolean.FALSE.equals(arguments[0]))) {
                                calls.add(name);
                            }
                            try {
                                return method.invoke(connection, arguments);
                            }
                            catch (InvocationTargetException ex) {
                                throw ex.getCause();
                            }
                        });
            }
        };
        JdbcJobStore counted = new JdbcJobStore(counting, PREFIX);
        assertThat(counted.claimDue(claim(OWNER, 10, NOW, type), leases(OWNER, LONG))).hasSize(2);
        assertThat(calls).as("one statement, no transaction of its own").containsExactly("prepareStatement");
    }

    @Test
    void aClaimOnAPoolThatHandsOutConnectionsWithAutoCommitOffCommitsItsStamps() {
        String type = newType("manual-commit-claim");
        JobId first = store.enqueue(newJob(type)).job().id();
        JobId second = store.enqueue(newJob(type)).job().id();
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcJobStore manualStore = new JdbcJobStore(manualCommit, PREFIX);
            assertThat(manualStore.claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, LONG)))
                .extracting((c) -> c.job().id())
                .containsExactly(first);
            assertThat(manualStore.claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, LONG)))
                .extracting((c) -> c.job().id())
                .containsExactly(second);
        }
        assertThat(rowState(first)).as("seen from another connection").startsWith("RUNNING/" + OWNER + "/1/");
        assertThat(rowState(second)).as("seen from another connection").startsWith("RUNNING/" + OWNER + "/1/");
    }

    private static String rowState(JobId id) {
        return jdbc.sql("select status || '/' || coalesce(owner, '-') || '/' || attempt || '/' || "
                + "coalesce(started_at::text, '-') || '/' || progress || '/' || coalesce(lease_owner, '-') || '/' || "
                + "coalesce(lease_expires_at::text, '-') from quark_job where id = ?")
            .param(id.value())
            .query(String.class)
            .single();
    }

    @Test
    void theChangelogCreatesTheDocumentedTableAndIndexes() {
        assertThat(store.table()).isEqualTo("quark_job");
        List<String> columns = jdbc
            .sql("select column_name || ' ' || data_type || ' ' || is_nullable from information_schema.columns "
                    + "where table_schema = current_schema() and table_name = 'quark_job' order by ordinal_position")
            .query(String.class)
            .list();
        assertThat(columns).containsExactly("id uuid NO", "type character varying NO", "payload text NO",
                "idempotency_key character varying YES", "status character varying NO", "attempt integer NO",
                "created_at timestamp with time zone NO", "due_at timestamp with time zone NO",
                "started_at timestamp with time zone YES", "finished_at timestamp with time zone YES",
                "owner character varying YES", "lease_token bigint YES", "progress smallint NO", "progress_message text YES",
                "cancel_requested boolean NO", "error_type text YES", "error_message text YES", "error_stack text YES",
                "log ARRAY NO", "metadata text YES", "lease_owner character varying YES",
                "lease_expires_at timestamp with time zone YES", "timeout_ms bigint YES");
        List<String> indexes = jdbc
            .sql("select indexdef from pg_indexes where schemaname = current_schema() and tablename = 'quark_job' "
                    + "order by indexname")
            .query(String.class)
            .list();
        assertThat(indexes).anySatisfy((index) -> assertThat(index).contains("quark_job_due_ix")
            .contains("(due_at, id)")
            .contains("WHERE ((status)::text = ANY"));
        assertThat(indexes).anySatisfy((index) -> assertThat(index).contains("quark_job_running_ix"));
        assertThat(indexes).anySatisfy((index) -> assertThat(index).contains("quark_job_finished_ix"));
        assertThat(indexes).anySatisfy((index) -> assertThat(index).contains("quark_job_status_type_ix"));
        assertThat(indexes).anySatisfy((index) -> assertThat(index).contains("quark_job_due_type_ix")
            .contains("(type, due_at, id)")
            .contains("WHERE ((status)::text = ANY"));
        // Partial: the rows without a key (most) add no entry to it, in any of their row versions.
        assertThat(indexes).filteredOn((index) -> index.contains("(idempotency_key)"))
            .singleElement()
            .satisfies((index) -> assertThat(index).contains("UNIQUE")
                .contains("quark_job_idempotency_key_ux")
                .contains("WHERE (idempotency_key IS NOT NULL)"));
    }

    @Test
    void theClaimQueryWalksTheDueIndexInDueOrderThroughABacklog() {
        jdbc.sql("""
                insert into quark_job (id, type, payload, status, attempt, created_at, due_at, finished_at, progress,
                    cancel_requested, log)
                select gen_random_uuid(), 'index-' || (n % 10), '{}', case when n % 2 = 0 then 'SUCCEEDED' else 'ENQUEUED' end,
                    1, now(), now() - n * interval '1 second', now(), 100, false, '{}'
                from generate_series(1, 40000) as n
                """).update();
        try {
            jdbc.sql("analyze quark_job").update();
            String[] types = { "index-1", "index-3", "index-5", "index-7", "index-9" };
            String plan = String.join("\n", jdbc.sql("explain " + store.claimDueStatement())
                .params(java.time.OffsetDateTime.now(), types, new String[0], 40, types, new Integer[] { 8, 8, 8, 8, 8 }, 8,
                        OWNER, OWNER, 30_000L, java.time.OffsetDateTime.now())
                .query(String.class)
                .list());
            assertThat(plan).contains("quark_job_due_ix");
        }
        finally {
            jdbc.sql("delete from quark_job where type like 'index-%'").update();
        }
    }

    @Test
    void aClaimOfOneTypeWalksThatTypesIndexInDueOrderPastALargeBacklogOfOtherTypes() {
        jdbc.sql("""
                insert into quark_job (id, type, payload, status, attempt, created_at, due_at, progress,
                    cancel_requested, log)
                select gen_random_uuid(), 'backlog-' || (n % 4), '{}', 'ENQUEUED', 0, now(),
                    now() - interval '1 day' - n * interval '1 second', 0, false, '{}'
                from generate_series(1, 40000) as n
                """).update();
        List<JobId> mine = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                JobId id = JobId.next(java.time.Clock.systemUTC());
                mine.add(id);
                java.time.Instant now = java.time.Instant.now();
                store.enqueue(new NewJob(id, "backlog-mine", "{}", null, now, now.minusSeconds(10 - i)));
            }
            jdbc.sql("analyze quark_job").update();
            String[] types = { "backlog-mine" };
            String plan = String.join("\n", jdbc.sql("explain " + store.claimDueOfOneTypeStatement())
                .params(java.time.OffsetDateTime.now(), types, new String[0], 8, types, new Integer[] { 8 }, 8,
                        OWNER, OWNER, 30_000L, java.time.OffsetDateTime.now())
                .query(String.class)
                .list());
            // An index on the type serves it (the (type, due_at, id) one, or (status, type, id) for so few rows),
            // never a walk of the due index past the other types' rows.
            assertThat(plan).containsAnyOf("quark_job_due_type_ix", "quark_job_status_type_ix")
                .doesNotContain("quark_job_due_ix ");
            List<ClaimedJob> claimed = store.claimDue(new dev.quark.jobs.store.Claim(OWNER, 3,
                    java.util.Map.of("backlog-mine", 3), java.util.Set.of(), java.time.Instant.now()),
                    JobLeases.of(leaseStore(), OWNER, Duration.ofSeconds(30)));
            assertThat(claimed).extracting((job) -> job.job().id()).containsExactlyElementsOf(mine.subList(0, 3));
        }
        finally {
            jdbc.sql("delete from quark_job where type like 'backlog-%'").update();
        }
    }

    @Test
    void anEnqueueInATransactionExistsIfAndOnlyIfTheTransactionCommits() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        String type = newType("tx");
        AtomicBoolean toldBeforeCommit = new AtomicBoolean();
        AtomicBoolean told = new AtomicBoolean();
        JobId committed = transactions.execute((status) -> {
            jdbc.sql("insert into business_order (id) values ('order-1')").update();
            Job job = store.enqueue(newJob(type)).job();
            store.afterCommit(() -> told.set(true));
            toldBeforeCommit.set(told.get());
            assertThat(otherConnectionSees(job.id())).as("visible to workers before the commit").isFalse();
            return job.id();
        });
        assertThat(toldBeforeCommit).isFalse();
        assertThat(told).isTrue();
        assertThat(store.find(committed)).isPresent();

        AtomicBoolean toldAfterRollback = new AtomicBoolean();
        JobId rolledBack = transactions.execute((status) -> {
            jdbc.sql("insert into business_order (id) values ('order-2')").update();
            Job job = store.enqueue(newJob(type)).job();
            store.afterCommit(() -> toldAfterRollback.set(true));
            status.setRollbackOnly();
            return job.id();
        });
        assertThat(store.find(rolledBack)).isEmpty();
        assertThat(toldAfterRollback).isFalse();
        assertThat(jdbc.sql("select count(*) from business_order where id = 'order-2'").query(Long.class).single()).isZero();
        assertThat(store.claimDue(claim(OWNER, 10, NOW, type), leases(OWNER, LONG))).extracting((c) -> c.job().id())
            .containsExactly(committed);
    }

    @Test
    void aFirstEnqueueFromABeforeCommitCallbackCommitsWithTheTransactionAndWakesTheWorkersAfterIt() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        String type = newType("before-commit");
        AtomicReference<JobId> enqueued = new AtomicReference<>();
        AtomicBoolean told = new AtomicBoolean();
        transactions.executeWithoutResult((status) -> {
            jdbc.sql("insert into business_order (id) values ('before-commit-1')").update();
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCommit(boolean readOnly) {
                    enqueued.set(store.enqueue(newJob(type)).job().id());
                    store.afterCommit(() -> told.set(true));
                }
            });
        });
        assertThat(store.find(enqueued.get())).isPresent();
        assertThat(told).as("workers woken after the commit").isTrue();
    }

    @Test
    void aFirstEnqueueFromAnAfterCommitCallbackIsStoredAndWakesTheWorkers() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        String type = newType("after-commit");
        AtomicReference<JobId> enqueued = new AtomicReference<>();
        AtomicBoolean told = new AtomicBoolean();
        transactions.executeWithoutResult((status) -> {
            jdbc.sql("insert into business_order (id) values ('after-commit-1')").update();
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    enqueued.set(store.enqueue(newJob(type)).job().id());
                    store.afterCommit(() -> told.set(true));
                }
            });
        });
        assertThat(store.find(enqueued.get())).isPresent();
        assertThat(told).as("workers woken").isTrue();
    }

    @Test
    void enqueuesAfterTheCommitAreStoredAndWakeTheWorkersWhenThePoolHandsOutConnectionsWithAutoCommitOff() {
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcJobStore manualStore = new JdbcJobStore(manualCommit, PREFIX);
            DataSourceTransactionManager manager = new DataSourceTransactionManager(manualCommit);
            manager.addListener(new EndingTransactionMarker());
            TransactionTemplate transactions = new TransactionTemplate(manager);
            String type = newType("ending-commit");
            NewJob inTransaction = newJob(type);
            NewJob inAfterCompletion = newJob(type);
            NewJob byAfterCommitListener = newJob(type);
            AtomicBoolean toldInAfterCompletion = new AtomicBoolean();
            AtomicBoolean toldByListener = new AtomicBoolean();
            ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
                .forPayload((String payload) -> {
                    manualStore.enqueue(byAfterCommitListener);
                    manualStore.afterCommit(() -> toldByListener.set(true));
                });

            transactions.executeWithoutResult((status) -> {
                manualStore.enqueue(inTransaction);
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

                    @Override
                    public void afterCompletion(int completion) {
                        manualStore.enqueue(inAfterCompletion);
                        manualStore.afterCommit(() -> toldInAfterCompletion.set(true));
                    }
                });
                listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "after commit"));
            });

            assertThat(store.list(JobQuery.all().type(type).limit(10)).jobs()).as("committed on connections of their own")
                .extracting(Job::id)
                .containsExactlyInAnyOrder(inTransaction.id(), inAfterCompletion.id(), byAfterCommitListener.id());
            assertThat(toldInAfterCompletion).as("workers woken").isTrue();
            assertThat(toldByListener).as("workers woken").isTrue();
        }
    }

    @Test
    void enqueuesAfterARollbackAreStoredWhenThePoolHandsOutConnectionsWithAutoCommitOff() {
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcJobStore manualStore = new JdbcJobStore(manualCommit, PREFIX);
            DataSourceTransactionManager manager = new DataSourceTransactionManager(manualCommit);
            manager.addListener(new EndingTransactionMarker());
            TransactionTemplate transactions = new TransactionTemplate(manager);
            String type = newType("ending-rollback");
            NewJob rolledBack = newJob(type);
            NewJob inAfterCompletion = newJob(type);
            NewJob byAfterRollbackListener = newJob(type);
            ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
                .forPayload(TransactionPhase.AFTER_ROLLBACK, (String payload) -> manualStore.enqueue(byAfterRollbackListener));

            transactions.executeWithoutResult((status) -> {
                manualStore.enqueue(rolledBack);
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

                    @Override
                    public void afterCompletion(int completion) {
                        manualStore.enqueue(inAfterCompletion);
                    }
                });
                listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "after rollback"));
                status.setRollbackOnly();
            });

            assertThat(store.list(JobQuery.all().type(type).limit(10)).jobs()).extracting(Job::id)
                .containsExactlyInAnyOrder(inAfterCompletion.id(), byAfterRollbackListener.id());
        }
    }

    @Test
    void anEnqueueInACallersTransactionBoundWithoutSynchronizationJoinsItWhenItIsNotEnding() throws Exception {
        // The way JPA binds its transaction's connection: no synchronization, no manager's mark.
        try (HikariDataSource manualCommit = manualCommitPool(); Connection connection = manualCommit.getConnection()) {
            JdbcJobStore manualStore = new JdbcJobStore(manualCommit, PREFIX);
            String type = newType("bound");
            NewJob rolledBack = newJob(type);
            NewJob committed = newJob(type);
            TransactionSynchronizationManager.bindResource(manualCommit, new ConnectionHolder(connection));
            TransactionSynchronizationManager.setActualTransactionActive(true);
            try {
                manualStore.enqueue(rolledBack);
                assertThat(manualStore.inCallerTransaction()).isTrue();
                assertThat(otherConnectionSees(rolledBack.id())).as("in the caller's transaction").isFalse();
                connection.rollback();
                manualStore.enqueue(committed);
                connection.commit();
            }
            finally {
                TransactionSynchronizationManager.setActualTransactionActive(false);
                TransactionSynchronizationManager.unbindResource(manualCommit);
            }
            assertThat(store.list(JobQuery.all().type(type).limit(10)).jobs()).extracting(Job::id)
                .containsExactly(committed.id());
        }
    }

    private static HikariDataSource manualCommitPool() {
        HikariDataSource manualCommit = new HikariDataSource();
        manualCommit.setJdbcUrl(schema.jdbcUrl());
        manualCommit.setMaximumPoolSize(3);
        manualCommit.setAutoCommit(false);
        return manualCommit;
    }

    @Test
    void aVetoedEnqueueInATransactionRollsTheBusinessWriteBackUnlessTheCallerCatchesTheVeto() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        String type = newType("veto");
        JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());
        JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(JobHandler.of(type, String.class, (order, context) -> {
        })), codec, RetryPolicy.defaults(), Duration.ofMinutes(1));
        JobFilter closedOrders = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                if (job.payload().toString().startsWith("closed")) {
                    job.veto("orders are closed");
                }
                job.putMetadata("tenant", "acme");
            }
        };
        DefaultJobQueue queue = new DefaultJobQueue(store, null, handlers, codec, Clock.systemUTC(), JobMetrics.NONE,
                new JobFilters(List.of(closedOrders)));

        assertThatExceptionOfType(JobVetoedException.class).isThrownBy(() -> transactions.executeWithoutResult((status) -> {
            jdbc.sql("insert into business_order (id) values ('closed-1')").update();
            queue.enqueue(type, "closed-1");
        })).withMessageContaining("orders are closed");
        assertThat(orders("closed-1")).as("the business write rolled back with the veto").isZero();

        transactions.executeWithoutResult((status) -> {
            jdbc.sql("insert into business_order (id) values ('closed-2')").update();
            try {
                queue.enqueue(type, "closed-2");
            }
            catch (JobVetoedException ex) {
                // the caller's choice: keep the order without its job
            }
        });
        assertThat(orders("closed-2")).isOne();

        JobId open = transactions.execute((status) -> {
            jdbc.sql("insert into business_order (id) values ('open-1')").update();
            return queue.enqueue(type, "open-1");
        });
        assertThat(orders("open-1")).isOne();
        assertThat(store.list(JobQuery.all().type(type).limit(10)).jobs()).singleElement().satisfies((job) -> {
            assertThat(job.id()).isEqualTo(open);
            assertThat(job.metadata()).containsExactly(java.util.Map.entry("tenant", "acme"));
        });
    }

    private static long orders(String id) {
        return jdbc.sql("select count(*) from business_order where id = ?").param(id).query(Long.class).single();
    }

    private static NewJob newJob(String type) {
        return new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW);
    }

    private static boolean otherConnectionSees(JobId id) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement("select 1 from quark_job where id = ?::uuid")) {
            select.setString(1, id.toString());
            return select.executeQuery().next();
        }
        catch (java.sql.SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    @Test
    @Timeout(60)
    void aClaimSkipsRowsLockedByAnotherClaimInsteadOfWaiting() throws Exception {
        String type = newType("skip");
        Job locked = store.enqueue(newJob(type)).job();
        Job free = store.enqueue(newJob(type)).job();
        try (Connection other = dataSource.getConnection()) {
            other.setAutoCommit(false);
            try (PreparedStatement lock = other.prepareStatement("select 1 from quark_job where id = ?::uuid for update")) {
                lock.setString(1, locked.id().toString());
                lock.executeQuery();
            }
            List<ClaimedJob> claimed = store.claimDue(claim(OWNER, 10, NOW, type), leases(OWNER, LONG));
            assertThat(claimed).extracting((c) -> c.job().id()).containsExactly(free.id());
            other.rollback();
        }
        assertThat(store.claimDue(claim(OWNER, 10, NOW, type), leases(OWNER, LONG))).extracting((c) -> c.job().id())
            .containsExactly(locked.id());
    }

    @Test
    void aClaimGrantsTheLeasesInTheJobRowsWithoutAskingTheWorkerToAcquireThem() {
        String type = newType("row-lease");
        Job job = store.enqueue(newJob(type)).job();
        JobLeases refusing = new JobLeases() {

            @Override
            public List<dev.quark.lease.Lease> acquire(List<JobId> candidates, int max) {
                throw new IllegalStateException("a claim on PostgreSQL grants the leases itself");
            }

            @Override
            public Duration duration() {
                return LONG;
            }
        };
        ClaimedJob claimed = store.claimDue(claim(OWNER, 1, NOW, type), refusing).getFirst();
        LeaseStore leases = store.leaseStore().orElseThrow();
        LeaseHolder holder = leases.holder(JobLeases.resource(job.id())).orElseThrow();
        assertThat(holder.owner()).isEqualTo(OWNER);
        assertThat(holder.token()).isEqualTo(claimed.lease().token());
        assertThat(holder.remaining()).isGreaterThan(LONG.minusMinutes(1));
        assertThat(leases.holder("jobs:not-a-job")).isEmpty();
        assertThat(leases.tryAcquire(JobLeases.resource(JobId.next(Clock.systemUTC())), OTHER, LONG))
            .as("no job, no lease").isEmpty();

        store.finish(job.id(), claimed.lease(), JobTransition.succeeded(), new JobReport(100, null, List.of()), NOW);
        assertThat(leases.holder(JobLeases.resource(job.id()))).as("the outcome's write frees the lease").isEmpty();
        assertThat(leases.release(claimed.lease())).isFalse();
    }

    @Test
    void aNulCharacterInOneLogFailsTheWholeBatchButWrittenAloneOnlyThatOutcomeFails() {
        String type = newType("nul-log");
        for (int i = 0; i < 3; i++) {
            store.enqueue(newJob(type));
        }
        List<ClaimedJob> claimed = store.claimDue(claim(OWNER, 3, NOW, type), leases(OWNER, LONG));
        assertThat(claimed).hasSize(3);
        List<JobOutcome> outcomes = claimed.stream()
            .map((c) -> new JobOutcome(c.job().id(), c.lease(), JobTransition.succeeded(),
                    new JobReport(100, null, List.of(c.equals(claimed.get(1)) ? "bad \u0000 line" : "fine")), NOW))
            .toList();
        assertThatThrownBy(() -> store.finishAll(outcomes)).as("PostgreSQL refuses a NUL in text")
            .isInstanceOf(RuntimeException.class);
        claimed.forEach((c) -> assertThat(store.find(c.job().id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING));
        // What OutcomeWriter does then: each outcome alone, so only the bad one fails.
        for (JobOutcome outcome : outcomes) {
            if (outcome.id().equals(claimed.get(1).job().id())) {
                assertThatThrownBy(() -> store.finish(outcome.id(), outcome.lease(), outcome.transition(),
                        outcome.report(), outcome.now()))
                    .isInstanceOf(RuntimeException.class);
            }
            else {
                store.finish(outcome.id(), outcome.lease(), outcome.transition(), outcome.report(), outcome.now());
            }
        }
        assertThat(store.find(claimed.get(0).job().id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(store.find(claimed.get(1).job().id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(store.find(claimed.get(2).job().id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void aRowLeaseIsRenewedWhileItHoldsAndStaysLostOnceExpiredOrReleased() {
        String type = newType("row-renew");
        store.enqueue(newJob(type));
        store.enqueue(newJob(type));
        List<ClaimedJob> claimed = store.claimDue(claim(OWNER, 2, NOW, type), leases(OWNER, shortDuration()));
        assertThat(claimed).hasSize(2);
        LeaseStore leases = store.leaseStore().orElseThrow();
        dev.quark.lease.Lease kept = claimed.get(0).lease();
        dev.quark.lease.Lease dropped = claimed.get(1).lease();
        LeaseRenewal renewal = leases.renewAll(List.of(kept), LONG);
        assertThat(renewal.renewed()).singleElement().satisfies((lease) -> assertThat(lease.isSameLease(kept)).isTrue());
        awaitExpiry(dropped);
        assertThat(leases.renewAll(List.of(kept, dropped), LONG).lost()).containsExactly(dropped);
        assertThat(leases.release(dropped)).isFalse();
        assertThat(store.claimAbandoned(claim(OTHER, 10, NOW, type), leases(OTHER, LONG)))
            .singleElement()
            .satisfies((c) -> {
                assertThat(c.job().id()).isEqualTo(claimed.get(1).job().id());
                assertThat(c.lease().token()).isGreaterThan(dropped.token());
            });
        assertThat(leases.release(kept)).isTrue();
        assertThat(leases.renew(kept, LONG)).as("a released lease stays lost").isEmpty();
    }

    @Test
    void anIdempotentEnqueueInTwoTransactionsYieldsOneJob() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        String type = newType("key-tx");
        NewJob first = new NewJob(JobId.next(Clock.systemUTC()), type, "{}", "k-" + type, NOW, NOW);
        NewJob second = new NewJob(JobId.next(Clock.systemUTC()), type, "{}", "k-" + type, NOW, NOW);
        Enqueued one = transactions.execute((status) -> store.enqueue(first));
        Enqueued two = transactions.execute((status) -> store.enqueue(second));
        assertThat(one.created()).isTrue();
        assertThat(two.created()).isFalse();
        assertThat(two.job().id()).isEqualTo(first.id());
        assertThat(Duration.between(NOW, two.job().createdAt())).isZero();
    }
}
