package dev.quark.jobs.runtime;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Level;
import com.zaxxer.hikari.HikariDataSource;
import dev.quark.LogCapture;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.jdbc.JdbcJobStore;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.TcpProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The two nodes on PostgreSQL, sharing a schema of the class's own.
 * <p>
 * The test's connections do not wait for the WAL to reach the disk at each commit, as with the test kit's own
 * servers (started with {@code fsync} or {@code synchronous_commit} off): the machine's server flushes every commit,
 * and the large batch's 10,000 enqueues, claims and outcomes spent most of their time waiting for it. They also plan
 * each statement for its parameters ({@code plan_cache_mode}): the machine's server runs without autovacuum, so no
 * {@code ANALYZE} invalidates the generic plan a pooled connection makes of a statement while the class's table is
 * nearly empty, and the batch of outcomes ({@code JdbcJobStore.finishAll}) kept a sequential scan of the table for
 * its row locks as the table grew (about 70 ms a batch: the large batch, run alone, took 44-49 s, and 13 s with plans
 * for the parameters). Neither changes what the test checks.
 */
class JdbcTwoNodeOrchestratorTests extends TwoNodeOrchestratorTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcJobStore store;

    private static JdbcLeaseStore leases;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcTwoNodeOrchestratorTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(16);
        dataSource.setConnectionInitSql("set synchronous_commit = off; set plan_cache_mode = force_custom_plan");
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        JdbcJobStore.migration(PREFIX).apply(dataSource);
        store = new JdbcJobStore(dataSource, PREFIX);
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
    protected JobStore store() {
        return store;
    }

    @Override
    protected LeaseStore leases() {
        return store.leaseStore().orElseThrow();
    }

    @Override
    protected void expireLease(String resource) {
        JdbcClient.create(dataSource)
            .sql("update quark_job set lease_expires_at = clock_timestamp() - interval '1 millisecond' where id = ?::uuid")
            .param(JobLeases.jobId(resource).toString())
            .update();
    }

    @Override
    protected long heldJobLeases() {
        return JdbcClient.create(dataSource)
            .sql("select count(*) from quark_job where lease_expires_at > clock_timestamp()")
            .query(Long.class)
            .single();
    }

    @Test
    void aStoreWrapperThatDoesNotDelegateLeaseStoreFailsTheClaimNamingItsClass() {
        JobStore wrapper = (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(),
                new Class<?>[] { JobStore.class }, (proxy, method, args) -> {
                    if (method.getName().equals("leaseStore")) {
                        return Optional.empty();
                    }
                    try {
                        return method.invoke(store, args);
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                });
        JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());
        AtomicInteger ran = new AtomicInteger();
        JobHandlerRegistry handlers = new JobHandlerRegistry(
                List.of(JobHandler.of("undelegated", String.class, (payload, context) -> ran.incrementAndGet())), codec,
                RetryPolicy.builder().maxAttempts(1).build(), Duration.ofMinutes(1));
        LogCapture logged = LogCapture.of(JobOrchestrator.class);
        JobOrchestrator orchestrator = JobOrchestrator.builder(wrapper, leases, handlers, codec)
            .owner("wrapped")
            .pollInterval(Duration.ofMillis(50))
            .build();
        try {
            new DefaultJobQueue(wrapper, handlers, codec, Clock.systemUTC(), JobMetrics.NONE).enqueue("undelegated",
                    "x");
            orchestrator.start();
            await().atMost(Duration.ofSeconds(10))
                .until(() -> logged.events().stream()
                    .anyMatch((event) -> event.getLevel() == Level.ERROR && event.getThrowableProxy() != null
                            && event.getThrowableProxy().getMessage().contains("must delegate leaseStore()")
                            && event.getThrowableProxy().getMessage().contains(wrapper.getClass().getName())));
            assertThat(ran).hasValue(0);
        }
        finally {
            orchestrator.close();
            logged.close();
            JdbcClient.create(dataSource).sql("delete from quark_job where type = 'undelegated'").update();
        }
    }

    @Test
    void aClaimLandingWhileTheOrchestratorClosesGivesBackEveryLeaseItGranted() throws Exception {
        CountDownLatch claiming = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        JobStore slow = (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(),
                new Class<?>[] { JobStore.class }, (proxy, method, args) -> {
                    if (method.getName().equals("claimDue")) {
                        claiming.countDown();
                        proceed.await(10, TimeUnit.SECONDS);
                    }
                    try {
                        return method.invoke(store, args);
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                });
        JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());
        AtomicInteger ran = new AtomicInteger();
        JobHandlerRegistry handlers = new JobHandlerRegistry(
                List.of(JobHandler.of("closing", String.class, (payload, context) -> ran.incrementAndGet())), codec,
                RetryPolicy.builder().maxAttempts(1).build(), Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(store, handlers, codec, Clock.systemUTC(), JobMetrics.NONE);
        for (int i = 0; i < 3; i++) {
            queue.enqueue("closing", "job-" + i);
        }
        JobOrchestrator orchestrator = JobOrchestrator.builder(slow, leases, handlers, codec)
            .owner("closing")
            .workers(4)
            .pollInterval(Duration.ofMillis(50))
            .build();
        JdbcClient jdbc = JdbcClient.create(dataSource);
        try {
            orchestrator.start();
            assertThat(claiming.await(10, TimeUnit.SECONDS)).isTrue();
            orchestrator.close();
            proceed.countDown();
            await().atMost(Duration.ofSeconds(10))
                .until(() -> jdbc.sql("select count(*) from quark_job where type = 'closing' and status = 'RUNNING'")
                    .query(Long.class)
                    .single() == 3);
            await().atMost(Duration.ofSeconds(10))
                .until(() -> jdbc
                    .sql("select count(*) from quark_job where type = 'closing' and lease_expires_at > clock_timestamp()")
                    .query(Long.class)
                    .single() == 0);
            assertThat(ran).hasValue(0);
        }
        finally {
            proceed.countDown();
            orchestrator.close();
            jdbc.sql("delete from quark_job where type = 'closing'").update();
        }
    }

    /**
     * On PostgreSQL, with the connection to the database cut while an attempt ends: the outcome's write fails as a
     * connection failure, the node keeps it and writes it once the database answers again, within the job's lease, so
     * the job is recorded as its first attempt ended and does not run again.
     */
    @Test
    void anOutcomeWrittenWhileTheDatabaseIsCutOffIsWrittenOnceItAnswersAndTheJobRunsOnce() throws Exception {
        Matcher url = Pattern.compile("jdbc:postgresql://([^:/]+)(?::(\\d+))?/(.*)").matcher(schema.jdbcUrl());
        assertThat(url.matches()).as(schema.jdbcUrl()).isTrue();
        JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch mayEnd = new CountDownLatch(1);
        JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(JobHandler.of("cut-off", String.class,
                (payload, context) -> {
                    runs.incrementAndGet();
                    running.countDown();
                    mayEnd.await();
                })), codec, RetryPolicy.builder().maxAttempts(3).build(), Duration.ofMinutes(1));
        JdbcClient jdbc = JdbcClient.create(dataSource);
        try (TcpProxy proxy = TcpProxy.start(url.group(1), (url.group(2) != null) ? Integer.parseInt(url.group(2)) : 5432);
                HikariDataSource proxied = new HikariDataSource()) {
            proxied.setJdbcUrl("jdbc:postgresql://" + proxy.host() + ":" + proxy.port() + "/" + url.group(3));
            proxied.setMaximumPoolSize(4);
            proxied.setConnectionTimeout(500);
            JdbcJobStore cutOff = new JdbcJobStore(proxied, PREFIX);
            JobOrchestrator orchestrator = JobOrchestrator.builder(cutOff, leases, handlers, codec)
                .owner("cut-off")
                .pollInterval(Duration.ofMillis(100))
                .leaseDuration(Duration.ofSeconds(20))
                .build();
            try {
                JobId id = new DefaultJobQueue(store, handlers, codec, Clock.systemUTC(), JobMetrics.NONE)
                    .enqueue("cut-off", "job");
                orchestrator.start();
                assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
                proxy.cut();
                mayEnd.countDown();
                await("kept").atMost(Duration.ofSeconds(10))
                    .until(() -> orchestrator.unwrittenOutcomes().size() == 1);
                assertThat(store.find(id).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
                proxy.restore();
                await("written once the database answers").atMost(Duration.ofSeconds(15))
                    .until(() -> store.find(id).orElseThrow().status() == JobStatus.SUCCEEDED);
                Job done = store.find(id).orElseThrow();
                assertThat(done.attempt()).isEqualTo(1);
                assertThat(runs).as("the handler ran once").hasValue(1);
                assertThat(orchestrator.unwrittenOutcomes().size()).isZero();
            }
            finally {
                orchestrator.close();
                jdbc.sql("delete from quark_job where type = 'cut-off'").update();
            }
        }
    }
}
