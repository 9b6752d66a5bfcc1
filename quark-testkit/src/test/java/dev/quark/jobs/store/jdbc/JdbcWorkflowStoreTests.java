package dev.quark.jobs.store.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.EndingTransactionMarker;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowStatus;
import dev.quark.jobs.JobWorkflow;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.runtime.DefaultJobQueue;
import dev.quark.jobs.runtime.JobFilters;
import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.JobEvents;
import dev.quark.jobs.runtime.JobMetrics;
import dev.quark.jobs.runtime.JobOrchestrator;
import dev.quark.jobs.runtime.JobPayloadCodec;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.WorkflowStore;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.jobs.WorkflowStoreContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class JdbcWorkflowStoreTests extends WorkflowStoreContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcWorkflowStore store;

    private static JdbcJobStore jobs;

    private static JdbcLeaseStore leases;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcWorkflowStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(12);
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        JdbcJobStore.migration(PREFIX).apply(dataSource);
        store = new JdbcWorkflowStore(dataSource, PREFIX);
        jobs = new JdbcJobStore(dataSource, PREFIX);
        leases = new JdbcLeaseStore(dataSource, PREFIX, Clock.systemUTC());
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
    protected WorkflowStore workflowStore() {
        return store;
    }

    @Override
    protected JobStore jobStore() {
        return jobs;
    }

    @Override
    protected LeaseStore leaseStore() {
        return leases;
    }

    @Test
    void theChangelogCreatesTheDocumentedTable() {
        assertThat(store.table()).isEqualTo("quark_job_workflow");
        List<String> columns = JdbcClient.create(dataSource)
            .sql("select column_name || ' ' || data_type from information_schema.columns "
                    + "where table_schema = current_schema() and table_name = 'quark_job_workflow' order by ordinal_position")
            .query(String.class)
            .list();
        assertThat(columns).containsExactly("id uuid", "name character varying", "status character varying",
                "active boolean", "version bigint", "document text", "created_at timestamp with time zone",
                "updated_at timestamp with time zone");
    }

    @Test
    void aFirstReleaseThatFailsInTheCallersTransactionIsThrownAndRollsTheWorkflowBack() {
        JdbcClient sql = JdbcClient.create(dataSource);
        // a release whose statement fails in the caller's transaction, which PostgreSQL then aborts
        JobStore failing = (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(),
                new Class<?>[] { JobStore.class }, (proxy, method, args) -> {
                    if (method.getName().equals("enqueue")) {
                        sql.sql("select 1 / 0").query(Integer.class).single();
                    }
                    try {
                        return method.invoke(jobs, args);
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                });
        JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());
        JobHandlerRegistry registry = new JobHandlerRegistry(List.of(JobHandler.of("tx-step", String.class, (s, c) -> {
        })), codec, RetryPolicy.noRetries(), Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(failing, null, store, registry, codec, Clock.systemUTC(),
                JobMetrics.NONE, JobFilters.NONE);
        String name = "tx-" + System.nanoTime();
        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        assertThatExceptionOfType(DataAccessException.class)
            .isThrownBy(() -> transaction.executeWithoutResult(
                    (status) -> queue.enqueue(JobWorkflow.builder(name).step("first", "tx-step", "x").build())))
            .withMessageContaining("division by zero");
        assertThat(sql.sql("select count(*) from quark_job_workflow where name = ?").param(name).query(Long.class)
            .single()).as("rolled back with the caller's work").isZero();
    }

    @Test
    void aRunningStepIsAskedToStopOnlyOnceTheCallersTransactionThatCancelledItsWorkflowCommits() throws Exception {
        String type = "tx-cancel-" + System.nanoTime();
        CountDownLatch running = new CountDownLatch(1);
        JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());
        JobHandlerRegistry registry = new JobHandlerRegistry(List.of(JobHandler.of(type, String.class,
                (String payload, JobContext context) -> {
                    running.countDown();
                    await().atMost(Duration.ofSeconds(30)).until(context::isCancellationRequested);
                    context.throwIfCancellationRequested();
                })), codec, RetryPolicy.noRetries(), Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(jobs, null, store, registry, codec, Clock.systemUTC(),
                JobMetrics.NONE, JobFilters.NONE);
        List<JobId> requested = new CopyOnWriteArrayList<>();
        queue.subscribe(new JobEvents() {
            @Override
            public void cancellationRequested(JobId id) {
                requested.add(id);
            }
        });
        try (JobOrchestrator workers = JobOrchestrator.builder(jobs, leases, registry, codec)
            .owner(type)
            .workers(1)
            .pollInterval(Duration.ofMillis(50))
            .shutdownTimeout(Duration.ofSeconds(10))
            .outcomeListener(Objects.requireNonNull(queue.workflows()))
            .build()) {
            queue.subscribe(workers);
            workers.start();
            WorkflowId id = queue.enqueue(JobWorkflow.builder(type).step("slow", type, "x").build());
            JobId slow = queue.findWorkflow(id).orElseThrow().step("slow").orElseThrow().jobId();
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
            transaction.executeWithoutResult((status) -> {
                assertThat(queue.cancelWorkflow(id)).isTrue();
                assertThat(requested).as("not asked before the caller's transaction commits").isEmpty();
            });
            assertThat(requested).containsExactly(slow);
            await().atMost(Duration.ofSeconds(30))
                .until(() -> queue.findWorkflow(id).orElseThrow().statusOf("slow").isFinal());
            assertThat(queue.findWorkflow(id).orElseThrow().status()).isEqualTo(WorkflowStatus.CANCELLED);
        }
    }

    @Test
    void aWorkflowEnqueuedAfterTheCommitIsStoredWithItsFirstStepWhenThePoolHandsOutConnectionsWithAutoCommitOff() {
        try (HikariDataSource manualCommit = new HikariDataSource()) {
            manualCommit.setJdbcUrl(schema.jdbcUrl());
            manualCommit.setMaximumPoolSize(3);
            manualCommit.setAutoCommit(false);
            JdbcJobStore manualJobs = new JdbcJobStore(manualCommit, PREFIX);
            JdbcWorkflowStore manualWorkflows = new JdbcWorkflowStore(manualCommit, PREFIX);
            JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());
            String type = "ending-step-" + System.nanoTime();
            JobHandlerRegistry registry = new JobHandlerRegistry(List.of(JobHandler.of(type, String.class, (s, c) -> {
            })), codec, RetryPolicy.noRetries(), Duration.ofMinutes(1));
            DefaultJobQueue queue = new DefaultJobQueue(manualJobs, null, manualWorkflows, registry, codec,
                    Clock.systemUTC(), JobMetrics.NONE, JobFilters.NONE);
            DataSourceTransactionManager manager = new DataSourceTransactionManager(manualCommit);
            manager.addListener(new EndingTransactionMarker());
            AtomicReference<WorkflowId> enqueued = new AtomicReference<>();
            new TransactionTemplate(manager).executeWithoutResult((status) -> TransactionSynchronizationManager
                .registerSynchronization(new TransactionSynchronization() {
                    @Override
                    public void afterCompletion(int completion) {
                        enqueued.set(queue.enqueue(JobWorkflow.builder(type).step("first", type, "x").build()));
                    }
                }));
            WorkflowId id = enqueued.get();
            assertThat(store.find(id)).as("the workflow, committed on a connection of its own").isPresent();
            JobId first = new DefaultJobQueue(jobs, null, store, registry, codec, Clock.systemUTC(), JobMetrics.NONE,
                    JobFilters.NONE).findWorkflow(id).orElseThrow().step("first").orElseThrow().jobId();
            assertThat(jobs.find(first)).as("its first step's job").isPresent();
        }
    }
}
