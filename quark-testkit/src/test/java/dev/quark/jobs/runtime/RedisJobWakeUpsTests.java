package dev.quark.jobs.runtime;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.redis.RedisJobStore;
import dev.quark.jobs.store.redis.RedisRecurringJobStore;
import dev.quark.lease.redis.RedisLeaseStore;
import dev.quark.testkit.server.RedisTestArea;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.types.RedisClientInfo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Two job nodes sharing one Redis store: a producer that only enqueues (a node with {@code quark.jobs.workers=0}),
 * and a consumer whose workers poll every 30 seconds and subscribe to the store's channel ({@link RedisJobWakeUps}).
 * The consumer polls once when it starts, so every job it runs within seconds afterwards was claimed because a
 * message woke it.
 */
class RedisJobWakeUpsTests {

    private static final Duration LONG_POLL = Duration.ofSeconds(30);

    private static final Duration WAKE_UP = Duration.ofSeconds(5);

    /** How soon after its due time a job for later runs. */
    private static final Duration ON_TIME = Duration.ofMillis(1000);

    /**
     * How far ahead a job for later is due: its notice, which takes milliseconds, arrives well before; a job the
     * consumer did not learn of would wait for its poll, 30 seconds after its start.
     */
    private static final Duration AHEAD = Duration.ofSeconds(1);

    /** How long the consumer must stay idle to show that nothing woke it: a wake-up takes milliseconds. */
    private static final Duration QUIET = Duration.ofSeconds(1);

    private static final String TYPE = "wake-up";

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    @AutoClose
    private static RedisTestArea redisArea;

    private static StringRedisTemplate redis;

    private static RedisLeaseStore leases;

    private final JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());

    private final List<String> ran = new CopyOnWriteArrayList<>();

    /** When each payload ran, by the system clock. */
    private final Map<String, Instant> ranAt = new java.util.concurrent.ConcurrentHashMap<>();

    private final AtomicInteger claims = new AtomicInteger();

    /** The consumer's looks at the store's next due job that returned. */
    private final AtomicInteger looks = new AtomicInteger();

    private final List<AutoCloseable> started = new ArrayList<>();

    /** Run once right after the consumer's next claim of due jobs returns, before the orchestrator sees it. */
    private final java.util.concurrent.atomic.AtomicReference<Runnable> afterNextClaim =
            new java.util.concurrent.atomic.AtomicReference<>();

    private JobHandlerRegistry handlers;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisJobWakeUpsTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        redisArea = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        redis = new StringRedisTemplate(connectionFactory);
        leases = new RedisLeaseStore(connectionFactory, prefix, Clock.systemUTC());
    }

    @BeforeEach
    void emptyTheQueue() {
        Set<String> keys = redis.keys(prefix + "*");
        if (keys != null && !keys.isEmpty()) {
            redis.delete(keys);
        }
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

    private static RedisJobStore store(boolean notifying) {
        return new RedisJobStore(connectionFactory, prefix, notifying);
    }

    private DefaultJobQueue producer(RedisJobStore store) {
        return new DefaultJobQueue(store, this.handlers, this.codec, Clock.systemUTC(), JobMetrics.NONE);
    }

    /**
     * Starts the consumer node's workers, counting their claim rounds, once its subscription is confirmed (the poll
     * that the confirmation asks for finds the workers not started yet), and waits for the poll of its start and the
     * look at the store that follows it, so that no claim round of the start finds what a test writes next.
     */
    private RedisJobWakeUps consumer() {
        RedisJobStore store = store(true);
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
                        Runnable after = method.getName().equals("claimDue") ? this.afterNextClaim.getAndSet(null)
                                : null;
                        if (after != null) {
                            after.run();
                        }
                    }
                });
        JobOrchestrator orchestrator = JobOrchestrator.builder(counting, leases, this.handlers, this.codec)
            .owner("consumer")
            .pollInterval(LONG_POLL)
            .build();
        this.started.add(orchestrator);
        RedisJobWakeUps wakeUps = new RedisJobWakeUps(connectionFactory, store.channel(), orchestrator);
        this.started.add(wakeUps);
        wakeUps.start();
        await("the subscription").atMost(WAKE_UP).until(wakeUps::isSubscribed);
        orchestrator.start();
        // The look runs once the poll is done.
        await("the start's poll and look").atMost(WAKE_UP).until(() -> this.claims.get() > 0 && this.looks.get() > 0);
        return wakeUps;
    }

    private static ClaimedJob claimAsProducer(RedisJobStore store, JobId id) {
        // A due time is stored rounded up to the next millisecond (a job never runs early), so a claim made within the
        // millisecond of the enqueue may not see it yet: claim again until it does.
        ClaimedJob claimed = await("the producer's claim of " + id).atMost(Duration.ofSeconds(5))
            .until(() -> store.claimDue(new Claim("producer", 1, Map.of(TYPE, 1), Set.of(), Instant.now()),
                    JobLeases.of(leases, "producer", Duration.ofMinutes(1))), (claimedJobs) -> !claimedJobs.isEmpty())
            .getFirst();
        assertThat(claimed.job().id()).isEqualTo(id);
        return claimed;
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
        producer(store(true)).enqueueAt(TYPE, "later", dueAt);
        awaitRanOnTime("later", dueAt);
    }

    @Test
    void aRetryAfterABackoffOnAnotherNodeRunsWhenItComesDueNotAtThePoll() {
        RedisJobStore producerStore = store(true);
        JobId id = producer(producerStore).enqueue(TYPE, "retried");
        Instant now = Instant.now();
        ClaimedJob claimed = producerStore.claimDue(new Claim("producer", 1, Map.of(TYPE, 1), Set.of(), now),
                JobLeases.of(leases, "producer", Duration.ofMinutes(1))).getFirst();
        assertThat(claimed.job().id()).isEqualTo(id);
        consumer();
        Instant dueAt = Instant.now().plus(AHEAD);
        producerStore.finish(id, claimed.lease(),
                JobTransition.retry(dueAt, dev.quark.jobs.JobError.of(new IllegalStateException("no"))),
                new JobReport(0, null, List.of()), Instant.now());
        leases.release(claimed.lease());
        awaitRanOnTime("retried", dueAt);
    }

    /** Enqueued without a notice before the consumer starts: its look at the store after its first poll finds it. */
    @Test
    void aJobForLaterNobodyToldTheNodeOfRunsWhenItComesDueNotAtThePoll() {
        // The consumer's start comes first: a second or two on a loaded machine.
        Instant dueAt = Instant.now().plus(AHEAD.multipliedBy(2));
        producer(store(false)).enqueueAt(TYPE, "untold", dueAt);
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
        List<String> heard = heard();
        Instant first = Instant.now().plus(AHEAD);
        // Wake-ups are at least a twentieth of the poll interval apart.
        Instant second = first.plus(JobOrchestrator.wakeUpGap(LONG_POLL));
        DefaultJobQueue producer = producer(store(true));
        producer.enqueueAt(TYPE, "first", first);
        producer.enqueueAt(TYPE, "second", second);
        awaitRanOnTime("first", first);
        awaitRanOnTime("second", second);
        assertThat(heard).filteredOn((payload) -> !"probe".equals(payload)).as("only the first job told of")
            .containsExactly(dev.quark.jobs.store.JobDueNotice.later(TYPE, first));
    }

    /**
     * Retries after a backoff follow the rule of enqueues for later: of three retries of one type, the second, due
     * after the first, is not told of; the third, due before it, is.
     */
    @Test
    void aRetryAfterABackoffIsToldOfOnlyWhenDueBeforeTheNoticeOfItsTypeAhead() {
        RedisJobStore store = store(true);
        DefaultJobQueue producer = producer(store);
        List<ClaimedJob> claimed = new ArrayList<>();
        for (String payload : List.of("first", "second", "third")) {
            claimed.add(claimAsProducer(store, producer.enqueue(TYPE, payload)));
        }
        List<String> heard = heard();
        Instant now = Instant.now();
        dev.quark.jobs.JobError error = new dev.quark.jobs.JobError("Boom", "again", "");
        List<Instant> dueAts = List.of(now.plusSeconds(60), now.plusSeconds(120), now.plusSeconds(30));
        for (int i = 0; i < claimed.size(); i++) {
            ClaimedJob job = claimed.get(i);
            store.finish(job.job().id(), job.lease(), JobTransition.retry(dueAts.get(i), error),
                    new JobReport(0, null, List.of()), now);
            leases.release(job.lease());
        }
        // Redis delivers in order: the notices of the retries would arrive before this one.
        redis.convertAndSend(store.channel(), "control");
        await().atMost(WAKE_UP).until(() -> heard.contains("control"));
        assertThat(heard).filteredOn((payload) -> payload.contains(" ")).as("the retries told of")
            .containsExactly(dev.quark.jobs.store.JobDueNotice.later(TYPE, dueAts.get(0)),
                    dev.quark.jobs.store.JobDueNotice.later(TYPE, dueAts.get(2)));
    }

    /**
     * An enqueue whose idempotency key is taken publishes nothing, so it holds no later notice back: a job due before
     * the one told of is told of and runs on time.
     */
    @Test
    void anEnqueueThatFindsItsKeyTakenHoldsNoNoticeBack() {
        consumer();
        RedisJobStore store = store(true);
        Instant now = Instant.now();
        // Held back, "next" would run when "keyed" wakes the consumer: later than ON_TIME allows.
        Instant keyed = now.plus(AHEAD.multipliedBy(4));
        store.enqueue(new dev.quark.jobs.store.NewJob(JobId.next(Clock.systemUTC()), TYPE,
                this.codec.write(TYPE, "keyed"), "key", now, keyed));
        assertThat(store.enqueue(new dev.quark.jobs.store.NewJob(JobId.next(Clock.systemUTC()), TYPE,
                this.codec.write(TYPE, "again"), "key", now, now.plus(AHEAD))).created()).isFalse();
        Instant dueAt = now.plus(AHEAD.multipliedBy(3).dividedBy(2));
        producer(store).enqueueAt(TYPE, "next", dueAt);
        awaitRanOnTime("next", dueAt);
    }

    /** Subscribes to the store's channel and returns what it hears, once a probe was heard. */
    private List<String> heard() {
        String channel = store(true).channel();
        List<String> heard = new CopyOnWriteArrayList<>();
        org.springframework.data.redis.listener.RedisMessageListenerContainer container =
                new org.springframework.data.redis.listener.RedisMessageListenerContainer();
        container.setConnectionFactory(connectionFactory);
        // Heard on the subscription's thread, in the order Redis delivers (the container's default runs each message
        // on a thread of its own).
        container.setTaskExecutor(Runnable::run);
        container.addMessageListener((message, pattern) -> heard.add(new String(message.getBody(),
                java.nio.charset.StandardCharsets.UTF_8)), new org.springframework.data.redis.listener.ChannelTopic(channel));
        container.afterPropertiesSet();
        container.start();
        this.started.add(container::destroy);
        await("the subscription").atMost(WAKE_UP).until(() -> {
            redis.convertAndSend(channel, "probe");
            return heard.contains("probe");
        });
        return heard;
    }

    @Test
    void aCancelledJobForLaterWakesTheNodeOnceAndNotInALoop() {
        consumer();
        DefaultJobQueue producer = producer(store(true));
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
    void theStorePublishesOnAChannelOfItsKeyPrefix() {
        assertThat(store(true).channel()).isEqualTo(prefix + "{jobs}:due");
        assertThat(store(true).notifying()).isTrue();
        assertThat(store(false).notifying()).isFalse();
        assertThat(new RedisJobStore(connectionFactory, prefix).notifying()).isFalse();
    }

    @Test
    void aJobEnqueuedOnAnotherNodeWakesTheWorkersAtOnce() {
        consumer();
        producer(store(true)).enqueue(TYPE, "notified");
        await().atMost(WAKE_UP).until(() -> this.ran.contains("notified"));
    }

    @Test
    void withoutNotificationsAJobEnqueuedOnAnotherNodeWaitsForThePoll() {
        consumer();
        producer(store(false)).enqueue(TYPE, "not notified");
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(this.ran::isEmpty);
    }

    @Test
    void aJobEnqueuedForLaterPublishesNothing() {
        consumer();
        int before = this.claims.get();
        producer(store(true)).enqueueAfter(TYPE, "later", Duration.ofMinutes(5));
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> this.claims.get() == before);
    }

    @Test
    void aRequeueOnAnotherNodeWakesTheWorkers() {
        RedisJobStore producerStore = store(true);
        JobId id = producer(producerStore).enqueue(TYPE, "requeued");
        ClaimedJob claimed = claimAsProducer(producerStore, id);
        Instant now = Instant.now();
        producerStore.finish(id, claimed.lease(), JobTransition.deadLetter(new dev.quark.jobs.JobError("Boom", "no", "")),
                new JobReport(0, null, List.of()), now);
        leases.release(claimed.lease());
        consumer();
        assertThat(this.ran).isEmpty();
        assertThat(producerStore.requeue(id, Instant.now()).status()).isEqualTo(JobStatus.ENQUEUED);
        await().atMost(WAKE_UP).until(() -> this.ran.contains("requeued"));
    }

    /**
     * The outcome's write publishes before the worker that gave the job back releases its lease: here the release
     * waits until the woken claim came back without the job (its lease still held), and the poll that follows a
     * wake-up whose claim came back short claims it ({@code JobOrchestrator.WAKE_UP_POLL_AGAIN}), not the 30-second
     * poll.
     */
    @Test
    void aJobGivenBackOnAnotherNodeWakesTheWorkers() {
        RedisJobStore producerStore = store(true);
        JobId id = producer(producerStore).enqueue(TYPE, "given back");
        ClaimedJob claimed = claimAsProducer(producerStore, id);
        consumer();
        assertThat(this.ran).isEmpty();
        int before = this.claims.get();
        this.afterNextClaim.set(() -> leases.release(claimed.lease()));
        Instant now = Instant.now();
        producerStore.finish(id, claimed.lease(), JobTransition.released(now), new JobReport(0, null, List.of()), now);
        await().atMost(WAKE_UP).until(() -> this.ran.contains("given back"));
        assertThat(this.claims.get() - before).as("the woken claim, then the one 100 ms later").isGreaterThanOrEqualTo(2);
    }

    @Test
    void aJobRetriedAtOnceOnAnotherNodeWakesTheWorkersButOneRetriedLaterDoesNot() {
        RedisJobStore producerStore = store(true);
        JobId later = producer(producerStore).enqueue(TYPE, "retried later");
        ClaimedJob laterClaim = claimAsProducer(producerStore, later);
        JobId atOnce = producer(producerStore).enqueue(TYPE, "retried at once");
        ClaimedJob atOnceClaim = claimAsProducer(producerStore, atOnce);
        consumer();
        int before = this.claims.get();
        Instant now = Instant.now();
        dev.quark.jobs.JobError error = new dev.quark.jobs.JobError("Boom", "again", "");
        producerStore.finish(later, laterClaim.lease(), JobTransition.retry(now.plusSeconds(300), error),
                new JobReport(0, null, List.of()), now);
        leases.release(laterClaim.lease());
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> this.claims.get() == before);
        // Released only once the woken claim came back without it, as in aJobGivenBackOnAnotherNodeWakesTheWorkers.
        this.afterNextClaim.set(() -> leases.release(atOnceClaim.lease()));
        producerStore.finish(atOnce, atOnceClaim.lease(), JobTransition.retry(now, error),
                new JobReport(0, null, List.of()), now);
        await().atMost(WAKE_UP).until(() -> this.ran.contains("retried at once"));
        assertThat(this.ran).containsExactly("retried at once");
    }

    @Test
    void messagesOfTypesTheNodeDoesNotRunWakeNoWorker() {
        RedisJobWakeUps wakeUps = consumer();
        int before = this.claims.get();
        redis.convertAndSend(wakeUps.channel(), "another-type");
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> this.claims.get() == before);
        assertThat(this.ran).isEmpty();
        // The control: a message of a type it runs, sent after the other one, wakes it (so the other was heard).
        redis.convertAndSend(wakeUps.channel(), TYPE);
        await("woken by a type it runs").atMost(WAKE_UP).until(() -> this.claims.get() > before);
    }

    @Test
    void theWorkersPollOnceAndAreWokenAgainAfterTheSubscribedConnectionIsKilled() {
        Set<String> before = subscribedClients();
        RedisJobWakeUps wakeUps = consumer();
        Set<String> ours = new HashSet<>(subscribedClients());
        ours.removeAll(before);
        assertThat(ours).as("the wake-ups' subscribed connection").hasSize(1);
        int claimsBefore = this.claims.get();
        int subscriptions = wakeUps.subscriptions();
        String address = ours.iterator().next();
        int colon = address.lastIndexOf(':');
        redis.execute((RedisConnection connection) -> {
            connection.serverCommands().killClient(address.substring(0, colon),
                    Integer.parseInt(address.substring(colon + 1)));
            return null;
        });
        await("subscribed again").atMost(Duration.ofSeconds(15))
            .until(() -> wakeUps.subscriptions() > subscriptions);
        await("polled once for what was missed").atMost(WAKE_UP).until(() -> this.claims.get() > claimsBefore);
        producer(store(true)).enqueue(TYPE, "after the reconnect");
        await().atMost(WAKE_UP).until(() -> this.ran.contains("after the reconnect"));
    }

    /** The addresses (host:port) of the clients of the server subscribed to a channel. */
    private static Set<String> subscribedClients() {
        Set<String> ids = new HashSet<>();
        List<RedisClientInfo> clients = redis.execute(
                (RedisConnection connection) -> connection.serverCommands().getClientList());
        for (RedisClientInfo client : (clients != null) ? clients : List.<RedisClientInfo>of()) {
            Long channels = client.getChannelSubscribtions();
            if (channels != null && channels > 0 && client.getAddressPort() != null) {
                ids.add(client.getAddressPort());
            }
        }
        return ids;
    }

    /**
     * A Redis user without the right to publish on the channel (ACL {@code resetchannels}, the default of new users
     * on Redis 7): the writes still succeed, the hint is lost (the script ignores the refused {@code PUBLISH}, after
     * its writes, which Redis does not roll back).
     */
    @Test
    void aUserWithoutTheRightToPublishStillWritesItsJobs() {
        asUserWithoutTheRightToPublish((user, restricted) -> {
            RedisJobStore restrictedStore = new RedisJobStore(restricted, prefix, true);
            JobId id = producer(restrictedStore).enqueue(TYPE, "unpublished");
            assertThat(restrictedStore.find(id).orElseThrow().status()).isEqualTo(JobStatus.ENQUEUED);
            ClaimedJob claimed = claimAsProducer(store(false), id);
            Instant now = Instant.now();
            restrictedStore.finish(id, claimed.lease(), JobTransition.released(now), new JobReport(0, null, List.of()),
                    now);
            leases.release(claimed.lease());
            assertThat(restrictedStore.find(id).orElseThrow().status()).isEqualTo(JobStatus.ENQUEUED);
        });
    }

    /**
     * The notice of a retry due later that could not be published holds no later one of its type back: once the user
     * may publish, a retry due after the unpublished one is told of.
     */
    @Test
    void aRetryWhoseNoticeCouldNotBePublishedHoldsNoLaterNoticeBack() {
        asUserWithoutTheRightToPublish((user, restricted) -> {
            RedisJobStore restrictedStore = new RedisJobStore(restricted, prefix, true);
            DefaultJobQueue producer = producer(store(false));
            ClaimedJob first = claimAsProducer(store(false), producer.enqueue(TYPE, "first"));
            ClaimedJob second = claimAsProducer(store(false), producer.enqueue(TYPE, "second"));
            List<String> heard = heard();
            Instant now = Instant.now();
            dev.quark.jobs.JobError error = new dev.quark.jobs.JobError("Boom", "again", "");
            restrictedStore.finish(first.job().id(), first.lease(), JobTransition.retry(now.plusSeconds(60), error),
                    new JobReport(0, null, List.of()), now);
            leases.release(first.lease());
            assertThat(restrictedStore.find(first.job().id()).orElseThrow().status()).isEqualTo(JobStatus.RETRYING);
            acl("SETUSER", user, "allchannels");
            Instant secondDueAt = now.plusSeconds(120);
            restrictedStore.finish(second.job().id(), second.lease(), JobTransition.retry(secondDueAt, error),
                    new JobReport(0, null, List.of()), now);
            leases.release(second.lease());
            // Redis delivers in order: the notice of the second retry would arrive before this one.
            redis.convertAndSend(store(true).channel(), "control");
            await().atMost(WAKE_UP).until(() -> heard.contains("control"));
            assertThat(heard).filteredOn((payload) -> payload.contains(" ")).as("the retries told of")
                .containsExactly(dev.quark.jobs.store.JobDueNotice.later(TYPE, secondDueAt));
        });
    }

    /**
     * Runs the body with a connection factory of a new Redis user that may do anything but publish (ACL
     * {@code resetchannels}, the default of new users on Redis 7), and deletes the user afterwards.
     */
    private void asUserWithoutTheRightToPublish(
            java.util.function.BiConsumer<String, LettuceConnectionFactory> body) {
        String user = "quark-wake-ups-" + Long.toHexString(System.nanoTime());
        String password = "secret-" + user;
        acl("SETUSER", user, "on", ">" + password, "resetchannels", "~*", "+@all");
        LettuceConnectionFactory restricted = null;
        try {
            RedisTestServer server = RedisTestServer.get();
            org.springframework.data.redis.connection.RedisStandaloneConfiguration configuration =
                    new org.springframework.data.redis.connection.RedisStandaloneConfiguration(server.host(), server.port());
            configuration.setUsername(user);
            configuration.setPassword(password);
            restricted = new LettuceConnectionFactory(configuration);
            restricted.afterPropertiesSet();
            restricted.start();
            StringRedisTemplate restrictedRedis = new StringRedisTemplate(restricted);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(
                    () -> restrictedRedis.convertAndSend(store(true).channel(), TYPE)))
                .as("the user may not publish").rootCause().hasMessageContaining("NOPERM");
            body.accept(user, restricted);
        }
        finally {
            if (restricted != null) {
                restricted.destroy();
            }
            redis.execute((RedisConnection connection) -> {
                // DELUSER replies with an integer, which the generic execute cannot read.
                @SuppressWarnings("unchecked")
                io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands<byte[], byte[]> commands =
                        (io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands<byte[], byte[]>) connection
                            .getNativeConnection();
                try {
                    return commands.aclDeluser(user).get(10, TimeUnit.SECONDS);
                }
                catch (Exception ex) {
                    throw new IllegalStateException("Could not delete the test user " + user, ex);
                }
            });
        }
    }

    private static void acl(String... arguments) {
        byte[][] bytes = java.util.Arrays.stream(arguments)
            .map((argument) -> argument.getBytes(java.nio.charset.StandardCharsets.UTF_8))
            .toArray(byte[][]::new);
        redis.execute((RedisConnection connection) -> connection.execute("ACL", bytes));
    }

    /**
     * Redis down at start-up: the application starts, its workers polling; the subscription is retried on the
     * wake-ups' scheduler, not by a sleeping start-up thread, and closing does not wait for it.
     */
    @Test
    void withRedisUnreachableStartReturnsAtOnceAndCloseDoesNotHang() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        LettuceConnectionFactory unreachable = new LettuceConnectionFactory(
                new org.springframework.data.redis.connection.RedisStandaloneConfiguration("127.0.0.1", port),
                org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration.builder()
                    .commandTimeout(Duration.ofSeconds(10))
                    .build());
        unreachable.afterPropertiesSet();
        unreachable.start();
        try {
            JobOrchestrator orchestrator = JobOrchestrator.builder(store(false), leases, this.handlers, this.codec)
                .pollInterval(LONG_POLL)
                .build();
            this.started.add(orchestrator);
            RedisJobWakeUps wakeUps = new RedisJobWakeUps(unreachable, store(true).channel(), orchestrator);
            long startedAt = System.nanoTime();
            wakeUps.start();
            assertThat(Duration.ofNanos(System.nanoTime() - startedAt)).as("start").isLessThan(Duration.ofSeconds(1));
            assertThat(wakeUps.isRunning()).isTrue();
            // Past the container's registration wait (2 s) and its first back-off (5 s) would be too long: a failed
            // first attempt is enough to close in the middle of the retries.
            await("a failed attempt").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> !wakeUps.isSubscribed());
            long closingAt = System.nanoTime();
            wakeUps.close();
            assertThat(Duration.ofNanos(System.nanoTime() - closingAt)).as("close").isLessThan(Duration.ofSeconds(3));
            assertThat(wakeUps.isRunning()).isFalse();
            assertThat(wakeUps.isSubscribed()).isFalse();
        }
        finally {
            unreachable.destroy();
        }
    }

    /** Redis down at start-up, up later: the container's retries, scheduled, subscribe once it is up. */
    @Test
    void startedWhileRedisIsDownItSubscribesOnceRedisIsUp() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        LettuceConnectionFactory later = new LettuceConnectionFactory(
                new org.springframework.data.redis.connection.RedisStandaloneConfiguration("127.0.0.1", port));
        later.afterPropertiesSet();
        later.start();
        RedisServer process = null;
        try {
            JobOrchestrator orchestrator = JobOrchestrator.builder(store(false), leases, this.handlers, this.codec)
                .pollInterval(LONG_POLL)
                .build();
            this.started.add(orchestrator);
            RedisJobWakeUps wakeUps = new RedisJobWakeUps(later, "{jobs}:due", orchestrator);
            this.started.add(wakeUps);
            wakeUps.start();
            await("a failed attempt").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> !wakeUps.isSubscribed());
            process = RedisServer.newRedisServer()
                .bind("127.0.0.1")
                .port(port)
                .setting("save \"\"")
                .setting("appendonly no")
                .build();
            process.start();
            // The container's back-off: 5 seconds between attempts.
            await("subscribed once Redis is up").atMost(Duration.ofSeconds(15)).until(wakeUps::isSubscribed);
            wakeUps.close();
        }
        finally {
            later.destroy();
            if (process != null) {
                process.stop();
            }
        }
    }

    @Test
    void aBlankChannelIsRefusedNamingIt() {
        JobOrchestrator orchestrator = JobOrchestrator.builder(store(false), leases, this.handlers, this.codec).build();
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RedisJobWakeUps(connectionFactory, " ", orchestrator))
            .withMessage("The channel of job wake-ups must not be blank, was ' '");
    }

    /** A recurring job fired on another node enqueues its job due now, and that job wakes the workers. */
    @Test
    void aRecurringJobFiredOnAnotherNodeWakesTheWorkers() {
        consumer();
        assertThat(fireRecurring(new RedisRecurringJobStore(connectionFactory, prefix, true), "fired")).isTrue();
        await().atMost(WAKE_UP).until(() -> this.ran.contains("fired"));
    }

    @Test
    void aRecurringJobFiredByAStoreThatDoesNotNotifyWaitsForThePoll() {
        consumer();
        assertThat(fireRecurring(new RedisRecurringJobStore(connectionFactory, prefix), "fired quietly")).isTrue();
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
