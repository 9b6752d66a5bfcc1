package dev.quark.jobs.runtime;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.PostgresNotificationSender;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobDueNotice;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.jdbc.JdbcJobStore;
import dev.quark.jobs.store.jdbc.JdbcRecurringJobStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two job nodes sharing one PostgreSQL store: a producer that only enqueues, and a consumer whose workers poll every
 * 30 seconds and listen to the store's notifications ({@link PostgresJobWakeUps}). The consumer polls once when it
 * starts, so every job it runs within seconds afterwards was claimed because a notification woke it.
 */
class JdbcJobWakeUpsTests {

    /**
     * A table prefix of this run's own: notification channels are named after the tables and are database-wide, not
     * per schema, so with the default prefix another JVM's tests on the same database would wake these workers.
     */
    private static final TablePrefix PREFIX = new TablePrefix("qw" + Long.toString(System.nanoTime() & 0xffffffffL, 36)
            + "_");

    private static final Duration LONG_POLL = Duration.ofSeconds(30);

    private static final Duration WAKE_UP = Duration.ofSeconds(5);

    /** How soon after its due time a job for later runs. */
    private static final Duration ON_TIME = Duration.ofMillis(1000);

    /**
     * How far ahead a job for later is due: its notification, which takes milliseconds, arrives well before; a job the
     * consumer did not learn of would wait for its poll, 30 seconds after its start.
     */
    private static final Duration AHEAD = Duration.ofSeconds(1);

    /** How long the consumer must stay idle to show that nothing woke it: a wake-up takes milliseconds. */
    private static final Duration QUIET = Duration.ofSeconds(1);

    private static final String TYPE = "wake-up";

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private final JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());

    private final List<String> ran = new CopyOnWriteArrayList<>();

    /** When each payload ran, by the system clock. */
    private final Map<String, Instant> ranAt = new java.util.concurrent.ConcurrentHashMap<>();

    private final AtomicInteger claims = new AtomicInteger();

    /** The consumer's looks at the store's next due job that returned. */
    private final AtomicInteger looks = new AtomicInteger();

    private final List<AutoCloseable> started = new ArrayList<>();

    private JobHandlerRegistry handlers;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcJobWakeUpsTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(16);
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        JdbcJobStore.migration(PREFIX).apply(dataSource);
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

    @BeforeEach
    void emptyTheQueue() {
        JdbcClient.create(dataSource).sql("delete from " + PREFIX.table("job")).update();
        this.handlers = new JobHandlerRegistry(List.of(JobHandler.of(TYPE, String.class, (payload, context) -> {
            this.ranAt.put(payload, Instant.now());
            this.ran.add(payload);
        })), this.codec, RetryPolicy.builder().maxAttempts(1).build(), Duration.ofMinutes(1));
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : this.started.reversed()) {
            closeable.close();
        }
    }

    /** A node's sender of notifications, closed after the test. */
    private PostgresNotificationSender sender() {
        PostgresNotificationSender sender = new PostgresNotificationSender(dataSource, "jobs");
        this.started.add(sender);
        return sender;
    }

    private DefaultJobQueue producer(boolean notifying) {
        return new DefaultJobQueue(new JdbcJobStore(dataSource, PREFIX, Clock.systemUTC(), notifying ? sender() : null),
                this.handlers,
                this.codec, Clock.systemUTC(), JobMetrics.NONE);
    }

    /**
     * Starts the consumer node's workers, counting their claim rounds, and waits for the poll of its start and the
     * look at the store that follows it, so that no claim round of the start finds what a test writes next.
     */
    private PostgresJobWakeUps consumer() {
        JdbcJobStore store = new JdbcJobStore(dataSource, PREFIX, Clock.systemUTC(), sender());
        JobStore counting = (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(),
                new Class<?>[] { JobStore.class }, (proxy, method, args) -> {
                    if (method.getName().equals("claimDue")) {
                        this.claims.incrementAndGet();
                    }
                    try {
                        return method.invoke(store, args);
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                    finally {
                        if (method.getName().equals("nextDueAfter")) {
                            this.looks.incrementAndGet();
                        }
                    }
                });
        JobOrchestrator orchestrator = JobOrchestrator.builder(counting, store.leaseStore().orElseThrow(),
                this.handlers, this.codec)
            .owner("consumer")
            .pollInterval(LONG_POLL)
            .build();
        this.started.add(orchestrator);
        orchestrator.start();
        PostgresJobWakeUps wakeUps = new PostgresJobWakeUps(dataSource, store.channel(), orchestrator);
        this.started.add(wakeUps);
        wakeUps.start();
        // The look runs once the poll is done.
        await("the start's poll and look").atMost(WAKE_UP).until(() -> this.claims.get() > 0 && this.looks.get() > 0);
        return wakeUps;
    }


    /**
     * Asserts that a payload ran after its due time and well before the consumer's next poll: within {@link #ON_TIME}
     * of it (a generous bound for a loaded machine; the poll comes 30 seconds after the consumer's start).
     */
    private void awaitRanOnTime(String payload, Instant dueAt) {
        await("'" + payload + "' run").atMost(WAKE_UP.plus(Duration.between(Instant.now(), dueAt)))
            .until(() -> this.ranAt.containsKey(payload));
        assertThat(this.ranAt.get(payload)).isAfterOrEqualTo(dueAt).isBefore(dueAt.plus(ON_TIME));
    }

    @Test
    void aJobForLaterEnqueuedOnAnotherNodeRunsWhenItComesDueNotAtThePoll() {
        consumer();
        Instant dueAt = Instant.now().plus(AHEAD);
        producer(true).enqueueAt(TYPE, "later", dueAt);
        awaitRanOnTime("later", dueAt);
    }

    @Test
    void aRetryAfterABackoffOnAnotherNodeRunsWhenItComesDueNotAtThePoll() {
        JdbcJobStore producerStore = new JdbcJobStore(dataSource, PREFIX, Clock.systemUTC(), sender());
        JobId id = new DefaultJobQueue(producerStore, this.handlers, this.codec, Clock.systemUTC(), JobMetrics.NONE)
            .enqueue(TYPE, "retried");
        Instant now = Instant.now();
        ClaimedJob claimed = producerStore.claimDue(new Claim("producer", 1, Map.of(TYPE, 1), Set.of(), now),
                JobLeases.of(producerStore.leaseStore().orElseThrow(), "producer", Duration.ofMinutes(1))).getFirst();
        assertThat(claimed.job().id()).isEqualTo(id);
        consumer();
        Instant dueAt = Instant.now().plus(AHEAD);
        producerStore.finish(id, claimed.lease(),
                JobTransition.retry(dueAt, dev.quark.jobs.JobError.of(new IllegalStateException("no"))),
                new JobReport(0, null, List.of()), Instant.now());
        awaitRanOnTime("retried", dueAt);
    }

    /** Enqueued without a notice before the consumer starts: its look at the store after its first poll finds it. */
    @Test
    void aJobForLaterNobodyToldTheNodeOfRunsWhenItComesDueNotAtThePoll() {
        // The consumer's start comes first: a second or two on a loaded machine.
        Instant dueAt = Instant.now().plus(AHEAD.multipliedBy(2));
        producer(false).enqueueAt(TYPE, "untold", dueAt);
        consumer();
        awaitRanOnTime("untold", dueAt);
    }

    /**
     * Of two jobs for later of one type, only the first is told of (the second is due after it); the consumer, woken
     * for the first, finds the second in the store and runs it on time too.
     */
    @Test
    void aSecondJobForLaterIsNotToldOfButRunsOnTimeAfterTheFirst() {
        consumer();
        String channel = new JdbcJobStore(dataSource, PREFIX).channel();
        List<String> heard = new CopyOnWriteArrayList<>();
        dev.quark.jdbc.PostgresWakeUps listener = dev.quark.jdbc.PostgresWakeUps.ownListener(dataSource, "jobs-heard",
                channel, (notifications) -> heard.addAll(notifications.payloads()));
        this.started.add(listener);
        listener.start();
        await("the listener listening").atMost(WAKE_UP).until(() -> {
            JdbcClient.create(dataSource).sql("select pg_notify(?, 'probe')").param(channel).query().singleRow();
            return heard.contains("probe");
        });
        Instant first = Instant.now().plus(AHEAD);
        // Wake-ups are at least a twentieth of the poll interval apart.
        Instant second = first.plus(JobOrchestrator.wakeUpGap(LONG_POLL));
        DefaultJobQueue producer = producer(true);
        producer.enqueueAt(TYPE, "first", first);
        producer.enqueueAt(TYPE, "second", second);
        awaitRanOnTime("first", first);
        awaitRanOnTime("second", second);
        assertThat(heard).filteredOn((payload) -> !"probe".equals(payload)).as("only the first job told of")
            .containsExactly(JobDueNotice.later(TYPE, first));
    }

    @Test
    void aCancelledJobForLaterWakesTheNodeOnceAndNotInALoop() {
        consumer();
        DefaultJobQueue producer = producer(true);
        Instant dueAt = Instant.now().plus(AHEAD);
        JobId id = producer.enqueueAt(TYPE, "cancelled", dueAt);
        int before = this.claims.get();
        producer.cancel(id);
        await("the wake-up's claim").atMost(WAKE_UP.plusSeconds(2)).until(() -> this.claims.get() > before);
        int after = this.claims.get();
        await("no claim in a loop").during(QUIET).atMost(QUIET.multipliedBy(3))
            .until(() -> this.claims.get() == after);
        assertThat(after - before).isLessThanOrEqualTo(2);
        assertThat(this.ran).isEmpty();
    }

    @Test
    void aJobEnqueuedOnAnotherNodeWakesTheWorkersAtOnce() {
        consumer();
        producer(true).enqueue(TYPE, "notified");
        await().atMost(WAKE_UP).until(() -> this.ran.contains("notified"));
    }

    @Test
    void withoutNotificationsAJobEnqueuedOnAnotherNodeWaitsForThePoll() {
        consumer();
        producer(false).enqueue(TYPE, "not notified");
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(this.ran::isEmpty);
    }

    @Test
    void aRolledBackEnqueueWakesNobody() {
        consumer();
        int before = this.claims.get();
        DefaultJobQueue producer = producer(true);
        new TransactionTemplate(new DataSourceTransactionManager(dataSource)).executeWithoutResult((status) -> {
            producer.enqueue(TYPE, "rolled back");
            status.setRollbackOnly();
        });
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> this.claims.get() == before);
        producer.enqueue(TYPE, "committed");
        await().atMost(WAKE_UP).until(() -> this.ran.contains("committed"));
        assertThat(this.ran).containsExactly("committed");
    }

    /**
     * The enqueue commits on its own (no transaction on the store's database): the transaction the thread is in on
     * another database does not hold its notification back.
     */
    @Test
    void aJobEnqueuedWhileInATransactionOnAnotherDatabaseWakesTheWorkersBeforeThatTransactionEnds() {
        consumer();
        DefaultJobQueue producer = producer(true);
        try (HikariDataSource other = new HikariDataSource()) {
            other.setJdbcUrl(schema.jdbcUrl());
            other.setMaximumPoolSize(1);
            new TransactionTemplate(new DataSourceTransactionManager(other)).executeWithoutResult((status) -> {
                JdbcClient.create(other).sql("select 1").query(Integer.class).single();
                producer.enqueue(TYPE, "other database");
                await().atMost(WAKE_UP).until(() -> this.ran.contains("other database"));
            });
        }
    }

    /** The constructor of the version before the shared sender still works: true gives the store a sender. */
    @Test
    @SuppressWarnings("deprecation")
    void theDeprecatedBooleanConstructorStillNotifies() {
        assertThat(new JdbcJobStore(dataSource, PREFIX, Clock.systemUTC(), false).notifying()).isFalse();
        JdbcJobStore store = new JdbcJobStore(dataSource, PREFIX, Clock.systemUTC(), true);
        assertThat(store.notifying()).isTrue();
        consumer();
        new DefaultJobQueue(store, this.handlers, this.codec, Clock.systemUTC(), JobMetrics.NONE)
            .enqueue(TYPE, "deprecated");
        await().atMost(WAKE_UP).until(() -> this.ran.contains("deprecated"));
    }

    @Test
    void aRequeueOnAnotherNodeWakesTheWorkers() {
        JdbcJobStore producerStore = new JdbcJobStore(dataSource, PREFIX, Clock.systemUTC(), sender());
        JobId id = new DefaultJobQueue(producerStore, this.handlers, this.codec, Clock.systemUTC(), JobMetrics.NONE)
            .enqueue(TYPE, "requeued");
        JdbcClient.create(dataSource)
            .sql("update " + PREFIX.table("job")
                    + " set status = 'DEAD_LETTERED', finished_at = now() where id = ?::uuid")
            .param(id.toString())
            .update();
        consumer();
        assertThat(this.ran).isEmpty();
        assertThat(producerStore.requeue(id, Clock.systemUTC().instant()).status()).isEqualTo(JobStatus.ENQUEUED);
        await().atMost(WAKE_UP).until(() -> this.ran.contains("requeued"));
    }

    @Test
    void aSingleJobGivenBackOnAnotherNodeWakesTheWorkers() {
        JdbcJobStore producerStore = new JdbcJobStore(dataSource, PREFIX, Clock.systemUTC(), sender());
        JobId id = new DefaultJobQueue(producerStore, this.handlers, this.codec, Clock.systemUTC(), JobMetrics.NONE)
            .enqueue(TYPE, "given back");
        Instant now = Clock.systemUTC().instant();
        ClaimedJob claimed = producerStore.claimDue(new Claim("producer", 1, Map.of(TYPE, 1), Set.of(), now),
                JobLeases.of(producerStore.leaseStore().orElseThrow(), "producer", Duration.ofMinutes(1)))
            .getFirst();
        assertThat(claimed.job().id()).isEqualTo(id);
        consumer();
        assertThat(this.ran).isEmpty();
        producerStore.finish(id, claimed.lease(), JobTransition.released(now), new JobReport(0, null, List.of()), now);
        await().atMost(WAKE_UP).until(() -> this.ran.contains("given back"));
    }

    @Test
    void aBatchOfOutcomesGivingJobsBackOnAnotherNodeWakesTheWorkersWithOneNotificationSent() {
        PostgresNotificationSender sender = sender();
        JdbcJobStore producerStore = new JdbcJobStore(dataSource, PREFIX, Clock.systemUTC(), sender);
        DefaultJobQueue queue = new DefaultJobQueue(producerStore, this.handlers, this.codec, Clock.systemUTC(),
                JobMetrics.NONE);
        new TransactionTemplate(new DataSourceTransactionManager(dataSource)).executeWithoutResult((status) -> {
            queue.enqueue(TYPE, "batch-1");
            queue.enqueue(TYPE, "batch-2");
        });
        await().atMost(WAKE_UP).until(() -> sender.sent() == 1);
        Instant now = Clock.systemUTC().instant();
        List<ClaimedJob> claimed = producerStore.claimDue(new Claim("producer", 2, Map.of(TYPE, 2), Set.of(), now),
                JobLeases.of(producerStore.leaseStore().orElseThrow(), "producer", Duration.ofMinutes(1)));
        assertThat(claimed).hasSize(2);
        consumer();
        assertThat(this.ran).isEmpty();
        assertThat(producerStore.finishAll(claimed.stream()
            .map((job) -> new JobOutcome(job.job().id(), job.lease(), JobTransition.released(now),
                    new JobReport(0, null, List.of()), now))
            .toList())).isEmpty();
        await().atMost(WAKE_UP).until(() -> this.ran.containsAll(List.of("batch-1", "batch-2")));
        assertThat(sender.sent()).as("one type, one notification per write").isEqualTo(2);
    }

    @Test
    void theWorkersAreWokenAgainAfterTheListeningConnectionIsTerminated() {
        PostgresJobWakeUps wakeUps = consumer();
        int pid = wakeUps.listener().connectionPid().orElseThrow();
        assertThat(JdbcClient.create(dataSource).sql("select pg_terminate_backend(?)").param(pid).query(Boolean.class)
            .single()).isTrue();
        await().atMost(WAKE_UP).until(() -> {
            OptionalInt now = wakeUps.listener().connectionPid();
            return now.isPresent() && now.getAsInt() != pid;
        });
        producer(true).enqueue(TYPE, "after the reconnect");
        await().atMost(WAKE_UP).until(() -> this.ran.contains("after the reconnect"));
    }

    @Test
    void notificationsOfTypesTheNodeDoesNotRunWakeNoWorker() {
        consumer();
        int before = this.claims.get();
        JdbcJobStore store = new JdbcJobStore(dataSource, PREFIX, Clock.systemUTC(), sender());
        JdbcClient.create(dataSource).sql("select pg_notify(?, 'another-type')").param(store.channel())
            .query((row) -> { });
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> this.claims.get() == before);
        assertThat(Set.copyOf(this.ran)).isEmpty();
    }

    /** A recurring job fired on another node enqueues its job due now, and that job wakes the workers. */
    @Test
    void aRecurringJobFiredOnAnotherNodeWakesTheWorkers() {
        consumer();
        assertThat(fireRecurring(new JdbcRecurringJobStore(dataSource, PREFIX, sender()), "fired")).isTrue();
        await().atMost(WAKE_UP).until(() -> this.ran.contains("fired"));
    }

    @Test
    void aRecurringJobFiredByAStoreThatDoesNotNotifyWaitsForThePoll() {
        consumer();
        assertThat(fireRecurring(new JdbcRecurringJobStore(dataSource, PREFIX), "fired quietly")).isTrue();
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(this.ran::isEmpty);
    }

    /** Saves a recurring job of the test's type due a second ago and fires it as its scheduler would. */
    private boolean fireRecurring(dev.quark.jobs.store.RecurringJobStore recurring, String payload) {
        Instant now = Instant.now();
        Instant instant = now.minusSeconds(1);
        String id = "recurring-" + java.util.UUID.randomUUID();
        String json = this.codec.write(TYPE, payload);
        recurring.save(new dev.quark.jobs.RecurringJob(id, TYPE, json,
                dev.quark.jobs.Schedule.every(Duration.ofHours(1)), dev.quark.jobs.MisfirePolicy.RUN_ONCE, instant));
        return recurring.fire(id, instant, null, instant.plus(Duration.ofHours(1)),
                new dev.quark.jobs.store.NewJob(JobId.next(java.time.Clock.systemUTC()), TYPE, json, null, now, instant))
            .isPresent();
    }
}
