package dev.quark.jobs.store.redis;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.NewJob;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseStore;
import dev.quark.testkit.jobs.JobStoreContractTests;
import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class RedisJobStoreTests extends JobStoreContractTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisJobStore store;

    private static LeaseStore leases;

    private static StringRedisTemplate redis;

    @AutoClose
    private static RedisTestArea area;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisJobStoreTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        store = new RedisJobStore(connectionFactory, prefix);
        leases = store.leaseStore().orElseThrow();
        redis = new StringRedisTemplate(connectionFactory);
    }

    @Override
    protected JobStore store() {
        return store;
    }

    @Override
    protected LeaseStore leaseStore() {
        return leases;
    }

    @Test
    void metadataThatIsNotAJsonObjectOfStringsDoesNotBlockTheClaimOfItsJob() {
        String type = newType("bad-metadata");
        JobId number = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(number, type, "{}", null, NOW, NOW));
        JobId mixed = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(mixed, type, "{}", null, NOW, NOW));
        redis.opsForHash().put(store.jobKey(number), "metadata", "42");
        redis.opsForHash().put(store.jobKey(mixed), "metadata", "{\"tenant\":\"acme\",\"count\":3,\"gone\":null}");
        assertThat(store.find(number).orElseThrow().metadata()).isEmpty();
        java.util.List<dev.quark.jobs.store.ClaimedJob> claimed = store.claimDue(claim(OWNER, 10, NOW, type),
                leases(OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().id()).containsExactlyInAnyOrder(number, mixed);
        assertThat(claimed).filteredOn((c) -> c.job().id().equals(mixed))
            .singleElement()
            .satisfies((c) -> assertThat(c.job().metadata()).containsOnly(java.util.Map.entry("tenant", "acme"),
                    java.util.Map.entry("count", "3")));
    }

    @Test
    void aHashWithoutATimeoutOrWithOneThatIsNotAPositiveNumberIsClaimedWithoutOne() {
        String type = newType("bad-timeout");
        JobId older = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(older, type, "{}", null, NOW, NOW));
        JobId text = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(text, type, "{}", null, NOW, NOW, java.util.Map.of(), java.time.Duration.ofSeconds(1)));
        assertThat(redis.opsForHash().get(store.jobKey(text), "timeout_ms")).isEqualTo("1000");
        assertThat(redis.opsForHash().hasKey(store.jobKey(older), "timeout_ms")).isFalse();
        redis.opsForHash().put(store.jobKey(text), "timeout_ms", "soon");
        assertThat(store.find(older).orElseThrow().timeout()).isNull();
        java.util.List<dev.quark.jobs.store.ClaimedJob> claimed = store.claimDue(claim(OWNER, 10, NOW, type),
                leases(OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().id()).containsExactlyInAnyOrder(older, text);
        assertThat(claimed).allSatisfy((c) -> assertThat(c.job().timeout()).isNull());
    }

    @Test
    void aJobIsAHashIndexedByDueTimeStatusAndType() {
        String type = newType("layout");
        JobId id = JobId.next(Clock.systemUTC());
        Job job = store.enqueue(new NewJob(id, type, "{}", "layout-" + type, NOW, NOW.plusMillis(1500))).job();
        String tagged = prefix + "{jobs}:";
        assertThat(store.jobKey(id)).isEqualTo(tagged + "job:" + id);
        assertThat(redis.opsForHash().entries(tagged + "job:" + id)).containsEntry("type", type)
            .containsEntry("status", "SCHEDULED")
            .containsEntry("due_at", job.dueAt().toString())
            .containsEntry("idempotency_key", "layout-" + type);
        assertThat(redis.opsForZSet().score(tagged + "due:" + type, id.toString()))
            .isEqualTo((double) NOW.plusMillis(1500).toEpochMilli());
        assertThat(redis.opsForZSet().score(tagged + "status:SCHEDULED:type:" + type, id.toString())).isZero();
        assertThat(redis.opsForValue().get(tagged + "key:layout-" + type)).isEqualTo(id.toString());
        assertThat(new TreeSet<>(redis.keys(tagged + "*"))).allSatisfy((key) -> assertThat(key).startsWith(tagged));
    }
    @Test
    void aClaimIsOneScriptThatGrantsTheLeasesInTheJobHashes() {
        String type = newType("one-script");
        JobId first = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        JobId second = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        List<String> calls = new CopyOnWriteArrayList<>();
        RedisJobStore counted = new RedisJobStore(counting(connectionFactory, calls), prefix);
        List<ClaimedJob> claimed = counted.claimDue(claim(OWNER, 10, NOW, type),
                JobLeases.of(counted.leaseStore().orElseThrow(), OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().id()).containsExactly(first, second);
        assertThat(calls).as("scripts run by the claim").hasSize(1);
        assertThat(redis.opsForHash().entries(store.jobKey(first))).containsEntry("status", "RUNNING")
            .containsEntry("lease_owner", OWNER)
            .containsEntry("lease_token", claimed.getFirst().lease().token().toString())
            .containsKey("lease_expires_at");
        assertThat(leases.holder(JobLeases.resource(first))).hasValueSatisfying((holder) -> {
            assertThat(holder.owner()).isEqualTo(OWNER);
            assertThat(holder.token()).isEqualTo(claimed.getFirst().lease().token());
        });
    }

    @Test
    void aJobWhoseHashLacksAFieldIsMovedToTheBrokenSetUnclaimedAndTheClaimTakesAnotherInItsPlace() {
        String type = newType("unreadable");
        JobId broken = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        JobId second = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        JobId third = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        redis.opsForHash().delete(store.jobKey(broken), "payload");
        assertThat(store.claimDue(claim(OWNER, 2, NOW, type), leases(OWNER, LONG))).extracting((c) -> c.job().id())
            .containsExactly(second, third);
        assertThat(redis.opsForHash().entries(store.jobKey(broken))).containsEntry("status", "ENQUEUED")
            .containsEntry("attempt", "0")
            .doesNotContainKeys("lease_owner", "lease_expires_at", "owner");
        String tagged = prefix + "{jobs}:";
        assertThat(redis.opsForZSet().score(tagged + "due:" + type, broken.toString())).isNull();
        assertThat(redis.opsForZSet().score(tagged + "broken", broken.toString())).isNotNull();
    }

    @Test
    void aJobWithEveryFieldThatCannotBeMappedIsPutBackAsItWasAndTheClaimIsMadeAgainWithoutIt() {
        String type = newType("unmappable");
        JobId broken = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        JobId second = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        JobId third = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        redis.opsForHash().put(store.jobKey(broken), "created_at", "not an instant");
        String tagged = prefix + "{jobs}:";
        Double dueScore = redis.opsForZSet().score(tagged + "due:" + type, broken.toString());
        assertThat(store.claimDue(claim(OWNER, 2, NOW, type), leases(OWNER, LONG))).extracting((c) -> c.job().id())
            .containsExactly(second, third);
        assertThat(redis.opsForHash().entries(store.jobKey(broken))).containsEntry("status", "ENQUEUED")
            .containsEntry("attempt", "0")
            .containsEntry("lease_token", "1")
            .doesNotContainKeys("lease_owner", "lease_expires_at", "owner", "started_at");
        assertThat(redis.opsForZSet().score(tagged + "due:" + type, broken.toString())).isEqualTo(dueScore);
        assertThat(redis.opsForZSet().score(tagged + "running", broken.toString())).isNull();
        assertThat(redis.opsForZSet().score(tagged + "status:ENQUEUED", broken.toString())).isNotNull();
        assertThat(redis.opsForZSet().score(tagged + "status:RUNNING", broken.toString())).isNull();
    }

    @Test
    void aRunningJobWithoutATypeWhoseLeaseIsFreeIsMovedToTheBrokenSetRatherThanLeftRunning() {
        String type = newType("untyped");
        JobId id = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        ClaimedJob claimed = store.claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, LONG)).getFirst();
        leases.release(claimed.lease());
        redis.opsForHash().delete(store.jobKey(id), "type");
        assertThat(store.claimAbandoned(claim(OTHER, 10, NOW, type), leases(OTHER, LONG))).isEmpty();
        String tagged = prefix + "{jobs}:";
        assertThat(redis.opsForZSet().score(tagged + "running", id.toString())).isNull();
        assertThat(redis.opsForZSet().score(tagged + "broken", id.toString())).isNotNull();
        assertThat(redis.opsForHash().get(store.jobKey(id), "attempt")).isEqualTo("1");
    }

    @Test
    void aBatchOfOutcomesIsOneScript() {
        String type = newType("one-script-outcomes");
        store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW));
        store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW));
        List<ClaimedJob> claimed = store.claimDue(claim(OWNER, 10, NOW, type), leases(OWNER, LONG));
        List<String> calls = new CopyOnWriteArrayList<>();
        RedisJobStore counted = new RedisJobStore(counting(connectionFactory, calls), prefix);
        assertThat(counted.finishAll(claimed.stream()
            .map((c) -> new JobOutcome(c.job().id(), c.lease(), JobTransition.succeeded(),
                    new JobReport(100, null, List.of("done")), NOW))
            .toList())).isEmpty();
        assertThat(calls).as("scripts run by the batch").hasSize(1);
        assertThat(claimed).allSatisfy((c) -> assertThat(store.find(c.job().id()).orElseThrow().status())
            .isEqualTo(JobStatus.SUCCEEDED));
        assertThat(claimed).allSatisfy((c) -> assertThat(leases.holder(c.lease().resource())).as("lease freed").isEmpty());
    }

    @Test
    void aJobAnEarlierVersionLeftRunningWithItsLeaseInTheSharedStoreIsTakenOverAtOnceWithAGreaterToken() {
        String type = newType("upgrade");
        JobId id = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        ClaimedJob claimed = store.claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, LONG)).getFirst();
        // What an earlier version left: a running job stamped with a token of the shared lease store, its lease
        // (still held there) not in the hash.
        redis.opsForHash().put(store.jobKey(id), "lease_token", "41");
        redis.opsForHash().delete(store.jobKey(id), "lease_owner", "lease_expires_at");
        redis.opsForZSet().remove(prefix + "{jobs}:lease-expiry", id.toString());
        assertThat(store.claimAbandoned(claim(OTHER, 10, NOW, type), leases(OTHER, LONG)))
            .singleElement()
            .satisfies((c) -> {
                assertThat(c.job().id()).isEqualTo(id);
                assertThat(c.job().attempt()).isEqualTo(2);
                assertThat(c.abandonedBy()).isEqualTo(OWNER);
                assertThat(c.lease().token().value()).isEqualTo(42);
            });
        dev.quark.lease.Lease earlier = new dev.quark.lease.Lease(claimed.lease().resource(), OWNER,
                new dev.quark.lease.FencingToken(41), claimed.lease().validUntil());
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> store.finish(id, earlier, JobTransition.succeeded(), new JobReport(100, null, List.of()), NOW));
        assertThat(store.find(id).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
    }

    @Test
    void anAbandonedJobIsTakenOverWhenMoreThanAThousandJobsStartedBeforeItAndStillRun() {
        String busy = newType("busy");
        for (int i = 0; i < Claim.MAX_CANDIDATES + 1; i++) {
            store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), busy, "{}", null, NOW, NOW));
        }
        int running = 0;
        while (running <= Claim.MAX_CANDIDATES) {
            running += store.claimDue(claim(OWNER, 500, NOW, busy), leases(OWNER, LONG)).size();
        }
        String type = newType("abandoned-late");
        JobId late = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        ClaimedJob claimed = store.claimDue(claim(OWNER, 1, NOW.plusSeconds(1), type), leases(OWNER, LONG)).getFirst();
        leases.release(claimed.lease());
        assertThat(store.claimAbandoned(claim(OTHER, 10, NOW.plusSeconds(2), type), leases(OTHER, LONG)))
            .extracting((c) -> c.job().id())
            .containsExactly(late);
    }

    @Test
    void jobsAnEarlierVersionLeftRunningAreFoundWithoutTheLeaseExpirySetAndTheRestStayHeld() {
        String type = newType("upgrade-set");
        JobId held = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        JobId left = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        store.claimDue(claim(OWNER, 2, NOW, type), leases(OWNER, LONG));
        String expiry = prefix + "{jobs}:lease-expiry";
        redis.opsForZSet().remove(expiry, held.toString(), left.toString());
        redis.opsForHash().delete(store.jobKey(left), "lease_owner", "lease_expires_at");
        assertThat(store.claimAbandoned(claim(OTHER, 10, NOW, type), leases(OTHER, LONG)))
            .extracting((c) -> c.job().id())
            .containsExactly(left);
        assertThat(redis.opsForZSet().score(expiry, held.toString())).isPositive();
        assertThat(store.claimAbandoned(claim(OTHER, 10, NOW, type), leases(OTHER, LONG))).isEmpty();
    }

    @Test
    void deadEntriesOfADueSetAreRemovedByTheClaimAndTakeNoCandidatesPlace() {
        String type = newType("dead-entries");
        JobId gone = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        JobId cancelled = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job()
            .id();
        JobId waiting = store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW)).job().id();
        String due = prefix + "{jobs}:due:" + type;
        redis.delete(store.jobKey(gone));
        redis.opsForHash().put(store.jobKey(cancelled), "status", "CANCELLED");
        assertThat(store.claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, LONG))).extracting((c) -> c.job().id())
            .containsExactly(waiting);
        assertThat(redis.opsForZSet().size(due)).isZero();
        assertThat(redis.opsForZSet().score(prefix + "{jobs}:broken", gone.toString())).isNull();
    }

    @Test
    void aBatchOfOutcomesRefusesAJobWithoutATypeBeforeWritingAndWritesTheOthers() {
        String type = newType("untyped-outcome");
        store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW));
        store.enqueue(new NewJob(JobId.next(Clock.systemUTC()), type, "{}", null, NOW, NOW));
        List<ClaimedJob> claimed = store.claimDue(claim(OWNER, 2, NOW, type), leases(OWNER, LONG));
        JobId written = claimed.get(0).job().id();
        JobId untyped = claimed.get(1).job().id();
        redis.opsForHash().delete(store.jobKey(untyped), "type");
        Map<JobId, RuntimeException> refused = store.finishAll(claimed.stream()
            .map((c) -> new JobOutcome(c.job().id(), c.lease(), JobTransition.succeeded(),
                    new JobReport(100, null, List.of("done")), NOW))
            .toList());
        assertThat(refused).containsOnlyKeys(untyped);
        assertThat(store.find(written).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(redis.opsForHash().entries(store.jobKey(untyped))).containsEntry("status", "RUNNING")
            .containsEntry("progress", "0")
            .containsKey("lease_expires_at");
        assertThat(redis.opsForZSet().score(prefix + "{jobs}:running", untyped.toString())).isNotNull();
    }

    /** A connection factory whose connections record the scripts they run. */
    private static RedisConnectionFactory counting(RedisConnectionFactory factory, List<String> calls) {
        return proxy(factory, (method, result) -> {
            String name = method.getName();
            if (name.equals("getConnection") || name.equals("getClusterConnection")) {
                return proxy(result, (command, reply) -> {
                    if (command.getName().equals("scriptingCommands")) {
                        return proxy(reply, (scripting, answer) -> {
                            if (scripting.getName().startsWith("eval")) {
                                calls.add(scripting.getName());
                            }
                            return answer;
                        });
                    }
                    if (command.getName().startsWith("eval")) {
                        calls.add(command.getName());
                    }
                    return reply;
                });
            }
            return result;
        });
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(T target, java.util.function.BiFunction<Method, Object, Object> after) {
        return (T) Proxy.newProxyInstance(RedisJobStoreTests.class.getClassLoader(),
                ClassUtils.getAllInterfaces(target), (proxy, method, arguments) -> {
                    try {
                        return after.apply(method, method.invoke(target, arguments));
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                });
    }
}
