package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.OneWay;
import dev.quark.actor.QuarkActor;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The scheduler of ready activations (issue 9): turns that block do not stall the others, a busy activation
 * yields to others after its fairness bound, and a turn waiting for another actor gives its runner's work away.
 */
class ReadyQueueSchedulerTests {

    private static final long NEVER_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Shared shared = new Shared();

    private ReadyQueueScheduler scheduler = new ReadyQueueScheduler("test-turn", 4, 32_768, 32, 1_000_000);

    private ActorRuntime runtime = runtimeOn(this.scheduler);

    @AfterEach
    void close() {
        this.shared.gate.countDown();
        this.runtime.close();
        this.scheduler.close();
    }

    private ActorRuntime runtimeOn(ReadyQueueScheduler turns) {
        ActorRuntime built = ActorRuntime.builder()
            .actor(WaiterActor.class, () -> new WaiterActor(this.shared))
            .turnExecutor(turns)
            .build();
        this.shared.runtime.set(built);
        return built;
    }

    private void replaceScheduler(int parallelism, int turnsPerScheduling, long blockedAfterNanos) {
        this.runtime.close();
        this.scheduler.close();
        this.scheduler = new ReadyQueueScheduler("test-turn", parallelism, 100, turnsPerScheduling,
                blockedAfterNanos);
        this.runtime = runtimeOn(this.scheduler);
    }

    @Test
    void aThousandTurnsBlockedWithoutSayingSoDoNotStallTheNextActivation() {
        for (int i = 0; i < 1_000; i++) {
            this.runtime.get(Waiter.class, "blocked-" + i).block();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> this.shared.blocked.get() == 1_000);

        int handled = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> this.runtime.get(Waiter.class, "free").handled());

        assertThat(handled).isZero();
        assertThat(this.scheduler.runners()).isBetween(1_001, 1_000 + 4 + 8);
        this.shared.gate.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> this.scheduler.runners() <= 4);
    }

    @Test
    void aBusyActivationGoesBackToTheQueueAfterItsFairnessBound() {
        replaceScheduler(1, 4, NEVER_NANOS);
        Waiter busy = this.runtime.get(Waiter.class, "busy");
        busy.block();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.shared.blocked.get() == 1);
        for (int i = 0; i < 100; i++) {
            busy.note();
        }
        this.runtime.get(Waiter.class, "other").noteAfter("busy");
        await().atMost(Duration.ofSeconds(10)).until(() -> this.runtime.queuedMessages(Waiter.class, "busy") == 100);

        this.shared.gate.countDown();

        await().atMost(Duration.ofSeconds(10)).until(() -> this.shared.seen.containsKey("other"));
        assertThat(this.shared.seen.get("other")).as("notes of the busy actor before the other one's turn")
            .isEqualTo(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.shared.notes("busy").get() == 100);
    }

    @Test
    void aBusyActivationGoesBackToTheQueueOnceItsTimeSliceHasPassed() throws InterruptedException {
        this.runtime.close();
        this.scheduler.close();
        this.scheduler = new ReadyQueueScheduler("test-turn", 1, 100, 1_000, TimeUnit.MILLISECONDS.toNanos(5),
                NEVER_NANOS);
        this.runtime = runtimeOn(this.scheduler);
        CountDownLatch occupied = new CountDownLatch(1);
        this.scheduler.execute(() -> {
            occupied.countDown();
            awaitGate();
        });
        assertThat(occupied.await(10, TimeUnit.SECONDS)).isTrue();
        Waiter slow = this.runtime.get(Waiter.class, "slow");
        for (int i = 0; i < 20; i++) {
            slow.compute(TimeUnit.MILLISECONDS.toNanos(2));
        }
        this.runtime.get(Waiter.class, "other").noteAfter("slow");

        this.shared.gate.countDown();

        await().atMost(Duration.ofSeconds(30)).until(() -> this.shared.seen.containsKey("other"));
        assertThat(this.shared.seen.get("other")).as("2 ms turns of the slow actor before the other one's turn")
            .isBetween(1, 3);
        await().atMost(Duration.ofSeconds(30)).until(() -> this.shared.notes("slow").get() == 20);
    }

    @Test
    void workALongTurnSubmittedRunsOnARunnerLookingForWorkWhileThatTurnComputes() throws InterruptedException {
        ReadyQueueScheduler two = new ReadyQueueScheduler("steal", 2, 2, 32, NEVER_NANOS);
        try {
            CountDownLatch submitted = new CountDownLatch(1);
            CountDownLatch submittedRan = new CountDownLatch(1);
            AtomicBoolean ranWhileComputing = new AtomicBoolean();
            two.execute(() -> {
                two.execute(submittedRan::countDown);
                submitted.countDown();
                ranWhileComputing.set(spinUntil(submittedRan, TimeUnit.SECONDS.toNanos(10)));
            });
            assertThat(submitted.await(10, TimeUnit.SECONDS)).isTrue();

            two.execute(() -> {
                // a short task: the second runner, started for it, looks for work once it is done
            });

            assertThat(submittedRan.await(20, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(ranWhileComputing).isTrue());
        }
        finally {
            two.close();
        }
    }

    @Test
    void workALongTurnSubmittedIsGivenAwayByTheMonitorWhileThatTurnComputes() throws InterruptedException {
        ReadyQueueScheduler two = new ReadyQueueScheduler("monitored", 2, 2, 32, TimeUnit.MILLISECONDS.toNanos(1));
        try {
            CountDownLatch submittedRan = new CountDownLatch(1);
            AtomicBoolean ranWhileComputing = new AtomicBoolean();
            CountDownLatch done = new CountDownLatch(1);
            two.execute(() -> {
                two.execute(submittedRan::countDown);
                ranWhileComputing.set(spinUntil(submittedRan, TimeUnit.SECONDS.toNanos(10)));
                done.countDown();
            });

            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(ranWhileComputing).as("the submitted task ran while the turn that submitted it computed")
                .isTrue();
        }
        finally {
            two.close();
        }
    }

    @Test
    void workGivenAwayByATurnThatWaitsAfterCloseStillRuns() throws InterruptedException {
        ReadyQueueScheduler single = new ReadyQueueScheduler("closing", 1, 1, 32, NEVER_NANOS);
        CountDownLatch submitted = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        CountDownLatch submittedRan = new CountDownLatch(1);
        AtomicBoolean ranWhileWaiting = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        single.execute(() -> {
            single.execute(submittedRan::countDown);
            submitted.countDown();
            try {
                closed.await();
                boolean runner = ReadyQueueScheduler.blockingBegins();
                try {
                    ranWhileWaiting.set(submittedRan.await(10, TimeUnit.SECONDS));
                }
                finally {
                    ReadyQueueScheduler.blockingEnds(runner);
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            done.countDown();
        });
        assertThat(submitted.await(10, TimeUnit.SECONDS)).isTrue();

        single.close();
        closed.countDown();

        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ranWhileWaiting).as("the task its slot held ran while the turn waited for it").isTrue();
    }

    @Test
    void workInTheSlotOfATurnBlockedWithoutSayingSoRunsOnceClosed() throws InterruptedException {
        ReadyQueueScheduler single = new ReadyQueueScheduler("closing-slot", 1, 1, 32, NEVER_NANOS);
        CountDownLatch submitted = new CountDownLatch(1);
        CountDownLatch submittedRan = new CountDownLatch(1);
        AtomicBoolean ranWhileWaiting = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        single.execute(() -> {
            single.execute(submittedRan::countDown);
            submitted.countDown();
            try {
                // A wait the scheduler is not told of, which only the task in this runner's slot ends.
                ranWhileWaiting.set(submittedRan.await(10, TimeUnit.SECONDS));
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            done.countDown();
        });
        assertThat(submitted.await(10, TimeUnit.SECONDS)).isTrue();

        single.close();

        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ranWhileWaiting).as("the task its slot held ran while the turn waited for it").isTrue();
    }

    private static boolean spinUntil(CountDownLatch latch, long nanos) {
        long until = System.nanoTime() + nanos;
        while (latch.getCount() > 0) {
            if (System.nanoTime() > until) {
                return false;
            }
            // Still computing (a yielding thread is RUNNABLE), but the carrier is shared with the runner the test
            // needs: on a loaded machine with few cores that one would otherwise wait for this spin to end.
            Thread.yield();
        }
        return true;
    }

    private void awaitGate() {
        try {
            this.shared.gate.await();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aTurnWaitingForAnotherActorLetsThatActorRunAtOnce() {
        replaceScheduler(1, 32, NEVER_NANOS);
        Waiter caller = this.runtime.get(Waiter.class, "caller");

        int answer = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> caller.ask("callee"));

        assertThat(answer).isZero();
    }

    @Test
    void aTaskThatInterruptsItsThreadDoesNotLeaveTheInterruptToTheNextTaskOnThatRunner() throws InterruptedException {
        ReadyQueueScheduler single = new ReadyQueueScheduler("single", 1, 1, 32, NEVER_NANOS);
        try {
            CountDownLatch ran = new CountDownLatch(2);
            List<Thread> threads = new CopyOnWriteArrayList<>();
            AtomicBoolean interruptedInSecond = new AtomicBoolean(true);
            single.execute(() -> {
                threads.add(Thread.currentThread());
                Thread.currentThread().interrupt();
                ran.countDown();
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> ran.getCount() == 1);
            single.execute(() -> {
                threads.add(Thread.currentThread());
                interruptedInSecond.set(Thread.currentThread().isInterrupted());
                ran.countDown();
            });
            assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(threads).as("one runner ran both").hasSize(2).containsOnly(threads.get(0));
            assertThat(interruptedInSecond).isFalse();
        }
        finally {
            single.close();
        }
    }

    @Test
    void turnsThatAreOnlyLongOnTheCpuAreNotGivenMoreRunners() throws InterruptedException {
        ReadyQueueScheduler busy = new ReadyQueueScheduler("busy", 2, 1_000, 32, TimeUnit.MILLISECONDS.toNanos(1));
        try {
            int tasks = 24;
            CountDownLatch done = new CountDownLatch(tasks);
            for (int i = 0; i < tasks; i++) {
                busy.execute(() -> {
                    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    done.countDown();
                });
            }
            int most = 0;
            while (!done.await(2, TimeUnit.MILLISECONDS)) {
                most = Math.max(most, busy.runners());
            }
            assertThat(most).as("runners while every turn computed").isLessThanOrEqualTo(2 + 1);
        }
        finally {
            busy.close();
        }
    }

    @Test
    void tasksExecutedAfterCloseStillRun() throws InterruptedException {
        ReadyQueueScheduler closed = new ReadyQueueScheduler("closed", 1, 1, 1, 1);
        closed.close();
        CountDownLatch ran = new CountDownLatch(1);

        closed.execute(ran::countDown);

        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void badSettingsAreRefusedNamingThem() {
        assertThatIllegalArgumentException().isThrownBy(() -> new ReadyQueueScheduler("bad", 0, 1, 1, 1))
            .withMessageContaining("parallelism 0");
        assertThatIllegalArgumentException().isThrownBy(() -> new ReadyQueueScheduler("bad", 2, 1, 1, 1))
            .withMessageContaining("maxRunners 1");
        assertThatIllegalArgumentException().isThrownBy(() -> new ReadyQueueScheduler("bad", 1, 1, 0, 1))
            .withMessageContaining("turnsPerScheduling 0");
        assertThatIllegalArgumentException().isThrownBy(() -> new ReadyQueueScheduler("bad", 1, 1, 1, 0, 1))
            .withMessageContaining("timeSliceNanos 0");
    }

    /** What the waiters share with the test. */
    static final class Shared {

        final CountDownLatch gate = new CountDownLatch(1);

        final AtomicReference<ActorRuntime> runtime = new AtomicReference<>();

        final AtomicInteger blocked = new AtomicInteger();

        final Map<String, AtomicInteger> notes = new ConcurrentHashMap<>();

        final Map<String, Integer> seen = new ConcurrentHashMap<>();

        AtomicInteger notes(String id) {
            return this.notes.computeIfAbsent(id, (key) -> new AtomicInteger());
        }
    }

    /** An actor whose turns block, count, or call another one. */
    public interface Waiter extends Actor {

        /** Blocks on the shared gate without telling the runtime (as JDBC or a sleep would). */
        @OneWay
        void block();

        /** Counts a note. */
        @OneWay
        void note();

        /** Records how many notes the other actor had when this turn ran. */
        @OneWay
        void noteAfter(String otherId);

        /** Computes for the given time, then counts a note. */
        @OneWay
        void compute(long nanos);

        /** Returns this actor's notes. */
        int handled();

        /** Calls another waiter and returns its notes. */
        int ask(String otherId);
    }

    @QuarkActor
    public static class WaiterActor extends AbstractActor implements Waiter {

        private final Shared shared;

        public WaiterActor(Shared shared) {
            this.shared = shared;
        }

        @Override
        public void block() {
            this.shared.blocked.incrementAndGet();
            try {
                this.shared.gate.await();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void note() {
            this.shared.notes(actorId()).incrementAndGet();
        }

        @Override
        public void noteAfter(String otherId) {
            this.shared.seen.put(actorId(), this.shared.notes(otherId).get());
        }

        @Override
        public void compute(long nanos) {
            long until = System.nanoTime() + nanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            note();
        }

        @Override
        public int handled() {
            return this.shared.notes(actorId()).get();
        }

        @Override
        public int ask(String otherId) {
            return this.shared.runtime.get().get(Waiter.class, otherId).handled();
        }
    }
}
