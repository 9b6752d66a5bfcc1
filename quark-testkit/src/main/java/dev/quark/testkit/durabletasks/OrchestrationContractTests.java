package dev.quark.testkit.durabletasks;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.DurableTask;
import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.EventTimeoutException;
import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.InstanceIdReusePolicy;
import dev.quark.durabletasks.NonDeterministicOrchestrationException;
import dev.quark.durabletasks.Orchestration;
import dev.quark.durabletasks.OrchestrationAlreadyExistsException;
import dev.quark.durabletasks.OrchestrationBlockedException;
import dev.quark.durabletasks.OrchestrationCancelledException;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.OrchestrationDefinition;
import dev.quark.durabletasks.OrchestrationNotFoundException;
import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.OrchestrationState;
import dev.quark.durabletasks.OrchestrationStateException;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.ParentClosePolicy;
import dev.quark.durabletasks.PayloadConversionException;
import dev.quark.durabletasks.QueryFailedException;
import dev.quark.durabletasks.RetryOptions;
import dev.quark.durabletasks.ScheduleOptions;
import dev.quark.durabletasks.SubOrchestrationOptions;
import dev.quark.durabletasks.TaskFailedException;
import dev.quark.durabletasks.TaskName;
import dev.quark.durabletasks.UnknownActivityException;
import dev.quark.durabletasks.UnknownOrchestrationException;
import dev.quark.durabletasks.UnknownQueryException;
import dev.quark.durabletasks.client.InstanceUpdates;
import dev.quark.durabletasks.client.StoreDurableTaskClient;
import dev.quark.durabletasks.history.EventRaised;
import dev.quark.durabletasks.history.ExecutionCancelRequested;
import dev.quark.durabletasks.history.ExecutionResumed;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.ExecutionSuspended;
import dev.quark.durabletasks.history.ExecutionTerminated;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.TaskCompleted;
import dev.quark.durabletasks.history.TaskScheduled;
import dev.quark.durabletasks.history.TimerCreated;
import dev.quark.durabletasks.payload.JacksonPayloadConverter;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.DurableTaskResources;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.HistoryConflictException;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.worker.DurableTaskMetrics;
import dev.quark.durabletasks.worker.DurableTaskWorker;
import dev.quark.lease.LeaseStore;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Orchestrations run by workers on a store, end to end, so that every store (the in-memory one, PostgreSQL, yours)
 * is held to the same behaviour: replay after a worker crashed, between activities and inside one, with each activity
 * result recorded once; durable timers across restarts; external events with timeouts; fan-out and fan-in;
 * sub-orchestrations; continue-as-new; versioning; non-determinism reported with both sides; termination, purge and
 * listing; retries; and clear, typed errors for bad input.
 * <p>
 * Workers run in virtual time: one {@link ManualClock} per test, and a {@link ManualScheduler} per worker ("node"),
 * so that {@link Node#run()} runs an orchestration as far as it can go and {@link Node#advance} fires timers and
 * retries. A node stops at a crash by not being driven any more. Subclass it with the store and the lease store:
 * <pre>{@code
 * class MyOrchestrationTests extends OrchestrationContractTests {
 *     protected DurableTaskStore store() { return this.store; }
 *     protected LeaseStore leaseStore(Clock clock) { return new InMemoryLeaseStore(clock); }
 * }
 * }</pre>
 * A lease store on a server decides expiry on the server's clock: override {@link #leaseDuration()} and
 * {@link #awaitExpiry(String)} to wait, bounded, for it.
 */
public abstract class OrchestrationContractTests {

    /** How often test workers poll, in virtual time. */
    protected static final Duration POLL = Duration.ofSeconds(10);

    private static final AtomicLong ids = new AtomicLong();

    /** The clock of this test. */
    protected final ManualClock clock = new ManualClock(Instant.parse("2026-05-01T08:00:00Z"));

    private final String run = Long.toHexString(System.nanoTime());

    private final PayloadConverter converter = new JacksonPayloadConverter();

    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    private @Nullable LeaseStore leases;

    /**
     * Returns the store under test; every test uses instance ids of its own.
     * @return the store
     */
    protected abstract DurableTaskStore store();

    /**
     * Returns a lease store for the workers of one test.
     * @param clock the workers' clock (the test's manual clock, or the system clock for tests in real time), which
     * the lease store computes validity with and, if it decides expiry itself, decides it with
     * @return the lease store
     */
    protected abstract LeaseStore leaseStore(Clock clock);

    /**
     * Returns how long workers' leases last; long, unless expiry is on a server's clock.
     * @return 30 seconds unless overridden
     */
    protected Duration leaseDuration() {
        return Duration.ofSeconds(30);
    }

    /**
     * Waits until a crashed worker's lease on a resource has expired, so that another worker may take the work: by
     * default moves the test's clock past the lease duration, which expires it on a lease store using that clock.
     * @param resource the resource
     */
    protected void awaitExpiry(String resource) {
        this.clock.advance(leaseDuration());
        assertThat(isLeased(resource)).as("a lease on " + resource).isFalse();
    }

    /**
     * Returns whether a worker holds a lease on a resource now: asks the lease store, unless the store keeps leases
     * on its own records ({@code DurableTaskStore.rowLeases()}), when a subclass answers from them.
     * @param resource the resource ({@code DurableTaskResources})
     * @return whether it is leased
     */
    protected boolean isLeased(String resource) {
        return leases().holder(resource).isPresent();
    }

    private LeaseStore leases() {
        LeaseStore store = this.leases;
        if (store == null) {
            store = leaseStore(this.clock);
            this.leases = store;
        }
        return store;
    }

    @AfterEach
    void closeNodes() throws Exception {
        List<AutoCloseable> toClose = new ArrayList<>(this.closeAfter);
        Collections.reverse(toClose);
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    /**
     * Returns an instance id no other test uses.
     * @param name what the instance is for
     * @return the id
     */
    protected String newInstanceId(String name) {
        return "orch-" + this.run + "-" + name + "-" + ids.incrementAndGet();
    }

    // ---- replay and crashes

    @Test
    void aSequenceOfActivitiesCompletesWithEachActivityRunOnce() {
        Fixture fixture = new Fixture();
        Node node = node("node-a", fixture.registry());
        String id = node.client.schedule(Sequence.class, "order-1", ScheduleOptions.instanceId(newInstanceId("sequence")));
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("order-1:reserved:charged:shipped");
        assertThat(fixture.runs).containsExactly(Map.entry("reserve", 1), Map.entry("charge", 1), Map.entry("ship", 1));
        List<HistoryEvent> history = node.client.getHistory(id);
        assertThat(history).filteredOn(TaskScheduled.class::isInstance).hasSize(3);
        assertThat(history).filteredOn(TaskCompleted.class::isInstance).hasSize(3);
    }

    @Test
    void aNewWorkerReplaysTheHistoryAfterACrashBetweenActivitiesAndRecordsEachResultOnce() {
        Fixture fixture = new Fixture();
        CrashableStore crashing = new CrashableStore(store());
        crashing.afterActivityCompleted(crashing::crash);
        Node first = node("node-a", fixture.registry(), crashing);
        String id = first.client.schedule(Sequence.class, "order-2", ScheduleOptions.instanceId(newInstanceId("crash")));
        first.run();
        assertThat(crashing.isCrashed()).isTrue();
        assertThat(fixture.runs).containsExactly(Map.entry("reserve", 1));

        Node second = node("node-b", fixture.registry());
        second.run();
        OrchestrationState state = second.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("order-2:reserved:charged:shipped");
        assertThat(fixture.runs).containsEntry("reserve", 1).containsEntry("charge", 1).containsEntry("ship", 1);
        assertThat(second.client.getHistory(id)).filteredOn(TaskCompleted.class::isInstance)
            .extracting((event) -> ((TaskCompleted) event).taskId())
            .containsExactly(1, 2, 3);
        assertThat(second.metrics.replayedEvents).anySatisfy((events) -> assertThat(events).isPositive());
    }

    @Test
    @Timeout(120)
    void anActivityWhoseWorkerDiedRunsAgainElsewhereAndItsResultIsRecordedOnce() throws Exception {
        Fixture fixture = new Fixture();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DurableTaskRegistry stuck = fixture.registryPausing((name) -> {
            if (name.equals("charge") && started.getCount() > 0) {
                started.countDown();
                awaitQuietly(release);
            }
        });
        Node first = node("node-a", stuck);
        String id = first.client.schedule(Sequence.class, "order-3", ScheduleOptions.instanceId(newInstanceId("stuck")));
        CompletableFuture<Void> firstRun = CompletableFuture.runAsync(first::run);
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        String charge = ActivityWorkItem.id(id, 1, 2);
        assertThat(isLeased(DurableTaskResources.activity(charge))).isTrue();

        awaitExpiry(DurableTaskResources.activity(charge));
        Node second = node("node-b", fixture.registry());
        second.run();
        OrchestrationState state = second.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("order-3:reserved:charged:shipped");

        release.countDown();
        firstRun.get(60, TimeUnit.SECONDS);
        assertThat(fixture.runs).containsEntry("charge", 2).containsEntry("reserve", 1).containsEntry("ship", 1);
        assertThat(first.metrics.lost).contains("activity");
        assertThat(second.client.getHistory(id)).filteredOn(TaskCompleted.class::isInstance)
            .extracting((event) -> ((TaskCompleted) event).taskId())
            .containsExactly(1, 2, 3);
    }

    @Test
    void aWorkerOnRowLeasesRunsTheActivityCallsItsStepsScheduleWithoutClaimingThem() {
        Fixture fixture = new Fixture();
        CrashableStore counting = new CrashableStore(store());
        Node node = node("node-a", fixture.registry(), counting);
        String id = node.client.schedule(Sequence.class, "order-handed",
                ScheduleOptions.instanceId(newInstanceId("handed")));
        node.run();
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(fixture.runs).containsExactly(Map.entry("reserve", 1), Map.entry("charge", 1), Map.entry("ship", 1));
        assertThat(counting.claimedActivities()).as("activity calls claimed (none with row leases: each step's "
                + "commit leased its call to the worker)").isEqualTo(store().rowLeases().isPresent() ? 0 : 3);
    }

    @Test
    void callsBeyondTheWorkersRoomForAttemptsStayForItsClaimsAndAllComplete() {
        AtomicInteger calls = new AtomicInteger();
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("square", Integer.class, (ActivityContext ctx, Integer n) -> {
                calls.incrementAndGet();
                return n * n;
            })
            .orchestration("sum-of-squares", Integer.class, () -> (OrchestrationContext ctx, Integer count) -> {
                List<DurableTask<Integer>> squares = new ArrayList<>();
                for (int i = 1; i <= count; i++) {
                    squares.add(ctx.callActivity("square", i, Integer.class));
                }
                return ctx.allOf(squares).await().stream().mapToInt(Integer::intValue).sum();
            }));
        CrashableStore counting = new CrashableStore(store());
        Node node = node("node-a", registry, counting, (builder) -> builder.concurrency(16, 2));
        String id = node.client.schedule("sum-of-squares", 5, ScheduleOptions.instanceId(newInstanceId("room")));
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(Integer.class)).isEqualTo(55);
        assertThat(calls).hasValue(5);
        assertThat(node.client.getHistory(id)).filteredOn(TaskCompleted.class::isInstance).hasSize(5);
        assertThat(counting.claimedActivities()).as("calls claimed: those the commit could not hand to the worker")
            .isEqualTo(store().rowLeases().isPresent() ? 3 : 5);
    }

    @Test
    void callsLeasedToAWorkerKilledRightAfterItsCommitRunElsewhereOnceTheirLeasesExpire() {
        Fixture fixture = new Fixture();
        CrashableStore crashing = new CrashableStore(store());
        crashing.crashOnCommit((commit) -> !commit.activities().isEmpty());
        Node first = node("node-a", fixture.registry(), crashing);
        String id = first.client.schedule(Sequence.class, "order-killed",
                ScheduleOptions.instanceId(newInstanceId("killed")));
        first.run();
        assertThat(crashing.isCrashed()).isTrue();
        assertThat(fixture.runs).as("the killed worker ran nothing").isEmpty();
        String reserve = DurableTaskResources.activity(ActivityWorkItem.id(id, 1, 1));

        Node second = node("node-b", fixture.registry());
        if (store().rowLeases().isPresent()) {
            assertThat(isLeased(reserve)).as("the call is leased to the killed worker by its commit").isTrue();
            second.run();
            assertThat(fixture.runs).as("not taken over while its lease lasts").isEmpty();
        }
        awaitExpiry(reserve);
        second.advance(POLL);
        OrchestrationState state = second.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("order-killed:reserved:charged:shipped");
        assertThat(fixture.runs).containsExactly(Map.entry("reserve", 1), Map.entry("charge", 1), Map.entry("ship", 1));
        assertThat(second.client.getHistory(id)).filteredOn(TaskCompleted.class::isInstance)
            .extracting((event) -> ((TaskCompleted) event).taskId())
            .containsExactly(1, 2, 3);
    }

    @Test
    void replayGivesTheCodeTheSameTimeUuidsAndRandomNumbersAndSaysWhenItReplays() {
        List<String> seen = new CopyOnWriteArrayList<>();
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("deterministic", String.class,
                () -> (ctx, input) -> {
                    seen.add("replaying=" + ctx.isReplaying());
                    String values = ctx.currentTime() + "|" + ctx.newUuid() + "|" + ctx.random().nextLong();
                    seen.add(values);
                    ctx.createTimer(Duration.ofMinutes(1)).await();
                    seen.add("replaying=" + ctx.isReplaying());
                    return values + "|" + ctx.currentTime();
                }));
        Node node = node("node-a", registry, store(), (worker) -> worker.instanceCacheSize(0));
        Instant start = this.clock.instant();
        String id = node.client.schedule("deterministic", null, ScheduleOptions.instanceId(newInstanceId("determinism")));
        node.run();
        node.advance(Duration.ofMinutes(1).plus(POLL));
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(seen).hasSize(5);
        assertThat(seen.get(0)).isEqualTo("replaying=false");
        assertThat(seen.get(2)).isEqualTo("replaying=true");
        assertThat(seen.get(3)).isEqualTo(seen.get(1));
        assertThat(seen.get(4)).isEqualTo("replaying=false");
        String[] parts = Objects.requireNonNull(state.readOutput(String.class)).split("\\|");
        assertThat(Instant.parse(parts[0])).isEqualTo(start);
        assertThat(UUID.fromString(parts[1])).isNotNull();
        assertThat(Instant.parse(parts[3])).isAfterOrEqualTo(start.plus(Duration.ofMinutes(1)));
    }

    // ---- the worker's claims

    @Test
    @Timeout(120)
    void aFailedLookForStepsDoesNotKeepThatPollFromClaimingActivityCalls() {
        Fixture fixture = new Fixture();
        CrashableStore store = new CrashableStore(store());
        CountDownLatch firstActivityLook = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean();
        AtomicBoolean failNextStepLook = new AtomicBoolean();
        AtomicInteger failedLooks = new AtomicInteger();
        // The activity call is claimed by a poll, not leased to the worker in the commit that queues it.
        store.leaseNoCallsInCommits();
        store.afterActivityClaim(firstActivityLook::countDown);
        store.beforeCommit((commit) -> {
            // The first step's commit waits until its own poll looked for activity calls (none yet), so that its
            // activity call can only be claimed by the next poll, whose look for steps fails.
            awaitQuietly(firstActivityLook);
            if (armed.compareAndSet(false, true)) {
                failNextStepLook.set(true);
            }
        });
        store.beforeStepClaim(() -> {
            if (failNextStepLook.compareAndSet(true, false)) {
                failedLooks.incrementAndGet();
                throw new IllegalStateException("The store cannot be reached (once)");
            }
        });
        Node node = node("node-a", fixture.registry(), store);
        String id = node.client.schedule(Sequence.class, "order-claims",
                ScheduleOptions.instanceId(newInstanceId("failed-claim")));
        node.run();
        assertThat(failedLooks).as("a look for steps failed").hasValue(1);
        assertThat(fixture.runs).as("the poll whose look for steps failed still claimed the activity call, whose end "
                + "woke the worker: nothing waited for the next poll interval")
            .containsExactly(Map.entry("reserve", 1), Map.entry("charge", 1), Map.entry("ship", 1));
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
    }

    @Test
    @Timeout(120)
    void aStepThatOverlapsTheInstancesEarlierStepIsStillStoppedWithTheWorkerAfterTheEarlierStepEnds()
            throws Exception {
        assumeTrue(store().rowLeases().isPresent(),
                "only a row lease is freed by a step's commit before the step's thread ends");
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("overlapping", String.class,
                () -> (ctx, input) -> {
                    String first = ctx.waitForExternalEvent("first", String.class).await();
                    String second = ctx.waitForExternalEvent("second", String.class).await();
                    return first + second;
                }));
        CountDownLatch firstStepRecorded = new CountDownLatch(1);
        CountDownLatch releaseFirstStep = new CountDownLatch(1);
        CountDownLatch secondStepRecorded = new CountDownLatch(1);
        CountDownLatch releaseSecondStep = new CountDownLatch(1);
        AtomicBoolean secondStepInterrupted = new AtomicBoolean();
        AtomicInteger steps = new AtomicInteger();
        // The instance listener runs on a step's thread after its commit, which freed the instance's lease.
        Node node = node("node-a", registry, store(), (worker) -> worker.instanceListener((instanceId) -> {
            int step = steps.incrementAndGet();
            if (step == 2) {
                firstStepRecorded.countDown();
                awaitQuietly(releaseFirstStep);
            }
            else if (step == 3) {
                secondStepRecorded.countDown();
                try {
                    releaseSecondStep.await(60, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    secondStepInterrupted.set(true);
                }
            }
        }));
        String id = node.client.schedule("overlapping", null, ScheduleOptions.instanceId(newInstanceId("overlap")));
        node.run();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            node.client.raiseEvent(id, "first", "a");
            Future<?> firstRun = threads.submit(node::run);
            assertThat(firstStepRecorded.await(30, TimeUnit.SECONDS)).as("the first step committed").isTrue();
            node.client.raiseEvent(id, "second", "b");
            Future<?> secondRun = threads.submit(node::run);
            assertThat(secondStepRecorded.await(30, TimeUnit.SECONDS))
                .as("the second step ran while the first step's thread still ran").isTrue();
            releaseFirstStep.countDown();
            firstRun.get(30, TimeUnit.SECONDS);

            node.worker().close();
            await("closing the worker interrupts the second step, still known as running after the first ended")
                .atMost(Duration.ofSeconds(10))
                .untilTrue(secondStepInterrupted);
            releaseSecondStep.countDown();
            secondRun.get(30, TimeUnit.SECONDS);
        }
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
    }

    @Test
    @Timeout(120)
    void aWorkerWhoseClockRunsFarAheadDoesNotTakeOverALiveLease() throws Exception {
        assumeTrue(store().rowLeases().isPresent(), "leases on the store's rows expire on the store's clock");
        Fixture fixture = new Fixture();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DurableTaskRegistry stuck = fixture.registryPausing((name) -> {
            if (name.equals("charge") && started.getCount() > 0) {
                started.countDown();
                awaitQuietly(release);
            }
        });
        Node first = node("node-a", stuck);
        String id = first.client.schedule(Sequence.class, "order-skew", ScheduleOptions.instanceId(newInstanceId("skew")));
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> firstRun = threads.submit(first::run);
            assertThat(started.await(30, TimeUnit.SECONDS)).as("the charge runs on the first worker").isTrue();

            this.clock.advance(Duration.ofDays(1));
            Node second = node("node-b", fixture.registry());
            second.run();
            assertThat(fixture.runs).as("a worker whose clock is a day ahead took no live lease")
                .doesNotContainKey("charge");

            release.countDown();
            firstRun.get(60, TimeUnit.SECONDS);
        }
        // the first node's run set the clock back to where it started: move it past the charge's completion
        first.advance(Duration.ofDays(1).plus(POLL));
        OrchestrationState state = first.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(fixture.runs).containsEntry("reserve", 1).containsEntry("charge", 1).containsEntry("ship", 1);
    }

    // ---- the instance cache

    @Test
    void aKeptInstanceContinuesWithoutReplayingAndOneAdvancedByAnotherWorkerIsReplayed() {
        AtomicInteger runs = new AtomicInteger();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        DurableTaskRegistry registry = counted(runs, threads);
        Node first = node("node-a", registry);
        String id = first.client.schedule("counted", "order-40", ScheduleOptions.instanceId(newInstanceId("kept")));
        first.run();
        first.client.raiseEvent(id, "go", "1");
        first.run();
        assertThat(runs).as("the code ran once for two steps").hasValue(1);
        assertThat(first.metrics.replayedEvents).containsExactly(0, 0);
        assertThat(first.metrics.cache).containsExactly("miss", "hit");
        assertThat(first.worker.cachedInstances()).isEqualTo(1);

        Node second = node("node-b", registry);
        second.client.raiseEvent(id, "go", "2");
        second.run();
        assertThat(runs).as("another worker replays").hasValue(2);
        assertThat(second.metrics.replayedEvents).singleElement().satisfies((events) -> assertThat(events).isPositive());

        first.client.raiseEvent(id, "go", "3");
        first.run();
        assertThat(runs).as("the first worker's copy is out of date: it replays").hasValue(3);
        assertThat(first.metrics.cache).containsExactly("miss", "hit", "miss");
        assertThat(first.metrics.replayedEvents.get(2)).isPositive();
        OrchestrationState state = first.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("order-40:1:2:3");
        assertThat(first.worker.cachedInstances()).isZero();
        await("the out-of-date copy's thread ends").atMost(Duration.ofSeconds(10))
            .until(() -> !threads.get(0).isAlive() && !threads.get(2).isAlive());
        second.close();
        await("the threads of every copy end").atMost(Duration.ofSeconds(10))
            .until(() -> threads.stream().noneMatch(Thread::isAlive));
    }

    @Test
    void withRoomForOneInstanceTwoInstancesTakingTurnsEvictEachOtherAndBothComplete() {
        AtomicInteger runs = new AtomicInteger();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        Node node = node("node-a", counted(runs, threads), store(), (worker) -> worker.instanceCacheSize(1));
        String x = node.client.schedule("counted", "x", ScheduleOptions.instanceId(newInstanceId("evicted-x")));
        node.run();
        String y = node.client.schedule("counted", "y", ScheduleOptions.instanceId(newInstanceId("evicted-y")));
        node.run();
        for (int i = 1; i <= 3; i++) {
            node.client.raiseEvent(x, "go", "x" + i);
            node.run();
            node.client.raiseEvent(y, "go", "y" + i);
            node.run();
        }
        assertThat(node.client.getState(x).orElseThrow().readOutput(String.class)).isEqualTo("x:x1:x2:x3");
        assertThat(node.client.getState(y).orElseThrow().readOutput(String.class)).isEqualTo("y:y1:y2:y3");
        assertThat(node.metrics.cache).filteredOn("evicted"::equals).hasSize(5);
        assertThat(node.metrics.cache).as("only y's last step finds it kept: x's last step did not keep x")
            .filteredOn("hit"::equals)
            .hasSize(1);
        assertThat(runs).as("every other step replays").hasValue(7);
        assertThat(node.worker.cachedInstances()).isZero();
        await("the threads of evicted and completed instances end").atMost(Duration.ofSeconds(10))
            .until(() -> threads.stream().noneMatch(Thread::isAlive));
    }

    @Test
    void aKeptInstanceThatIsTerminatedOrCancelledEndsItsThreadAndAQueryStillReplays() {
        AtomicInteger runs = new AtomicInteger();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        Node node = node("node-a", counted(runs, threads));
        String terminated = node.client.schedule("counted", "t", ScheduleOptions.instanceId(newInstanceId("kept-t")));
        String cancelled = node.client.schedule("counted", "c", ScheduleOptions.instanceId(newInstanceId("kept-c")));
        node.run();
        node.client.raiseEvent(cancelled, "go", "1");
        node.run();
        assertThat(node.worker.cachedInstances()).isEqualTo(2);
        assertThat(node.client.query(cancelled, "received", null, Integer.class)).isEqualTo(1);
        node.client.terminate(terminated, "enough");
        node.client.cancel(cancelled, "no more");
        node.run();
        assertThat(node.client.getState(terminated).orElseThrow().status()).isEqualTo(OrchestrationStatus.TERMINATED);
        OrchestrationState state = node.client.getState(cancelled).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("c:1:cancelled");
        assertThat(runs).as("one run per instance, and the query's replay").hasValue(3);
        assertThat(node.worker.cachedInstances()).isZero();
        await("the threads of both instances end").atMost(Duration.ofSeconds(10))
            .until(() -> threads.stream().noneMatch(Thread::isAlive));
    }

    @Test
    @Timeout(60)
    void codeThatSetsItsInterruptFlagBeforeAwaitingIsKeptWithoutRepeatingDecisionsAndEndsAsWhenReplayed() {
        String kept = interruptingRun(10);
        String replayed = interruptingRun(0);
        assertThat(kept).isEqualTo(replayed).isEqualTo("in|in1:shipped:true|in2:shipped:true|in3:shipped:true");
    }

    /**
     * Runs an orchestration that sets its thread's interrupt flag before each await, over six steps, with an instance
     * cache of the size, and returns its output after checking that its history repeats no decision.
     */
    private String interruptingRun(int cacheSize) {
        Fixture fixture = new Fixture();
        DurableTaskRegistry registry = fixture.registryWith((builder) -> builder.orchestration("interrupting",
                String.class, () -> (OrchestrationContext ctx, String input) -> {
                    StringBuilder output = new StringBuilder(input);
                    for (int i = 1; i <= 3; i++) {
                        Thread.currentThread().interrupt();
                        String shipped = ctx.callActivity("ship", input + i, String.class).await();
                        output.append('|').append(shipped).append(':').append(Thread.interrupted());
                        Thread.currentThread().interrupt();
                        ctx.createTimer(Duration.ofMinutes(1)).await();
                    }
                    Thread.interrupted();
                    return output.toString();
                }));
        Node node = node("node-a", registry, store(), (worker) -> worker.instanceCacheSize(cacheSize));
        String id = node.client.schedule("interrupting", "in",
                ScheduleOptions.instanceId(newInstanceId("interrupting-" + cacheSize)));
        node.run();
        for (int i = 0; i < 3; i++) {
            node.advance(Duration.ofMinutes(1).plus(POLL));
        }
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).as("cache size %d: %s", cacheSize, state.failure())
            .isEqualTo(OrchestrationStatus.COMPLETED);
        List<HistoryEvent> history = node.client.getHistory(id);
        assertThat(history).filteredOn(TaskScheduled.class::isInstance)
            .extracting((event) -> ((TaskScheduled) event).taskId())
            .containsExactly(1, 3, 5);
        assertThat(history).filteredOn(TimerCreated.class::isInstance)
            .extracting((event) -> ((TimerCreated) event).taskId())
            .containsExactly(2, 4, 6);
        assertThat(fixture.runs).containsExactly(Map.entry("ship", 3));
        if (cacheSize > 0) {
            assertThat(node.metrics.cache).as("every step after the first continues the kept code")
                .containsExactly("miss", "hit", "hit", "hit", "hit", "hit", "hit");
        }
        return Objects.requireNonNull(state.readOutput(String.class));
    }

    @Test
    void aRefusedCommitReleasesTheKeptCodeAndTheStepIsReplayed() {
        AtomicInteger runs = new AtomicInteger();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        CrashableStore refusing = new CrashableStore(store());
        Node node = node("node-a", counted(runs, threads), refusing);
        String id = node.client.schedule("counted", "r", ScheduleOptions.instanceId(newInstanceId("refused")));
        node.run();
        assertThat(node.worker.cachedInstances()).isEqualTo(1);
        AtomicInteger refused = new AtomicInteger();
        refusing.beforeCommit((commit) -> {
            if (refused.getAndIncrement() == 0) {
                throw new HistoryConflictException(commit.instanceId(), commit.expectedHistoryLength(),
                        commit.expectedHistoryLength() + 1);
            }
        });
        node.client.raiseEvent(id, "go", "1");
        node.run();
        node.advance(POLL);
        assertThat(refused).as("refused, then the step's messages were taken again").hasValue(2);
        assertThat(node.metrics.lost).containsExactly("orchestration");
        assertThat(runs).as("the step that was not recorded is replayed").hasValue(2);
        await("the released code's thread ends").atMost(Duration.ofSeconds(10))
            .until(() -> !threads.get(0).isAlive());
        assertThat(node.worker.cachedInstances()).as("the replayed code is kept").isEqualTo(1);
        node.client.raiseEvent(id, "go", "2");
        node.run();
        node.client.raiseEvent(id, "go", "3");
        node.run();
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("r:1:2:3");
        assertThat(node.client.getHistory(id)).filteredOn(EventRaised.class::isInstance).hasSize(3);
        assertThat(runs).hasValue(2);
    }

    @Test
    void aKeptInstanceThatIsSuspendedAndResumedIsReplayedAndCompletes() {
        AtomicInteger runs = new AtomicInteger();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        Node node = node("node-a", counted(runs, threads));
        String id = node.client.schedule("counted", "s", ScheduleOptions.instanceId(newInstanceId("kept-s")));
        node.run();
        node.client.raiseEvent(id, "go", "1");
        node.run();
        assertThat(node.worker.cachedInstances()).isEqualTo(1);
        node.client.suspend(id, "wait");
        node.run();
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.SUSPENDED);
        assertThat(node.worker.cachedInstances()).as("the suspension released the code").isZero();
        node.client.raiseEvent(id, "go", "2");
        node.run();
        assertThat(runs).as("nothing runs while suspended").hasValue(1);
        node.client.resume(id, "go on");
        node.run();
        node.client.raiseEvent(id, "go", "3");
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("s:1:2:3");
        assertThat(runs).as("replayed once after the resumption").hasValue(2);
        await("the threads of both runs end").atMost(Duration.ofSeconds(10))
            .until(() -> threads.stream().noneMatch(Thread::isAlive));
    }

    @Test
    @Timeout(60)
    void keptCodeThatBlocksInItsNextStepFailsTheInstanceAndItsThreadEnds() {
        List<Thread> threads = new CopyOnWriteArrayList<>();
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("blocking-later", String.class,
                () -> (OrchestrationContext ctx, String input) -> {
                    threads.add(Thread.currentThread());
                    ctx.waitForExternalEvent("go", String.class).await();
                    Thread.sleep(Duration.ofMinutes(5));
                    return "woke";
                }));
        Node node = node("node-a", registry, store(), (worker) -> worker.stepTimeout(Duration.ofMillis(300)));
        String id = node.client.schedule("blocking-later", null,
                ScheduleOptions.instanceId(newInstanceId("kept-blocked")));
        node.run();
        assertThat(node.worker.cachedInstances()).isEqualTo(1);
        node.client.raiseEvent(id, "go", "1");
        node.run();
        assertThat(node.metrics.cache).containsExactly("miss", "hit");
        FailureDetails failure = Objects.requireNonNull(node.client.getState(id).orElseThrow().failure());
        assertThat(failure.isCausedBy(OrchestrationBlockedException.class)).isTrue();
        assertThat(failure.message()).contains("Thread.sleep");
        assertThat(node.worker.cachedInstances()).isZero();
        await("the blocked code's thread ends").atMost(Duration.ofSeconds(10))
            .until(() -> threads.stream().noneMatch(Thread::isAlive));
    }

    @Test
    void keptCodeSeesTheSameTimeUuidsAndRandomNumbersAsAReplayAfterAStepBoundary() {
        List<String> seen = new CopyOnWriteArrayList<>();
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("deterministic-kept",
                String.class, () -> (OrchestrationContext ctx, String input) -> {
                    for (int i = 0; i < 3; i++) {
                        ctx.waitForExternalEvent("go", String.class).await();
                        seen.add(i + "|" + ctx.isReplaying() + "|" + ctx.currentTime() + "|" + ctx.newUuid() + "|"
                                + ctx.random().nextLong());
                    }
                    return "done";
                }));
        Node keeping = node("node-a", registry);
        String id = keeping.client.schedule("deterministic-kept", null,
                ScheduleOptions.instanceId(newInstanceId("deterministic-kept")));
        keeping.run();
        for (int i = 1; i <= 2; i++) {
            keeping.advance(Duration.ofMinutes(1));
            keeping.client.raiseEvent(id, "go", String.valueOf(i));
            keeping.run();
        }
        assertThat(keeping.metrics.cache).containsExactly("miss", "hit", "hit");
        Node replaying = node("node-b", registry, store(), (worker) -> worker.instanceCacheSize(0));
        replaying.advance(Duration.ofMinutes(1));
        replaying.client.raiseEvent(id, "go", "3");
        replaying.run();
        assertThat(replaying.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(seen).hasSize(5);
        assertThat(seen.get(0)).startsWith("0|false|");
        assertThat(seen.get(1)).startsWith("1|false|");
        assertThat(seen.get(2)).isEqualTo(seen.get(0).replace("|false|", "|true|"));
        assertThat(seen.get(3)).isEqualTo(seen.get(1).replace("|false|", "|true|"));
        assertThat(seen.get(4)).startsWith("2|false|");
        assertThat(seen.stream().map((line) -> line.split("\\|")[2]).distinct()).as("every step has its own time")
            .hasSize(3);
    }

    @Test
    void closingTheWorkerWaitsForTheReleasedCodeToUnwind() {
        AtomicInteger unwound = new AtomicInteger();
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("unwinding", String.class,
                () -> (OrchestrationContext ctx, String input) -> {
                    try {
                        return ctx.waitForExternalEvent("go", String.class).await();
                    }
                    finally {
                        // the context is released here: the code unwinds, and takes its time doing so
                        Thread.sleep(200);
                        unwound.incrementAndGet();
                    }
                }));
        Node node = node("node-a", registry);
        node.client.schedule("unwinding", null, ScheduleOptions.instanceId(newInstanceId("unwinding")));
        node.run();
        assertThat(node.worker.cachedInstances()).isEqualTo(1);
        node.close();
        assertThat(unwound).as("the finally block ran before close returned").hasValue(1);
    }

    @Test
    void continuingAsNewRecordsTheVersionRegisteredOnTheWorkerThatRunsTheStep() {
        DurableTaskRegistry v1 = registry((builder) -> builder.orchestration(migrating(1)));
        DurableTaskRegistry v2 = registry((builder) -> builder.orchestration(migrating(2)));
        Node old = node("node-a", v1);
        String id = old.client.schedule("migrating", "start", ScheduleOptions.instanceId(newInstanceId("migrating")));
        old.run();
        assertThat(old.client.getState(id).orElseThrow().version()).isEqualTo(1);
        old.close();
        Node current = node("node-b", v2);
        current.client.raiseEvent(id, "go", "1");
        current.run();
        current.client.raiseEvent(id, "go", "2");
        current.run();
        OrchestrationState state = current.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("next:v2");
        assertThat(state.version()).as("the record follows the execution's start").isEqualTo(2);
        assertThat(current.client.getHistory(id)).filteredOn(ExecutionStarted.class::isInstance)
            .singleElement()
            .satisfies((event) -> assertThat(((ExecutionStarted) event).version()).isEqualTo(2));
    }

    @Test
    void anInstanceScheduledByAClientWithoutTheRegistryGetsTheVersionOfTheWorkerThatRunsItsFirstStep() {
        Node node = node("node-a", registry((builder) -> builder.orchestration(migrating(2))));
        DurableTaskClient schedulingOnly = new StoreDurableTaskClient(store(), this.converter, this.clock,
                (DurableTaskRegistry) null, node.worker()::wake, new InstanceUpdates());
        String id = schedulingOnly.schedule("migrating", "only", ScheduleOptions.instanceId(newInstanceId("unregistered")));
        assertThat(schedulingOnly.getState(id).orElseThrow().version()).as("not known before the first step")
            .isEqualTo(ExecutionStarted.UNKNOWN_VERSION);
        node.run();
        assertThat(schedulingOnly.getState(id).orElseThrow().version()).isEqualTo(2);
        node.client.raiseEvent(id, "go", "1");
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("only:v2");
        assertThat(node.client.getHistory(id)).filteredOn(ExecutionStarted.class::isInstance)
            .singleElement()
            .satisfies((event) -> assertThat(((ExecutionStarted) event).version()).isEqualTo(2));
    }

    @Test
    void aFirstStepThatContinuesAsNewLeavesTheRecordWithTheNextExecutionsVersionAndAQueryStartsItSo() {
        CrashableStore crashing = new CrashableStore(store());
        crashing.crashOnCommit(OrchestrationCommit::continueAsNew);
        DurableTaskRegistry v2 = registry((builder) -> builder.orchestration(migrating(2)));
        Node node = node("node-a", v2, crashing);
        DurableTaskClient schedulingOnly = new StoreDurableTaskClient(store(), this.converter, this.clock,
                (DurableTaskRegistry) null, node.worker()::wake, new InstanceUpdates());
        String id = schedulingOnly.schedule("migrating", "start", ScheduleOptions.instanceId(newInstanceId("first-can")));
        schedulingOnly.raiseEvent(id, "go", "1");
        node.run();
        assertThat(crashing.isCrashed()).as("stopped right after the continue-as-new").isTrue();
        Node other = node("node-b", v2);
        OrchestrationState continued = other.client.getState(id).orElseThrow();
        assertThat(continued.status()).isEqualTo(OrchestrationStatus.CONTINUED_AS_NEW);
        assertThat(continued.version()).as("the queued start's version, never UNKNOWN_VERSION").isEqualTo(2);
        assertThat(other.client.query(id, "version", null, Integer.class)).isEqualTo(2);
    }

    @Test
    void anUnknownOrchestrationScheduledWithoutTheRegistryFailsWithVersionZeroInItsHistory() {
        Node node = node("node-a", registry((builder) -> builder.orchestration(migrating(2))));
        DurableTaskClient schedulingOnly = new StoreDurableTaskClient(store(), this.converter, this.clock,
                (DurableTaskRegistry) null, node.worker()::wake, new InstanceUpdates());
        String id = schedulingOnly.schedule("ghost", "x", ScheduleOptions.instanceId(newInstanceId("ghost")));
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.FAILED);
        assertThat(Objects.requireNonNull(state.failure()).message()).contains("ghost");
        assertThat(state.version()).isZero();
        assertThat(node.client.getHistory(id)).filteredOn(ExecutionStarted.class::isInstance)
            .singleElement()
            .satisfies((event) -> assertThat(((ExecutionStarted) event).version()).as("never UNKNOWN_VERSION")
                .isZero());
    }

    /**
     * The orchestration {@code migrating} of a version: waits for {@code go}, then continues as new with the input
     * {@code next} once, and returns its input with the version it was recorded with.
     */
    private static OrchestrationDefinition migrating(int version) {
        return new OrchestrationDefinition("migrating", String.class, String.class,
                () -> (OrchestrationContext ctx, String input) -> {
                    int recorded = ctx.orchestrationVersion();
                    ctx.setQueryHandler("version", () -> recorded);
                    ctx.waitForExternalEvent("go", String.class).await();
                    if (input.equals("start")) {
                        ctx.continueAsNew("next");
                    }
                    return input + ":v" + ctx.orchestrationVersion();
                }, version);
    }

    /**
     * Returns a registry with the orchestration {@code counted}: it takes three {@code go} events and returns its
     * input with them; a cancellation ends it with {@code cancelled}. It counts its runs and notes their threads, and
     * answers the query {@code received}.
     */
    private DurableTaskRegistry counted(AtomicInteger runs, List<Thread> threads) {
        return registry((builder) -> builder.orchestration("counted", String.class,
                () -> (OrchestrationContext ctx, String input) -> {
                    runs.incrementAndGet();
                    threads.add(Thread.currentThread());
                    List<String> received = new ArrayList<>();
                    ctx.setQueryHandler("received", received::size);
                    StringBuilder output = new StringBuilder(input);
                    try {
                        for (int i = 0; i < 3; i++) {
                            String go = ctx.waitForExternalEvent("go", String.class).await();
                            received.add(go);
                            output.append(':').append(go);
                        }
                    }
                    catch (OrchestrationCancelledException ex) {
                        output.append(":cancelled");
                    }
                    return output.toString();
                }));
    }

    // ---- cancellation

    @Test
    void aCancelledOrchestrationObservesTheRequestCompensatesAndCompletes() {
        Fixture fixture = new Fixture();
        DurableTaskRegistry registry = fixture.registryWith((builder) -> builder.orchestration("cancellable",
                String.class, () -> (ctx, input) -> {
                    String reserved = ctx.callActivity("reserve", input, String.class).await();
                    try {
                        ctx.waitForExternalEvent("approved", Approval.class, Duration.ofHours(1)).await();
                        return reserved + ":approved";
                    }
                    catch (OrchestrationCancelledException ex) {
                        String undone = ctx.callActivity("ship", reserved + ":undo", String.class).await();
                        return undone + ":" + ctx.isCancellationRequested();
                    }
                }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("cancellable", "order-20",
                ScheduleOptions.instanceId(newInstanceId("cancelled")));
        node.run();
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.RUNNING);
        node.client.cancel(id, "customer changed their mind");
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("order-20:reserved:undo:shipped:true");
        assertThat(node.client.getHistory(id)).filteredOn(ExecutionCancelRequested.class::isInstance)
            .singleElement()
            .satisfies((event) -> assertThat(((ExecutionCancelRequested) event).reason())
                .isEqualTo("customer changed their mind"));
        node.advance(Duration.ofHours(1).plus(POLL));
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class))
            .isEqualTo("order-20:reserved:undo:shipped:true");
    }

    @Test
    void codeThatDoesNotHandleACancellationFailsWithItWhileATerminationStopsAtOnce() {
        Node node = node("node-a", approvals());
        String cancelled = node.client.schedule("approval", "order-21",
                ScheduleOptions.instanceId(newInstanceId("cancel-uncaught")));
        String terminated = node.client.schedule("approval", "order-22",
                ScheduleOptions.instanceId(newInstanceId("terminate")));
        node.run();
        node.client.cancel(cancelled, "no longer needed");
        node.client.terminate(terminated, "stop now");
        node.run();
        OrchestrationState failed = node.client.getState(cancelled).orElseThrow();
        assertThat(failed.status()).isEqualTo(OrchestrationStatus.FAILED);
        assertThat(Objects.requireNonNull(failed.failure()).type())
            .isEqualTo(OrchestrationCancelledException.class.getName());
        assertThat(Objects.requireNonNull(failed.failure()).message()).contains("was cancelled: no longer needed");
        assertThat(node.client.getHistory(cancelled)).hasAtLeastOneElementOfType(ExecutionCancelRequested.class);
        OrchestrationState stopped = node.client.getState(terminated).orElseThrow();
        assertThat(stopped.status()).isEqualTo(OrchestrationStatus.TERMINATED);
        assertThat(node.client.getHistory(terminated)).hasAtLeastOneElementOfType(ExecutionTerminated.class)
            .doesNotHaveAnyElementsOfTypes(ExecutionCancelRequested.class);
        assertThatExceptionOfType(OrchestrationStateException.class)
            .isThrownBy(() -> node.client.cancel(cancelled, "again"))
            .withMessageContaining("FAILED");
        assertThatExceptionOfType(OrchestrationNotFoundException.class)
            .isThrownBy(() -> node.client.cancel(newInstanceId("nobody"), null));
    }

    // ---- custom status, signal-with-start, id reuse

    @Test
    void theCustomStatusTheCodeSetsIsReadByTheClientAndStaysUntilSetAgain() {
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("staged", String.class,
                () -> (ctx, input) -> {
                    ctx.setCustomStatus(new Stage("waiting", 1));
                    String go = ctx.waitForExternalEvent("go", String.class).await();
                    ctx.setCustomStatus(new Stage("done", 2));
                    return go;
                }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("staged", null, ScheduleOptions.instanceId(newInstanceId("custom-status")));
        assertThat(node.client.getState(id).orElseThrow().customStatus()).isNull();
        node.run();
        OrchestrationState waiting = node.client.getState(id).orElseThrow();
        assertThat(waiting.readCustomStatus(Stage.class)).isEqualTo(new Stage("waiting", 1));
        node.client.raiseEvent(id, "go", "now");
        node.run();
        OrchestrationState done = node.client.getState(id).orElseThrow();
        assertThat(done.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(done.readCustomStatus(Stage.class)).isEqualTo(new Stage("done", 2));
        assertThat(done.customStatus()).isEqualTo("{\"name\":\"done\",\"step\":2}");
        assertThatExceptionOfType(PayloadConversionException.class)
            .isThrownBy(() -> done.readCustomStatus(Integer.class))
            .withMessageContaining("the custom status of orchestration 'staged'");
    }

    @Test
    void queriesAreAnsweredByTheCodeFromTheHistoryWithoutRunningOrWritingAnything() {
        AtomicInteger charges = new AtomicInteger();
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("charge", String.class, (ActivityContext ctx, String input) -> {
                charges.incrementAndGet();
                return input + ":charged";
            })
            .orchestration("inspected", String.class, Inspected::new));
        Node node = node("node-a", registry);
        String id = node.client.schedule("inspected", "order-30", ScheduleOptions.instanceId(newInstanceId("queried")));
        node.run();
        int length = node.client.getHistory(id).size();
        assertThat(node.client.query(id, "stage", null, String.class)).isEqualTo("order-30:charged");
        assertThat(node.client.query(id, "approvedAtLeast", 1, Boolean.class)).isFalse();
        node.client.raiseEvent(id, "approve", "ann");
        node.run();
        assertThat(node.client.query(id, "approvedAtLeast", 1, Boolean.class)).isTrue();
        assertThat(node.client.query(id, "approvedAtLeast", 2, Boolean.class)).isFalse();
        int afterApproval = node.client.getHistory(id).size();
        assertThat(node.client.query(id, "stage", null, String.class)).isEqualTo("order-30:charged");
        assertThat(node.client.getHistory(id)).as("a query writes nothing").hasSize(afterApproval);
        assertThat(afterApproval).isGreaterThan(length);
        assertThat(charges).as("a query runs no activity").hasValue(1);

        assertThatExceptionOfType(UnknownQueryException.class)
            .isThrownBy(() -> node.client.query(id, "total", null, String.class))
            .withMessage("Orchestration 'inspected' instance '" + id + "' answers no query 'total'; it answers: "
                    + "[approvedAtLeast, broken, meddling, stage]");
        assertThatExceptionOfType(QueryFailedException.class)
            .isThrownBy(() -> node.client.query(id, "broken", null, String.class))
            .withMessageContaining("Query 'broken' of orchestration instance '" + id + "' failed")
            .withRootCauseInstanceOf(IllegalStateException.class);
        assertThatExceptionOfType(QueryFailedException.class).as("a handler that uses the context")
            .isThrownBy(() -> node.client.query(id, "meddling", null, String.class))
            .havingCause()
            .withMessageContaining("use it only on the thread that runs the orchestration");
        assertThatExceptionOfType(PayloadConversionException.class)
            .isThrownBy(() -> node.client.query(id, "approvedAtLeast", "many", Boolean.class))
            .withMessageContaining("the argument of query 'approvedAtLeast'");
        assertThatExceptionOfType(OrchestrationNotFoundException.class)
            .isThrownBy(() -> node.client.query(newInstanceId("nobody"), "stage", null, String.class));
        String later = node.client.schedule("inspected", "order-31", ScheduleOptions.instanceId(newInstanceId("later"))
            .withStartAt(this.clock.instant().plus(Duration.ofHours(1))));
        assertThatExceptionOfType(OrchestrationStateException.class)
            .isThrownBy(() -> node.client.query(later, "stage", null, String.class))
            .withMessageContaining("PENDING");

        node.client.raiseEvent(id, "approve", "bob");
        node.run();
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(node.client.query(id, "stage", null, String.class)).as("a finished instance").isEqualTo("approved");
        assertThat(charges).hasValue(1);
    }

    @Test
    void signalWithStartSchedulesAnInstanceThatDoesNotExistAndSignalsOneThatRuns() {
        Node node = node("node-a", approvals());
        String id = newInstanceId("signal-with-start");
        ScheduleOptions options = ScheduleOptions.instanceId(id);
        assertThat(node.client.signalWithStart("approval", "order-9", options, "approved", new Approval("bob")))
            .isEqualTo(id);
        node.run();
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("order-9 approved by bob");

        String running = newInstanceId("signal-running");
        node.client.schedule("approval", "order-10", ScheduleOptions.instanceId(running));
        node.run();
        node.client.signalWithStart("approval", "ignored", ScheduleOptions.instanceId(running), "approved",
                new Approval("cy"));
        node.run();
        OrchestrationState state = node.client.getState(running).orElseThrow();
        assertThat(state.readOutput(String.class)).isEqualTo("order-10 approved by cy");
        assertThat(state.readInput(String.class)).isEqualTo("order-10");

        assertThatExceptionOfType(OrchestrationStateException.class)
            .isThrownBy(() -> node.client.signalWithStart("approval", "again", options, "approved", new Approval("d")))
            .withMessageContaining("COMPLETED")
            .withMessageContaining("ALLOW_IF_FINISHED");
        node.client.signalWithStart("approval", "order-11",
                options.withIdReusePolicy(InstanceIdReusePolicy.ALLOW_IF_FINISHED), "approved", new Approval("dan"));
        node.run();
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("order-11 approved by dan");
        assertThatExceptionOfType(IllegalArgumentException.class)
            .isThrownBy(() -> node.client.signalWithStart("approval", null, ScheduleOptions.DEFAULTS, "approved", null))
            .withMessageContaining("needs an instance id");
    }

    @Test
    void theIdReusePolicyDecidesWhatSchedulingAnExistingIdDoes() {
        Node node = node("node-a", approvals());
        String id = newInstanceId("reuse");
        ScheduleOptions options = ScheduleOptions.instanceId(id);
        node.client.schedule("approval", "first", options);
        node.run();
        assertThat(node.client.schedule("approval", "again", options)).isEqualTo(id);
        assertThat(node.client.getState(id).orElseThrow().readInput(String.class)).isEqualTo("first");
        assertThatExceptionOfType(OrchestrationAlreadyExistsException.class)
            .isThrownBy(() -> node.client.schedule("approval", "again",
                    options.withIdReusePolicy(InstanceIdReusePolicy.REJECT)))
            .withMessage("Cannot schedule instance '" + id + "': an instance of orchestration 'approval' has that id "
                    + "and is RUNNING, which id reuse policy REJECT keeps");
        assertThatExceptionOfType(OrchestrationAlreadyExistsException.class)
            .isThrownBy(() -> node.client.schedule("approval", "again",
                    options.withIdReusePolicy(InstanceIdReusePolicy.ALLOW_IF_FINISHED)))
            .withMessageContaining("is RUNNING, which id reuse policy ALLOW_IF_FINISHED keeps");

        node.client.raiseEvent(id, "approved", new Approval("eve"));
        node.run();
        node.client.schedule("approval", "second", options.withIdReusePolicy(InstanceIdReusePolicy.ALLOW_IF_FINISHED));
        OrchestrationState replaced = node.client.getState(id).orElseThrow();
        assertThat(replaced.status()).isEqualTo(OrchestrationStatus.PENDING);
        assertThat(replaced.readInput(String.class)).isEqualTo("second");
        assertThat(node.client.getHistory(id)).isEmpty();
    }

    @Test
    @Timeout(60)
    void terminateIfRunningTerminatesTheRunningInstanceThenReplacesIt() throws Exception {
        Node node = node("node-a", approvals());
        String id = newInstanceId("reuse-terminate");
        ScheduleOptions options = ScheduleOptions.instanceId(id);
        node.client.schedule("approval", "old", options);
        node.run();
        CompletableFuture<String> scheduled = CompletableFuture.supplyAsync(() -> node.client.schedule("approval", "new",
                options.withIdReusePolicy(InstanceIdReusePolicy.TERMINATE_IF_RUNNING)));
        await("the replacement").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            node.run();
            return scheduled.isDone();
        });
        assertThat(scheduled.get()).isEqualTo(id);
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.readInput(String.class)).isEqualTo("new");
        node.client.raiseEvent(id, "approved", new Approval("fay"));
        node.run();
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("new approved by fay");
    }

    @Test
    void listFiltersByOrchestrationNameAndCreationTimeAcrossPages() {
        DurableTaskRegistry registry = registry((builder) -> builder
            .orchestration("alpha", String.class, () -> (ctx, input) -> input)
            .orchestration("beta", String.class, () -> (ctx, input) -> input));
        Node node = node("node-a", registry);
        Instant start = this.clock.instant();
        List<String> alphas = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            alphas.add(node.client.schedule("alpha", "a" + i, ScheduleOptions.instanceId(newInstanceId("alpha"))));
            node.client.schedule("beta", "b" + i, ScheduleOptions.instanceId(newInstanceId("beta")));
            this.clock.advance(Duration.ofMinutes(1));
        }
        List<String> byName = pages(node.client, OrchestrationQuery.of(2).withName("alpha"));
        assertThat(byName).containsAll(alphas).allSatisfy((id) -> assertThat(id).contains("-alpha-"));
        List<String> inRange = pages(node.client, OrchestrationQuery.of(2, OrchestrationStatus.PENDING)
            .withName("alpha")
            .createdBetween(start.plus(Duration.ofMinutes(1)), start.plus(Duration.ofMinutes(3))));
        assertThat(inRange).containsExactlyInAnyOrder(alphas.get(1), alphas.get(2));
        assertThat(pages(node.client, OrchestrationQuery.of(2, OrchestrationStatus.COMPLETED).withName("alpha")))
            .doesNotContainAnyElementsOf(alphas);
        assertThatExceptionOfType(IllegalArgumentException.class)
            .isThrownBy(() -> OrchestrationQuery.of(2).createdBetween(start, start))
            .withMessageContaining("must be before createdTo");
        assertThatExceptionOfType(IllegalArgumentException.class)
            .isThrownBy(() -> OrchestrationQuery.of(2).withName(" "))
            .withMessageContaining("name must not be blank");
    }

    private static List<String> pages(DurableTaskClient client, OrchestrationQuery first) {
        List<String> ids = new ArrayList<>();
        OrchestrationQuery query = first;
        for (int page = 0; page < 10_000; page++) {
            List<OrchestrationState> states = client.list(query);
            states.forEach((state) -> ids.add(state.instanceId()));
            if (states.size() < query.limit()) {
                return ids;
            }
            query = query.after(states.get(states.size() - 1).instanceId());
        }
        throw new AssertionError("Too many pages");
    }

    /** A custom status. */
    public record Stage(String name, int step) {
    }

    // ---- timers and events

    @Test
    void aDurableTimerSurvivesARestartOfItsWorker() {
        Fixture fixture = new Fixture();
        DurableTaskRegistry registry = fixture.registryWith((builder) -> builder.orchestration("reminder", String.class,
                () -> (ctx, input) -> {
                    ctx.createTimer(Duration.ofHours(1)).await();
                    return ctx.callActivity("ship", input, String.class).await();
                }));
        Node first = node("node-a", registry);
        String id = first.client.schedule("reminder", "parcel", ScheduleOptions.instanceId(newInstanceId("timer")));
        first.run();
        first.close();
        Node second = node("node-b", registry);
        second.advance(Duration.ofMinutes(59));
        assertThat(second.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.RUNNING);
        assertThat(fixture.runs).isEmpty();
        second.advance(Duration.ofMinutes(1).plus(POLL));
        OrchestrationState state = second.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("parcel:shipped");
    }

    @Test
    void anExternalEventCompletesTheWait() {
        Node node = node("node-a", approvals());
        String id = node.client.schedule("approval", "order-4", ScheduleOptions.instanceId(newInstanceId("approved")));
        node.run();
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.RUNNING);
        node.client.raiseEvent(id, "approved", new Approval("ann"));
        node.run();
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("order-4 approved by ann");
    }

    @Test
    void aWaitForAnExternalEventTimesOutOnADurableTimer() {
        Node node = node("node-a", approvals());
        String id = node.client.schedule("approval", "order-5", ScheduleOptions.instanceId(newInstanceId("timeout")));
        node.run();
        node.advance(Duration.ofMinutes(59));
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.RUNNING);
        node.advance(Duration.ofMinutes(1).plus(POLL));
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class))
            .isEqualTo("order-5 timed out: External event 'approved' did not arrive within PT1H");
        assertThatExceptionOfType(OrchestrationStateException.class)
            .isThrownBy(() -> node.client.raiseEvent(id, "approved", new Approval("late")))
            .withMessageContaining(id)
            .withMessageContaining("COMPLETED");
    }

    @Test
    void anEventRaisedBeforeTheCodeWaitsForItIsKeptAndEventsOfOneNameArriveInOrder() {
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("inbox", String.class,
                () -> (ctx, input) -> {
                    ctx.createTimer(Duration.ofMinutes(1)).await();
                    String first = ctx.waitForExternalEvent("note", String.class).await();
                    String second = ctx.waitForExternalEvent("note", String.class, Duration.ZERO).await();
                    return first + "," + second;
                }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("inbox", null, ScheduleOptions.instanceId(newInstanceId("buffered")));
        node.run();
        node.client.raiseEvent(id, "note", "one");
        node.client.raiseEvent(id, "note", "two");
        node.run();
        node.advance(Duration.ofMinutes(1).plus(POLL));
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("one,two");
    }

    // ---- fan-out, fan-in, sub-orchestrations

    @Test
    void fanOutAndFanInRunActivitiesInParallelAndCombineTheirResultsInOrder() {
        AtomicInteger calls = new AtomicInteger();
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("square", Integer.class, (ActivityContext ctx, Integer n) -> {
                calls.incrementAndGet();
                return n * n;
            })
            .orchestration("sum-of-squares", Integer.class, () -> (OrchestrationContext ctx, Integer count) -> {
                List<DurableTask<Integer>> squares = new ArrayList<>();
                for (int i = 1; i <= count; i++) {
                    squares.add(ctx.callActivity("square", i, Integer.class));
                }
                List<Integer> results = ctx.allOf(squares).await();
                return results.toString() + "=" + results.stream().mapToInt(Integer::intValue).sum();
            }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("sum-of-squares", 20, ScheduleOptions.instanceId(newInstanceId("fan-out")));
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).endsWith("=2870").startsWith("[1, 4, 9, 16, 25");
        assertThat(calls).hasValue(20);
        assertThat(node.client.getHistory(id)).filteredOn(TaskCompleted.class::isInstance).hasSize(20);
    }

    @Test
    void anyOfCompletesWithTheFirstTaskAndAllOfFailsWithTheFirstFailure() {
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("fail", String.class, (ActivityContext ctx, String input) -> {
                throw new IllegalStateException("no " + input);
            })
            .activity("echo", String.class, (ActivityContext ctx, String input) -> input)
            .orchestration("race", String.class, () -> (ctx, input) -> {
                DurableTask<@Nullable Void> timer = ctx.createTimer(Duration.ofDays(1));
                DurableTask<String> echo = ctx.callActivity("echo", input, String.class);
                DurableTask<?> winner = ctx.anyOf(List.of(timer, echo)).await();
                try {
                    ctx.allOf(List.of(ctx.callActivity("echo", "x", String.class),
                            ctx.callActivity("fail", "stock", String.class))).await();
                    return "unexpected";
                }
                catch (TaskFailedException ex) {
                    return (winner == echo ? echo.await() : "timer") + "/" + ex.getTaskName() + ":"
                            + ex.getFailure().message();
                }
            }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("race", "fast", ScheduleOptions.instanceId(newInstanceId("race")));
        node.run();
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("fast/fail:no stock");
    }

    @Test
    void subOrchestrationsReturnTheirOutputOrFailTheirTask() {
        Fixture fixture = new Fixture();
        DurableTaskRegistry registry = fixture.registryWith((builder) -> builder
            .orchestration("batch", String.class, () -> (ctx, input) -> {
                String good = ctx.callSubOrchestration(Sequence.class, "good").await();
                try {
                    ctx.callSubOrchestration("Sequence", "bad", String.class).await();
                    return "unexpected";
                }
                catch (TaskFailedException ex) {
                    return good + " / " + ex.getFailure().message();
                }
            }), "bad");
        Node node = node("node-a", registry);
        String id = node.client.schedule("batch", null, ScheduleOptions.instanceId(newInstanceId("parent")));
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.readOutput(String.class)).startsWith("good:reserved:charged:shipped / Activity 'charge'")
            .contains("declined bad");
        assertThat(node.client.getState(id + ":1:1").orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(node.client.getState(id + ":1:2").orElseThrow().status()).isEqualTo(OrchestrationStatus.FAILED);
    }

    @Test
    void childrenStillRunningWhenTheirParentClosesFollowTheirParentClosePolicy() {
        Node node = node("node-a", families());
        String completing = node.client.schedule("family", "complete",
                ScheduleOptions.instanceId(newInstanceId("closing-parent")));
        String terminated = node.client.schedule("family", "stay",
                ScheduleOptions.instanceId(newInstanceId("terminated-parent")));
        node.run();
        assertThat(node.client.getState(completing + ":1:1").orElseThrow().status())
            .isEqualTo(OrchestrationStatus.RUNNING);
        node.client.raiseEvent(completing, "done", "now");
        node.client.terminate(terminated, "operator");
        node.run();
        assertThat(node.client.getState(completing).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(node.client.getState(completing + ":1:1").orElseThrow().status())
            .as("TERMINATE, the default").isEqualTo(OrchestrationStatus.TERMINATED);
        assertThat(node.client.getHistory(completing + ":1:1")).filteredOn(ExecutionTerminated.class::isInstance)
            .singleElement()
            .satisfies((event) -> assertThat(((ExecutionTerminated) event).reason())
                .isEqualTo("parent orchestration instance '" + completing + "' closed as COMPLETED"));
        OrchestrationState cancelled = node.client.getState(completing + ":1:2").orElseThrow();
        assertThat(cancelled.status()).as("REQUEST_CANCEL").isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(cancelled.readOutput(String.class)).isEqualTo("compensated cancel");
        assertThat(node.client.getState(completing + ":1:3").orElseThrow().status()).as("ABANDON")
            .isEqualTo(OrchestrationStatus.RUNNING);
        node.client.raiseEvent(completing + ":1:3", "go", "on its own");
        node.run();
        assertThat(node.client.getState(completing + ":1:3").orElseThrow().readOutput(String.class))
            .isEqualTo("on its own");
        assertThat(node.client.getState(terminated).orElseThrow().status()).isEqualTo(OrchestrationStatus.TERMINATED);
        assertThat(node.client.getState(terminated + ":1:1").orElseThrow().status())
            .isEqualTo(OrchestrationStatus.TERMINATED);
        assertThat(node.client.getState(terminated + ":1:2").orElseThrow().readOutput(String.class))
            .isEqualTo("compensated cancel");
        assertThat(node.client.getState(terminated + ":1:3").orElseThrow().status())
            .isEqualTo(OrchestrationStatus.RUNNING);
    }

    @Test
    void aChildStartedByTheStepThatClosesItsParentIsClosedAndAnInstanceThatIsNotAChildIsLeftAlone() {
        Node node = node("node-a", families());
        String other = node.client.schedule("child", "other", ScheduleOptions.instanceId(newInstanceId("not-a-child")));
        String suspended = node.client.schedule("child", "paused", ScheduleOptions.instanceId(newInstanceId("paused")));
        node.run();
        node.client.suspend(suspended, null);
        node.run();
        String parent = node.client.schedule("hasty", other, ScheduleOptions.instanceId(newInstanceId("hasty")));
        String second = node.client.schedule("hasty", suspended, ScheduleOptions.instanceId(newInstanceId("hasty")));
        node.run();
        assertThat(node.client.getState(parent).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(node.client.getState(parent + ":1:1").orElseThrow().status())
            .as("started and closed by one step").isEqualTo(OrchestrationStatus.TERMINATED);
        assertThat(node.client.getState(second + ":1:1").orElseThrow().status()).isEqualTo(OrchestrationStatus.TERMINATED);
        assertThat(node.client.getState(other).orElseThrow().status())
            .as("its id was taken; the close is not for it").isEqualTo(OrchestrationStatus.RUNNING);
        assertThat(node.client.getHistory(other)).doesNotHaveAnyElementsOfTypes(ExecutionTerminated.class);
        assertThat(node.client.getState(suspended).orElseThrow().status()).isEqualTo(OrchestrationStatus.SUSPENDED);
        assertThat(store().dueInstances(this.clock.instant(), 100)).as("nothing left that no step takes")
            .doesNotContain(other, suspended);
        node.client.resume(suspended, null);
        node.client.raiseEvent(suspended, "go", "resumed");
        node.run();
        assertThat(node.client.getState(suspended).orElseThrow().readOutput(String.class)).isEqualTo("resumed");
    }

    @Test
    void aCloseReachesOnlyTheChildTheClosingExecutionStarted() {
        Node node = node("node-a", families());
        String parent = node.client.schedule("renewing", "x", ScheduleOptions.instanceId(newInstanceId("renewing")));
        node.run();
        node.client.raiseEvent(parent, "renew", "now");
        node.run();
        assertThat(node.client.getState(parent).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(node.client.getState(parent + "-child").orElseThrow().status())
            .as("abandoned by execution 1; execution 2 could not start it again and does not close it")
            .isEqualTo(OrchestrationStatus.RUNNING);
    }

    /**
     * {@code child} waits for {@code go} and compensates a cancellation; {@code family} starts three children
     * (TERMINATE, REQUEST_CANCEL, ABANDON) without waiting for them and completes on {@code done}; {@code hasty}
     * starts a child with the default id and one with the id its input names, and completes at once.
     */
    private DurableTaskRegistry families() {
        return registry((builder) -> builder
            .orchestration("child", String.class, () -> (ctx, input) -> {
                try {
                    return ctx.waitForExternalEvent("go", String.class).await();
                }
                catch (OrchestrationCancelledException ex) {
                    return "compensated " + input;
                }
            })
            .orchestration("family", String.class, () -> (ctx, input) -> {
                ctx.callSubOrchestration("child", "terminate", String.class, SubOrchestrationOptions.DEFAULTS);
                ctx.callSubOrchestration("child", "cancel", String.class,
                        SubOrchestrationOptions.DEFAULTS.withParentClosePolicy(ParentClosePolicy.REQUEST_CANCEL));
                ctx.callSubOrchestration("child", "abandon", String.class,
                        SubOrchestrationOptions.DEFAULTS.withParentClosePolicy(ParentClosePolicy.ABANDON));
                return ctx.waitForExternalEvent("done", String.class).await();
            })
            .orchestration("renewing", String.class, () -> (ctx, input) -> {
                String child = ctx.instanceId() + "-child";
                if (ctx.execution() == 1) {
                    ctx.callSubOrchestration("child", "first", String.class, SubOrchestrationOptions.DEFAULTS
                        .withInstanceId(child)
                        .withParentClosePolicy(ParentClosePolicy.ABANDON));
                    ctx.waitForExternalEvent("renew", String.class).await();
                    ctx.continueAsNew(input);
                    return "continued";
                }
                ctx.callSubOrchestration("child", "second", String.class, child);
                return "done";
            })
            .orchestration("relay", Integer.class, () -> (OrchestrationContext ctx, Integer generation) -> {
                ctx.setQueryHandler("generation", () -> generation);
                if (generation == 1) {
                    ctx.callSubOrchestration("child", "left", String.class,
                            SubOrchestrationOptions.DEFAULTS.withParentClosePolicy(ParentClosePolicy.ABANDON));
                    ctx.callSubOrchestration("child", "closed", String.class, SubOrchestrationOptions.DEFAULTS);
                    ctx.continueAsNew(2);
                }
                return "generation " + generation + ": " + ctx.waitForExternalEvent("done", String.class).await();
            })
            .orchestration("hasty", String.class, () -> (ctx, input) -> {
                ctx.callSubOrchestration("child", "mine", String.class);
                ctx.callSubOrchestration("child", "taken", String.class, String.valueOf(input));
                return "done";
            }));
    }

    @Test
    void childrenStartedByAStepThatContinuesAsNewAreCreatedAndAQueryRightAfterItAnswersFromTheNextExecution() {
        CrashableStore crashing = new CrashableStore(store());
        crashing.crashOnCommit(OrchestrationCommit::continueAsNew);
        Node first = node("node-a", families(), crashing);
        String id = first.client.schedule("relay", 1, ScheduleOptions.instanceId(newInstanceId("relay")));
        first.run();
        assertThat(crashing.isCrashed()).as("stopped right after the continue-as-new").isTrue();
        Node second = node("node-b", families());
        OrchestrationState continued = second.client.getState(id).orElseThrow();
        assertThat(continued.status()).isEqualTo(OrchestrationStatus.CONTINUED_AS_NEW);
        assertThat(second.client.getHistory(id)).isEmpty();
        assertThat(second.client.query(id, "generation", null, Integer.class)).as("the next execution's code")
            .isEqualTo(2);
        second.run();
        assertThat(second.client.getState(id + ":1:1").orElseThrow().status()).as("ABANDON: runs on its own")
            .isEqualTo(OrchestrationStatus.RUNNING);
        assertThat(second.client.getState(id + ":1:2").orElseThrow().status()).as("TERMINATE: closed with its parent")
            .isEqualTo(OrchestrationStatus.TERMINATED);
        assertThat(second.client.query(id, "generation", null, Integer.class)).isEqualTo(2);
        second.client.raiseEvent(id, "done", "ok");
        second.client.raiseEvent(id + ":1:1", "go", "alone");
        second.run();
        OrchestrationState state = second.client.getState(id).orElseThrow();
        assertThat(state.execution()).isEqualTo(2);
        assertThat(state.readOutput(String.class)).isEqualTo("generation 2: ok");
        assertThat(second.client.getState(id + ":1:1").orElseThrow().readOutput(String.class)).isEqualTo("alone");
    }

    // ---- long-lived instances and code changes

    @Test
    void continueAsNewStartsTheNextExecutionWithAnEmptyHistoryAndKeepsEventsNotTaken() {
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("counter", Integer.class,
                () -> (OrchestrationContext ctx, Integer n) -> {
                    if (n < 3) {
                        ctx.createTimer(Duration.ofMinutes(1)).await();
                        ctx.continueAsNew(n + 1);
                    }
                    return n + ":" + ctx.waitForExternalEvent("note", String.class).await() + ":" + ctx.execution();
                }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("counter", 0, ScheduleOptions.instanceId(newInstanceId("loop")));
        node.run();
        node.client.raiseEvent(id, "note", "kept");
        for (int i = 0; i < 4; i++) {
            node.advance(Duration.ofMinutes(1).plus(POLL));
        }
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("3:kept:4");
        assertThat(state.execution()).isEqualTo(4);
        assertThat(state.readInput(Integer.class)).isEqualTo(3);
        assertThat(node.client.getHistory(id)).hasSizeLessThan(10);
    }

    @Test
    void messagesForAnEarlierExecutionAreDroppedWithoutATrace() {
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("restarting", Integer.class,
                () -> (OrchestrationContext ctx, Integer n) -> {
                    if (n == 0) {
                        ctx.createTimer(Duration.ofMinutes(1));
                        ctx.continueAsNew(1);
                    }
                    return ctx.waitForExternalEvent("done", String.class).await();
                }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("restarting", 0, ScheduleOptions.instanceId(newInstanceId("stale")));
        node.run();
        List<HistoryEvent> before = node.client.getHistory(id);
        assertThat(node.client.getState(id).orElseThrow().execution()).isEqualTo(2);
        node.advance(Duration.ofMinutes(1).plus(POLL));
        assertThat(node.client.getHistory(id)).isEqualTo(before);
        assertThat(store().dueInstances(this.clock.instant(), 10_000)).doesNotContain(id);
        node.client.raiseEvent(id, "done", "yes");
        node.run();
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("yes");
    }

    @Test
    void aReplayThatCallsAnotherActivityFailsTheInstanceNamingTheStepAndBothSides() {
        Node first = node("node-a", versioned((ctx) -> ctx.callActivity("echo", "a", String.class).await()));
        String id = first.client.schedule("versioned", null, ScheduleOptions.instanceId(newInstanceId("diverged")));
        first.run();
        first.close();
        Node second = node("node-b", versioned((ctx) -> ctx.callActivity("other", "a", String.class).await()));
        second.client.raiseEvent(id, "go", null);
        second.run();
        OrchestrationState state = second.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.FAILED);
        FailureDetails failure = Objects.requireNonNull(state.failure());
        assertThat(failure.isCausedBy(NonDeterministicOrchestrationException.class)).isTrue();
        assertThat(failure.message()).contains("instance '" + id + "'")
            .contains("at task 1")
            .contains("the history has activity 'echo'")
            .contains("the code started activity 'other'");
    }

    @Test
    void aReplayThatStartsATaskTheHistoryDoesNotHaveFailsTheInstance() {
        Node first = node("node-a", versioned((ctx) -> ctx.callActivity("echo", "a", String.class).await()));
        String id = first.client.schedule("versioned", null, ScheduleOptions.instanceId(newInstanceId("extra-task")));
        first.run();
        first.close();
        Node second = node("node-b", versioned((ctx) -> {
            ctx.callActivity("echo", "a", String.class);
            return ctx.callActivity("echo", "b", String.class).await();
        }));
        second.client.raiseEvent(id, "go", null);
        second.run();
        FailureDetails failure = Objects.requireNonNull(second.client.getState(id).orElseThrow().failure());
        assertThat(failure.isCausedBy(NonDeterministicOrchestrationException.class)).isTrue();
        assertThat(failure.message()).contains("at task 2").contains("the code started activity 'echo'")
            .contains("no task 2 before the step");
    }

    @Test
    void getVersionKeepsInstancesInFlightOnTheOldCodePathAndNewOnesOnTheNew() {
        Node first = node("node-a", versioned((ctx) -> ctx.callActivity("echo", "old", String.class).await()));
        String old = first.client.schedule("versioned", null, ScheduleOptions.instanceId(newInstanceId("old")));
        first.run();
        first.close();
        Node second = node("node-b", versioned((ctx) -> {
            int version = ctx.getVersion("new-greeting", OrchestrationContext.DEFAULT_VERSION, 1);
            return ctx.callActivity("echo", (version == 1) ? "new" : "old", String.class).await() + version;
        }));
        String fresh = second.client.schedule("versioned", null, ScheduleOptions.instanceId(newInstanceId("new")));
        second.run();
        second.client.raiseEvent(old, "go", null);
        second.client.raiseEvent(fresh, "go", null);
        second.run();
        assertThat(second.client.getState(old).orElseThrow().readOutput(String.class)).isEqualTo("old:-1|go");
        assertThat(second.client.getState(fresh).orElseThrow().readOutput(String.class)).isEqualTo("new:1|go");
    }

    // ---- the client

    @Test
    void anInstanceRecordsTheVersionOfItsOrchestrationWhenScheduledAndItsCodeReadsIt() {
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration(Released.class, Released::new)
            .orchestration("releasing", String.class, () -> (OrchestrationContext ctx, String child) -> ctx
                .callSubOrchestration("Released", child, String.class,
                        SubOrchestrationOptions.DEFAULTS.withInstanceId(child))
                .await() + ":v" + ctx.orchestrationVersion()));
        Node node = node("node-a", registry);
        String child = newInstanceId("released");
        String id = node.client.schedule("releasing", child, ScheduleOptions.instanceId(newInstanceId("releasing")));
        node.run();
        OrchestrationState parent = node.client.getState(id).orElseThrow();
        assertThat(parent.version()).as("declares none").isZero();
        assertThat(parent.readOutput(String.class)).isEqualTo(child + ":v2:v0");
        assertThat(node.client.getState(child).orElseThrow().version()).as("a sub-orchestration").isEqualTo(2);
        assertThat(node.client.getHistory(child)).filteredOn(ExecutionStarted.class::isInstance)
            .singleElement()
            .satisfies((event) -> assertThat(((ExecutionStarted) event).version()).isEqualTo(2));
        String direct = node.client.schedule(Released.class, "direct", ScheduleOptions.instanceId(newInstanceId("direct")));
        node.run();
        OrchestrationState state = node.client.getState(direct).orElseThrow();
        assertThat(state.version()).isEqualTo(2);
        assertThat(state.readOutput(String.class)).isEqualTo("direct:v2");
    }

    @Test
    void schedulingIsIdempotentOnTheInstanceId() {
        Node node = node("node-a", new Fixture().registry());
        String id = newInstanceId("idempotent");
        assertThat(node.client.schedule(Sequence.class, "x", ScheduleOptions.instanceId(id))).isEqualTo(id);
        assertThat(node.client.schedule(Sequence.class, "y", ScheduleOptions.instanceId(id))).isEqualTo(id);
        node.run();
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("x:reserved:charged:shipped");
        assertThat(node.client.schedule(Sequence.class, "z", ScheduleOptions.instanceId(id))).isEqualTo(id);
        DurableTaskClient anyName = new StoreDurableTaskClient(store(), this.converter, this.clock, null,
                node.worker::wake, new InstanceUpdates());
        assertThatExceptionOfType(OrchestrationAlreadyExistsException.class)
            .isThrownBy(() -> anyName.schedule("approval", "x", ScheduleOptions.instanceId(id)))
            .withMessageContaining(id)
            .withMessageContaining("'Sequence'");
    }

    @Test
    void anInstanceScheduledForLaterStartsAtItsTime() {
        Node node = node("node-a", new Fixture().registry());
        String id = node.client.schedule(Sequence.class, "later", ScheduleOptions.instanceId(newInstanceId("delayed"))
            .withStartAt(this.clock.instant().plus(Duration.ofHours(2))));
        node.advance(Duration.ofHours(1));
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.PENDING);
        node.advance(Duration.ofHours(1).plus(POLL));
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
    }

    @Test
    void terminateStopsARunningInstanceAndCannotStopAFinishedOne() {
        Node node = node("node-a", approvals());
        String id = node.client.schedule("approval", "order-6", ScheduleOptions.instanceId(newInstanceId("terminated")));
        node.run();
        node.client.terminate(id, "customer cancelled");
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.TERMINATED);
        assertThat(node.client.getHistory(id)).last()
            .isEqualTo(new ExecutionTerminated(this.clock.instant(), "customer cancelled"));
        assertThatExceptionOfType(OrchestrationStateException.class)
            .isThrownBy(() -> node.client.terminate(id, "again"))
            .withMessage("Cannot terminate orchestration instance '" + id + "': it is TERMINATED and has finished");
    }

    @Test
    void aSuspendedInstanceTakesNothingUntilItIsResumed() {
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("paused", String.class,
                () -> (ctx, input) -> {
                    ctx.createTimer(Duration.ofMinutes(5)).await();
                    return ctx.waitForExternalEvent("note", String.class).await() + " at " + ctx.currentTime();
                }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("paused", null, ScheduleOptions.instanceId(newInstanceId("suspended")));
        node.run();
        node.client.suspend(id, "audit");
        node.run();
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.SUSPENDED);
        node.client.raiseEvent(id, "note", "hello");
        node.advance(Duration.ofMinutes(10));
        List<HistoryEvent> suspended = node.client.getHistory(id);
        assertThat(suspended).last().isEqualTo(new ExecutionSuspended(this.clock.instant().minus(Duration.ofMinutes(10)),
                "audit"));
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.SUSPENDED);
        Instant resumedAt = this.clock.instant();
        node.client.resume(id, "audit done");
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("hello at " + resumedAt);
        assertThat(node.client.getHistory(id)).contains(new ExecutionResumed(resumedAt, "audit done"));
    }

    @Test
    void aSuspensionRepeatedWhileSuspendedEndsWithTheResumption() {
        Node node = node("node-a", approvals());
        String id = node.client.schedule("approval", "twice", ScheduleOptions.instanceId(newInstanceId("suspend-2")));
        node.run();
        node.client.suspend(id, "first");
        node.run();
        node.client.suspend(id, "second");
        node.run();
        node.client.resume(id, null);
        node.run();
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.RUNNING);
        node.client.raiseEvent(id, "approved", new Approval("ann"));
        node.run();
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("twice approved by ann");
    }

    @Test
    void aSuspendedInstanceCanBeTerminatedAndAFinishedOneNotSuspended() {
        Node node = node("node-a", approvals());
        String id = node.client.schedule("approval", "x", ScheduleOptions.instanceId(newInstanceId("suspend-stop")));
        node.run();
        node.client.suspend(id, null);
        node.run();
        node.client.terminate(id, "dropped");
        node.run();
        assertThat(node.client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.TERMINATED);
        assertThatExceptionOfType(OrchestrationStateException.class).isThrownBy(() -> node.client.suspend(id, null))
            .withMessageContaining("TERMINATED");
        assertThatExceptionOfType(OrchestrationStateException.class).isThrownBy(() -> node.client.resume(id, null));
    }

    @Test
    void purgeDeletesFinishedInstancesOnlyAndListFindsInstancesByStatus() {
        Node node = node("node-a", approvals());
        String waiting = node.client.schedule("approval", "a", ScheduleOptions.instanceId(newInstanceId("purge-waiting")));
        String done = node.client.schedule("approval", "b", ScheduleOptions.instanceId(newInstanceId("purge-done")));
        node.run();
        node.client.raiseEvent(done, "approved", new Approval("bob"));
        node.run();
        assertThat(all(node.client, OrchestrationStatus.RUNNING)).contains(waiting).doesNotContain(done);
        assertThat(all(node.client, OrchestrationStatus.COMPLETED)).contains(done).doesNotContain(waiting);
        assertThatExceptionOfType(OrchestrationStateException.class).isThrownBy(() -> node.client.purge(waiting))
            .withMessageContaining("RUNNING");
        assertThat(node.client.purge(done)).isTrue();
        assertThat(node.client.getState(done)).isEmpty();
        assertThat(node.client.purge(done)).isFalse();
        assertThatExceptionOfType(OrchestrationNotFoundException.class).isThrownBy(() -> node.client.getHistory(done));
    }

    // ---- failures and bad input

    @Test
    @Timeout(60)
    void timersAndTimeoutsPastTheYear9999AreRefusedNamingTheValueAndNothingOfThemIsRecorded() {
        Duration tooLong = Duration.ofDays(3_000_000);
        Instant tooLate = Instant.parse("+10000-01-01T00:00:00Z");
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("far", String.class,
                () -> (ctx, input) -> {
                    List<String> refused = new ArrayList<>();
                    try {
                        ctx.createTimer(tooLong);
                    }
                    catch (IllegalArgumentException ex) {
                        refused.add(ex.getMessage());
                    }
                    try {
                        ctx.createTimer(tooLate);
                    }
                    catch (IllegalArgumentException ex) {
                        refused.add(ex.getMessage());
                    }
                    try {
                        ctx.waitForExternalEvent("approved", String.class, tooLong);
                    }
                    catch (IllegalArgumentException ex) {
                        refused.add(ex.getMessage());
                    }
                    ctx.createTimer(OrchestrationContext.LATEST_FIRE_AT);
                    return String.join("\n", refused);
                }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("far", null, ScheduleOptions.instanceId(newInstanceId("far-timers")));
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(Objects.requireNonNull(state.readOutput(String.class)).split("\n")).satisfiesExactly(
                (timer) -> assertThat(timer).contains(tooLong.toString(), "9999-12-31T23:59:59Z"),
                (timer) -> assertThat(timer).contains(tooLate.toString(), "9999-12-31T23:59:59Z"),
                (timeout) -> assertThat(timeout).contains(tooLong.toString(), "'approved'", "9999-12-31T23:59:59Z"));
        assertThat(node.client.getHistory(id)).as("only the timer at the latest instant is recorded")
            .filteredOn(TimerCreated.class::isInstance)
            .extracting((event) -> ((TimerCreated) event).fireAt())
            .containsExactly(OrchestrationContext.LATEST_FIRE_AT);
    }

    @Test
    @Timeout(60)
    void activityTimeoutsAndRetryBackOffPastTheYear9999AreRefusedNamingTheValueAndTheCallIsNotRecorded() {
        Duration tooLong = Duration.ofDays(3_000_000);
        List<ActivityOptions> refusedOptions = List.of(ActivityOptions.DEFAULTS.withScheduleToCloseTimeout(tooLong),
                ActivityOptions.DEFAULTS.withStartToCloseTimeout(tooLong),
                ActivityOptions.DEFAULTS.withHeartbeatTimeout(tooLong),
                ActivityOptions.DEFAULTS.withRetry(RetryOptions.of(2, tooLong)));
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("echo", String.class, (ActivityContext ctx, String input) -> input + "!")
            .orchestration("far-calls", String.class, () -> (ctx, input) -> {
                List<String> refused = new ArrayList<>();
                for (ActivityOptions options : refusedOptions) {
                    try {
                        ctx.callActivity("echo", "never", String.class, options);
                    }
                    catch (IllegalArgumentException ex) {
                        refused.add(ex.getMessage());
                    }
                }
                refused.add(ctx.callActivity("echo", "ok", String.class,
                        ActivityOptions.DEFAULTS.withScheduleToCloseTimeout(Duration.ofDays(365))
                            .withRetry(RetryOptions.of(2, Duration.ofDays(1))))
                    .await());
                return String.join("\n", refused);
            }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("far-calls", null, ScheduleOptions.instanceId(newInstanceId("far-calls")));
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(Objects.requireNonNull(state.readOutput(String.class)).split("\n")).satisfiesExactly(
                (timeout) -> assertThat(timeout).contains("schedule-to-close", tooLong.toString(), "'echo'",
                        "9999-12-31T23:59:59Z"),
                (timeout) -> assertThat(timeout).contains("start-to-close", tooLong.toString(), "9999-12-31T23:59:59Z"),
                (timeout) -> assertThat(timeout).contains("heartbeat", tooLong.toString(), "9999-12-31T23:59:59Z"),
                (backOff) -> assertThat(backOff).contains("retry back-off", tooLong.toString(), "9999-12-31T23:59:59Z"),
                (result) -> assertThat(result).isEqualTo("ok!"));
        assertThat(node.client.getHistory(id)).as("only the bounded call is recorded")
            .filteredOn(TaskScheduled.class::isInstance)
            .extracting((event) -> ((TaskScheduled) event).input())
            .containsExactly("\"ok\"");
    }

    @Test
    @Timeout(60)
    void aRetryWhoseNextAttemptWouldStartAfterTheYear9999IsNotStoredAndTheCallFailsWithTheAttemptsFailure() {
        this.clock.set(Instant.parse("9999-12-31T00:00:00Z"));
        AtomicInteger attempts = new AtomicInteger();
        Duration backOff = Duration.ofHours(12);
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("late", String.class, (ActivityContext ctx, String input) -> {
                attempts.incrementAndGet();
                this.clock.advance(Duration.ofHours(13));
                throw new IllegalStateException("boom at the end of time");
            })
            .orchestration("last-day", String.class, () -> (ctx, input) -> {
                try {
                    return ctx.callActivity("late", input, String.class, ActivityOptions.DEFAULTS
                        .withRetry(RetryOptions.of(3, backOff).withBackoff(1, backOff))).await();
                }
                catch (TaskFailedException ex) {
                    return "failed: " + ex.getMessage();
                }
            }));
        Node node = node("node-a", registry);
        String id = node.client.schedule("last-day", "x", ScheduleOptions.instanceId(newInstanceId("last-day")));
        // A millisecond on, then past the attempt's outcome (the attempt moved the clock 13 hours, and the scheduler
        // sets it back to its target): Redis keeps due times as microseconds in doubles, a few off near the year 9999.
        node.advance(Duration.ofMillis(1));
        node.advance(Duration.ofHours(14));
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).contains("boom at the end of time");
        assertThat(attempts).as("the second attempt would start after 9999-12-31T23:59:59Z").hasValue(1);
    }

    @Test
    @Timeout(60)
    void aWaitPastTheYear9999ThatAnEventAlreadyAnsweredCreatesNoTimerAndReplays() {
        Duration tooLong = Duration.ofDays(3_000_000);
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("early", String.class,
                () -> (ctx, input) -> {
                    ctx.createTimer(Duration.ofMinutes(1)).await();
                    String approval = ctx.waitForExternalEvent("approved", String.class, tooLong).await();
                    ctx.createTimer(Duration.ofMinutes(1)).await();
                    return approval;
                }));
        Node node = node("node-a", registry, store(), (worker) -> worker.instanceCacheSize(0));
        String id = node.client.schedule("early", null, ScheduleOptions.instanceId(newInstanceId("early-event")));
        node.run();
        node.client.raiseEvent(id, "approved", "bob");
        node.run();
        node.advance(Duration.ofMinutes(1));
        node.advance(Duration.ofMinutes(1));
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).as("replayed with the buffered event: %s", state.failure())
            .isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("bob");
        assertThat(node.client.getHistory(id)).filteredOn(TimerCreated.class::isInstance).hasSize(2);
    }

    @Test
    void aStartPastTheYear9999IsRefusedNamingItAndNothingIsStored() {
        Fixture fixture = new Fixture();
        Node node = node("node-a", fixture.registry());
        String id = newInstanceId("far-start");
        Instant tooLate = Instant.parse("+10000-01-01T00:00:00Z");
        assertThatExceptionOfType(IllegalArgumentException.class)
            .isThrownBy(() -> node.client.schedule(Sequence.class, "order-far",
                    ScheduleOptions.instanceId(id).withStartAt(tooLate)))
            .withMessageContaining(tooLate.toString())
            .withMessageContaining("9999-12-31T23:59:59Z");
        assertThat(node.client.getState(id)).isEmpty();
        String latest = node.client.schedule(Sequence.class, "order-latest",
                ScheduleOptions.instanceId(newInstanceId("latest-start")).withStartAt(ScheduleOptions.LATEST_START_AT));
        assertThat(node.client.getState(latest).orElseThrow().status()).isEqualTo(OrchestrationStatus.PENDING);
    }

    @Test
    void aFailingActivityIsRetriedWithBackoffInVirtualTimeThenTheCodeCanCompensate() {
        List<Instant> attempts = new CopyOnWriteArrayList<>();
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("flaky", String.class, (ActivityContext ctx, String input) -> {
                attempts.add(this.clock.instant());
                throw new IllegalStateException("attempt " + ctx.attempt() + " failed");
            })
            .activity("refund", String.class, (ActivityContext ctx, String input) -> "refunded " + input)
            .orchestration("compensating", String.class, () -> (ctx, input) -> {
                try {
                    return ctx.callActivity("flaky", input, String.class,
                            ActivityOptions.retry(3, Duration.ofMinutes(1))).await();
                }
                catch (TaskFailedException ex) {
                    return ctx.callActivity("refund", input, String.class).await() + " after " + ex.getFailure().message();
                }
            }));
        Node node = node("node-a", registry);
        Instant start = this.clock.instant();
        String id = node.client.schedule("compensating", "order-7", ScheduleOptions.instanceId(newInstanceId("retry")));
        node.run();
        assertThat(attempts).hasSize(1);
        node.advance(Duration.ofMinutes(1).plus(POLL));
        assertThat(attempts).hasSize(2);
        node.advance(Duration.ofMinutes(2).plus(POLL));
        assertThat(attempts).hasSize(3);
        assertThat(Duration.between(start, attempts.get(1))).isGreaterThanOrEqualTo(Duration.ofMinutes(1));
        assertThat(Duration.between(attempts.get(1), attempts.get(2))).isGreaterThanOrEqualTo(Duration.ofMinutes(2));
        assertThat(node.client.getState(id).orElseThrow().readOutput(String.class))
            .isEqualTo("refunded order-7 after attempt 3 failed");
    }

    /**
     * A delayed start, a durable timer and an activity call's later retry each run when they come due, well before the
     * worker's next poll: a worker that finds no work asks the store when work next becomes visible
     * ({@code DurableTaskStore#nextVisibleAfter}) and polls then.
     */
    @Test
    void aDelayedStartATimerAndALaterRetryRunWhenTheyComeDueNotAtTheNextPoll() {
        List<Instant> attempts = new CopyOnWriteArrayList<>();
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("fails-once", String.class, (ActivityContext ctx, String input) -> {
                attempts.add(this.clock.instant());
                if (ctx.attempt() == 1) {
                    throw new IllegalStateException("attempt 1 failed");
                }
                return "done " + input;
            })
            .orchestration("napping", String.class, () -> (ctx, input) -> {
                ctx.createTimer(Duration.ofSeconds(3)).await();
                return ctx.callActivity("fails-once", input, String.class,
                        ActivityOptions.retry(2, Duration.ofSeconds(2))).await();
            }));
        Node node = node("node-a", registry);
        Instant start = this.clock.instant();
        String id = node.client.schedule("napping", "x", new ScheduleOptions(newInstanceId("due"), start.plusSeconds(1)));
        node.run();
        node.advance(Duration.ofSeconds(1));
        assertThat(node.client.getState(id).orElseThrow().status()).as("started at its start")
            .isEqualTo(OrchestrationStatus.RUNNING);
        node.advance(Duration.ofSeconds(3));
        assertThat(attempts).as("called when the timer fired").containsExactly(start.plusSeconds(4));
        node.advance(Duration.ofSeconds(2));
        assertThat(attempts).as("retried when its backoff ended").containsExactly(start.plusSeconds(4),
                start.plusSeconds(6));
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.updatedAt()).isEqualTo(start.plusSeconds(6));
        assertThat(start.plusSeconds(6)).isBefore(start.plus(POLL));
    }

    @Test
    void aRetriedAttemptResumesFromTheHeartbeatDetailsOfTheAttemptBefore() {
        List<String> done = new CopyOnWriteArrayList<>();
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("import", Integer.class, (ActivityContext ctx, Integer rows) -> {
                int from = ctx.lastHeartbeatDetails(Integer.class).orElse(0);
                for (int row = from + 1; row <= rows; row++) {
                    if (ctx.attempt() == 1 && row == 4) {
                        throw new IllegalStateException("connection reset at row 4");
                    }
                    done.add(ctx.attempt() + ":" + row);
                    ctx.heartbeat(row);
                }
                return "imported from " + (from + 1);
            })
            .orchestration("importing", Integer.class, () -> (ctx, rows) -> ctx.callActivity("import", rows,
                    String.class, ActivityOptions.DEFAULTS.withRetry(RetryOptions.of(2, Duration.ofSeconds(1)))
                        .withHeartbeatTimeout(Duration.ofMinutes(1)))
                .await()));
        Node node = node("node-a", registry);
        String id = node.client.schedule("importing", 5, ScheduleOptions.instanceId(newInstanceId("resumed")));
        node.run();
        node.advance(Duration.ofSeconds(1).plus(POLL));
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("imported from 4");
        assertThat(done).as("rows 1-3 are not imported twice").containsExactly("1:1", "1:2", "1:3", "2:4", "2:5");
    }

    @Test
    void aFailureTypeThatIsNotRetriedFailsTheCallAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("strict", String.class, (ActivityContext ctx, String input) -> {
                attempts.incrementAndGet();
                throw new IllegalArgumentException("bad card " + input);
            })
            .orchestration("strict-flow", String.class, () -> (ctx, input) -> ctx.callActivity("strict", input,
                    String.class, ActivityOptions.DEFAULTS.withRetry(RetryOptions.of(5, Duration.ofSeconds(1))
                        .withDoNotRetry(IllegalArgumentException.class))).await()));
        Node node = node("node-a", registry);
        String id = node.client.schedule("strict-flow", "1234", ScheduleOptions.instanceId(newInstanceId("no-retry")));
        node.run();
        OrchestrationState state = node.client.getState(id).orElseThrow();
        assertThat(attempts).hasValue(1);
        assertThat(state.status()).isEqualTo(OrchestrationStatus.FAILED);
        assertThat(Objects.requireNonNull(state.failure()).isCausedBy(TaskFailedException.class)).isTrue();
        assertThat(Objects.requireNonNull(state.failure()).message()).contains("bad card 1234");
    }

    @Test
    @Timeout(60)
    void anAttemptLongerThanItsStartToCloseTimeoutIsInterruptedAndRetried() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("slow", String.class, (ActivityContext ctx, String input) -> {
                if (attempts.incrementAndGet() == 1) {
                    new CountDownLatch(1).await();
                }
                return "done";
            })
            .orchestration("timed", String.class, () -> (ctx, input) -> ctx.callActivity("slow", input, String.class,
                    ActivityOptions.retry(2, Duration.ofMillis(10)).withStartToCloseTimeout(Duration.ofMillis(300)))
                .await()));
        DurableTaskWorker worker = DurableTaskWorker.builder(store(), leaseStore(Clock.systemUTC()), registry)
            .pollInterval(Duration.ofMillis(50))
            .leaseDuration(leaseDuration())
            .build();
        InstanceUpdates updates = new InstanceUpdates();
        DurableTaskClient client = new StoreDurableTaskClient(store(), this.converter, Clock.systemUTC(), registry,
                worker::wake, updates);
        this.closeAfter.add(worker);
        worker.start();
        String id = client.schedule("timed", null, ScheduleOptions.instanceId(newInstanceId("start-to-close")));
        OrchestrationState state = client.waitForCompletion(id, Duration.ofSeconds(30));
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("done");
        assertThat(attempts).hasValue(2);
    }

    @Test
    @Timeout(60)
    void anAttemptThatStopsHeartbeatingIsInterruptedAndRetriedWhileOneThatHeartbeatsRunsPastTheTimeout()
            throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        DurableTaskRegistry registry = registry((builder) -> builder
            .activity("long", String.class, (ActivityContext ctx, String input) -> {
                ctx.heartbeat();
                if (attempts.incrementAndGet() == 1) {
                    new CountDownLatch(1).await();
                }
                for (int i = 0; i < 6; i++) {
                    Thread.sleep(100);
                    ctx.heartbeat();
                }
                return "done after " + ctx.attempt();
            })
            .orchestration("heartbeating", String.class, () -> (ctx, input) -> ctx.callActivity("long", input,
                    String.class, ActivityOptions.retry(2, Duration.ofMillis(10))
                        .withHeartbeatTimeout(Duration.ofMillis(400)))
                .await()));
        DurableTaskWorker worker = DurableTaskWorker.builder(store(), leaseStore(Clock.systemUTC()), registry)
            .pollInterval(Duration.ofMillis(50))
            .leaseDuration(leaseDuration())
            .build();
        DurableTaskClient client = new StoreDurableTaskClient(store(), this.converter, Clock.systemUTC(), registry,
                worker::wake, new InstanceUpdates());
        this.closeAfter.add(worker);
        worker.start();
        String id = client.schedule("heartbeating", null, ScheduleOptions.instanceId(newInstanceId("heartbeat")));
        OrchestrationState state = client.waitForCompletion(id, Duration.ofSeconds(30));
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("done after 2");
        assertThat(attempts).hasValue(2);
        assertThatExceptionOfType(IllegalArgumentException.class)
            .isThrownBy(() -> ActivityOptions.DEFAULTS.withHeartbeatTimeout(Duration.ZERO))
            .withMessage("heartbeatTimeout must be positive, was PT0S");
    }

    @Test
    void anUnknownOrchestrationAndAnUnreadableInputAreRefusedBeforeAnythingIsStored() {
        Node node = node("node-a", new Fixture().registry());
        String unknown = newInstanceId("unknown");
        assertThatExceptionOfType(UnknownOrchestrationException.class)
            .isThrownBy(() -> node.client.schedule("nope", null, ScheduleOptions.instanceId(unknown)))
            .withMessage("No orchestration is registered as 'nope'; registered: [Sequence]");
        assertThat(node.client.getState(unknown)).isEmpty();
        Node typed = node("node-b", registry((builder) -> builder.orchestration("typed", Approval.class,
                () -> (ctx, input) -> input)));
        String unreadable = newInstanceId("unreadable");
        assertThatExceptionOfType(PayloadConversionException.class)
            .isThrownBy(() -> typed.client.schedule("typed", List.of(1, 2), ScheduleOptions.instanceId(unreadable)))
            .withMessageContaining("the input of orchestration 'typed'")
            .withMessageContaining(Approval.class.getName());
        assertThat(typed.client.getState(unreadable)).isEmpty();
    }

    @Test
    void aWorkerFailsInstancesOfUnknownOrchestrationsAndCallsOfUnknownActivitiesWithTypedFailures() {
        Node node = node("node-a", registry((builder) -> builder.orchestration("calls-unknown", String.class,
                () -> (ctx, input) -> ctx.callActivity("missing", input, String.class).await())));
        DurableTaskClient anyName = new StoreDurableTaskClient(store(), this.converter, this.clock, null,
                node.worker::wake, new InstanceUpdates());
        String unknown = anyName.schedule("not-deployed", null, ScheduleOptions.instanceId(newInstanceId("not-deployed")));
        String calling = anyName.schedule("calls-unknown", null, ScheduleOptions.instanceId(newInstanceId("calls")));
        node.run();
        FailureDetails orchestrationFailure = Objects.requireNonNull(node.client.getState(unknown).orElseThrow().failure());
        assertThat(orchestrationFailure.isCausedBy(UnknownOrchestrationException.class)).isTrue();
        assertThat(orchestrationFailure.message()).contains("'not-deployed'");
        FailureDetails activityFailure = Objects.requireNonNull(node.client.getState(calling).orElseThrow().failure());
        assertThat(activityFailure.isCausedBy(UnknownActivityException.class)).isTrue();
        assertThat(activityFailure.message()).contains("'missing'");
    }

    @Test
    void eventsAndTerminationForAnInstanceThatDoesNotExistAreRefused() {
        Node node = node("node-a", approvals());
        String missing = newInstanceId("missing");
        assertThatExceptionOfType(OrchestrationNotFoundException.class)
            .isThrownBy(() -> node.client.raiseEvent(missing, "approved", null))
            .withMessage("Cannot raise event 'approved' to it: no orchestration instance '" + missing + "' exists");
        assertThatExceptionOfType(OrchestrationNotFoundException.class)
            .isThrownBy(() -> node.client.terminate(missing, null));
        assertThatExceptionOfType(OrchestrationNotFoundException.class)
            .isThrownBy(() -> node.client.waitForCompletion(missing, Duration.ofSeconds(1)));
    }

    @Test
    @Timeout(60)
    void codeThatBlocksOutsideTheContextFailsTheInstanceInsteadOfHangingTheWorker() {
        DurableTaskRegistry registry = registry((builder) -> builder.orchestration("sleepy", String.class,
                () -> (ctx, input) -> {
                    Thread.sleep(Duration.ofMinutes(5));
                    return "woke";
                }));
        Node node = node("node-a", registry, store(), (worker) -> worker.stepTimeout(Duration.ofMillis(300)));
        String id = node.client.schedule("sleepy", null, ScheduleOptions.instanceId(newInstanceId("blocked")));
        node.run();
        FailureDetails failure = Objects.requireNonNull(node.client.getState(id).orElseThrow().failure());
        assertThat(failure.isCausedBy(OrchestrationBlockedException.class)).isTrue();
        assertThat(failure.message()).contains("did not finish its step within PT0.3S")
            .contains("blocks outside the OrchestrationContext")
            .contains("Thread.sleep");
    }

    // ---- fixtures

    private List<String> all(DurableTaskClient client, OrchestrationStatus status) {
        List<String> found = new ArrayList<>();
        OrchestrationQuery query = OrchestrationQuery.of(OrchestrationQuery.MAX_LIMIT, status);
        for (int page = 0; page < 10_000; page++) {
            List<OrchestrationState> states = client.list(query);
            states.forEach((state) -> found.add(state.instanceId()));
            if (states.size() < query.limit()) {
                return found;
            }
            query = query.after(states.get(states.size() - 1).instanceId());
        }
        throw new AssertionError("Too many pages");
    }

    /**
     * Returns a registry with the orchestration {@code approval}: it waits up to an hour for the event
     * {@code approved} (an {@link Approval}) and returns its input with who approved it.
     * @return the registry
     */
    protected DurableTaskRegistry approvals() {
        return registry((builder) -> builder.orchestration("approval", String.class, () -> (ctx, input) -> {
            try {
                Approval approval = ctx.waitForExternalEvent("approved", Approval.class, Duration.ofHours(1)).await();
                return input + " approved by " + approval.by();
            }
            catch (EventTimeoutException ex) {
                return input + " timed out: " + ex.getMessage();
            }
        }));
    }

    private DurableTaskRegistry versioned(VersionedCode code) {
        return registry((builder) -> builder
            .activity("echo", String.class, (ActivityContext ctx, String input) -> input + ":")
            .activity("other", String.class, (ActivityContext ctx, String input) -> input + "!")
            .orchestration("versioned", String.class, () -> (ctx, input) -> {
                String first = code.run(ctx);
                ctx.waitForExternalEvent("go", String.class).await();
                return first + "|go";
            }));
    }

    private DurableTaskRegistry registry(Consumer<DurableTaskRegistry.Builder> registrations) {
        DurableTaskRegistry.Builder builder = DurableTaskRegistry.builder(this.converter);
        registrations.accept(builder);
        return builder.build();
    }

    /**
     * Returns a node: a worker with a manual scheduler of its own on the test's clock, and a client that wakes it.
     * @param owner the worker's owner
     * @param registry what it runs
     * @return the node, closed after the test
     */
    protected Node node(String owner, DurableTaskRegistry registry) {
        return node(owner, registry, store());
    }

    private Node node(String owner, DurableTaskRegistry registry, DurableTaskStore store) {
        return node(owner, registry, store, (builder) -> {
        });
    }

    private Node node(String owner, DurableTaskRegistry registry, DurableTaskStore store,
            Consumer<DurableTaskWorker.Builder> customizer) {
        ManualScheduler scheduler = new ManualScheduler(this.clock);
        RecordingMetrics metrics = new RecordingMetrics();
        InstanceUpdates updates = new InstanceUpdates();
        DurableTaskWorker.Builder builder = DurableTaskWorker.builder(store, leases(), registry)
            .owner(owner + "-" + this.run)
            .clock(this.clock)
            .scheduler((at, task) -> scheduler.schedule(at, task)::cancel)
            .pollInterval(POLL)
            .leaseDuration(leaseDuration())
            .shutdownTimeout(Duration.ofSeconds(5))
            .instanceCacheSize(1_000)
            .metrics(metrics)
            .instanceListener(updates::changed);
        customizer.accept(builder);
        DurableTaskWorker worker = builder.build();
        DurableTaskClient client = new StoreDurableTaskClient(store, this.converter, this.clock, registry, worker::wake,
                updates);
        Node node = new Node(worker, scheduler, client, metrics);
        this.closeAfter.add(node);
        worker.start();
        return node;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A worker, its scheduler and a client: one node of a test.
     *
     * @param worker the worker
     * @param scheduler its scheduler
     * @param client a client that wakes it
     * @param metrics what the worker reported
     */
    protected record Node(DurableTaskWorker worker, ManualScheduler scheduler, DurableTaskClient client,
            RecordingMetrics metrics) implements AutoCloseable {

        /**
         * Runs everything that is due now, to the end.
         */
        public void run() {
            this.scheduler.runDueTasks();
        }

        /**
         * Moves the clock, running everything that falls due on the way.
         * @param duration how far
         */
        public void advance(Duration duration) {
            this.scheduler.advance(duration);
        }

        @Override
        public void close() {
            this.worker.close();
        }
    }

    /**
     * What a worker reported.
     */
    protected static final class RecordingMetrics implements DurableTaskMetrics {

        final List<Integer> replayedEvents = new CopyOnWriteArrayList<>();

        final List<String> lost = new CopyOnWriteArrayList<>();

        final List<String> cache = new CopyOnWriteArrayList<>();

        @Override
        public void stepCompleted(String orchestration, Duration duration, int replayedEvents,
                OrchestrationStatus status) {
            this.replayedEvents.add(replayedEvents);
        }

        @Override
        public void workLost(String kind) {
            this.lost.add(kind);
        }

        @Override
        public void instanceCache(String event) {
            this.cache.add(event);
        }
    }

    /**
     * Code of one version of the "versioned" orchestration, before it waits for "go".
     */
    @FunctionalInterface
    private interface VersionedCode {

        String run(OrchestrationContext ctx);
    }

    /**
     * An approval, the payload of the "approved" event.
     *
     * @param by who approved
     */
    public record Approval(String by) {
    }

    /**
     * Charges, then waits for two approvals; answers the queries {@code stage}, {@code approvedAtLeast(count)},
     * {@code broken} (throws) and {@code meddling} (uses the context) from its fields.
     */
    public static final class Inspected implements Orchestration<String, String> {

        private String stage = "new";

        private int approvals;

        @Override
        public String run(OrchestrationContext ctx, String order) {
            ctx.setQueryHandler("stage", () -> this.stage);
            ctx.setQueryHandler("approvedAtLeast", Integer.class, (count) -> this.approvals >= count);
            ctx.setQueryHandler("broken", () -> {
                throw new IllegalStateException("no answer");
            });
            ctx.setQueryHandler("meddling", ctx::newUuid);
            this.stage = ctx.callActivity("charge", order, String.class).await();
            while (this.approvals < 2) {
                ctx.waitForExternalEvent("approve", String.class).await();
                this.approvals++;
            }
            this.stage = "approved";
            return this.stage;
        }
    }

    /**
     * Returns its input with the version it was scheduled with: 2.
     */
    @TaskName(value = "Released", version = 2)
    public static final class Released implements Orchestration<String, String> {

        @Override
        public String run(OrchestrationContext ctx, String input) {
            return input + ":v" + ctx.orchestrationVersion();
        }
    }

    /**
     * Reserve, charge, ship: three activities in sequence, by class.
     */
    @TaskName("Sequence")
    public static final class Sequence implements Orchestration<String, String> {

        @Override
        public String run(OrchestrationContext ctx, String order) {
            String reserved = ctx.callActivity(Reserve.class, order).await();
            String charged = ctx.callActivity(Charge.class, reserved).await();
            return ctx.callActivity("ship", charged, String.class).await();
        }
    }

    /**
     * Reserves stock.
     */
    @TaskName("reserve")
    public static final class Reserve implements Activity<String, String> {

        private final Fixture fixture;

        Reserve(Fixture fixture) {
            this.fixture = fixture;
        }

        @Override
        public String execute(ActivityContext context, String input) {
            return this.fixture.ran("reserve", input + ":reserved");
        }
    }

    /**
     * Charges a card; declines orders named in the fixture.
     */
    @TaskName("charge")
    public static final class Charge implements Activity<String, String> {

        private final Fixture fixture;

        Charge(Fixture fixture) {
            this.fixture = fixture;
        }

        @Override
        public String execute(ActivityContext context, String input) {
            if (this.fixture.declined.stream().anyMatch(input::startsWith)) {
                this.fixture.ran("charge", "");
                throw new IllegalStateException("declined " + input.substring(0, input.indexOf(':')));
            }
            return this.fixture.ran("charge", input + ":charged");
        }
    }

    /**
     * The activities of {@link Sequence}, counting their runs.
     */
    protected static final class Fixture {

        final Map<String, Integer> runs = Collections.synchronizedMap(new LinkedHashMap<>());

        final List<String> declined = new CopyOnWriteArrayList<>();

        private volatile Consumer<String> beforeRun = (name) -> {
        };

        String ran(String name, String result) {
            this.beforeRun.accept(name);
            this.runs.merge(name, 1, Integer::sum);
            return result;
        }

        DurableTaskRegistry registry() {
            return registryWith((builder) -> {
            });
        }

        DurableTaskRegistry registryPausing(Consumer<String> beforeRun) {
            this.beforeRun = beforeRun;
            return registry();
        }

        DurableTaskRegistry registryWith(Consumer<DurableTaskRegistry.Builder> more, String... declined) {
            this.declined.addAll(List.of(declined));
            DurableTaskRegistry.Builder builder = DurableTaskRegistry.builder(new JacksonPayloadConverter())
                .activity(new Reserve(this))
                .activity(new Charge(this))
                .activity("ship", String.class, (ActivityContext ctx, String input) -> ran("ship", input + ":shipped"))
                .orchestration(Sequence.class, Sequence::new);
            more.accept(builder);
            return builder.build();
        }
    }

}
