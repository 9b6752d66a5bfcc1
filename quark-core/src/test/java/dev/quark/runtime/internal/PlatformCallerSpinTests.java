package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.InvalidSettingException;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * A platform thread's spin for its call's answer: it ends when the answer comes, or leaves the caller to park no
 * later than the spin's time; virtual threads, fork-join workers, interrupted threads, a zero spin, callers beyond the
 * spinners' bound and methods backing off after missed spins do not spin; the runtime spins for blocking calls from
 * platform threads, but not for those of turns that run on platform threads.
 */
class PlatformCallerSpinTests {

    private static final Duration LONG_SPIN = Duration.ofSeconds(20);

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final AtomicInteger places = new AtomicInteger();

    @Test
    void anAnswerThatComesWhileThePlatformCallerSpinsEndsTheSpinAtOnce() throws Exception {
        PlatformCallerSpin spin = new PlatformCallerSpin(LONG_SPIN, 1, this.places);
        CompletableFuture<String> answer = new CompletableFuture<>();
        Thread answering = Thread.ofPlatform().start(() -> {
            await().atMost(WAIT).until(() -> spin.spinning() == 1);
            answer.complete("done");
        });
        long started = System.nanoTime();

        assertThat(spin.awaitBriefly(answer, new PlatformCallerSpin.Backoff())).isTrue();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(LONG_SPIN);
        assertThat(spin.spinning()).isZero();
        answering.join();
    }

    @Test
    void withoutAnAnswerTheSpinEndsAfterItsTimeWithTheFutureNotDone() {
        PlatformCallerSpin spin = new PlatformCallerSpin(Duration.ofMillis(5), 1, this.places);
        long misses = PlatformCallerSpin.misses();
        long started = System.nanoTime();

        assertThat(spin.awaitBriefly(new CompletableFuture<>(), new PlatformCallerSpin.Backoff())).isFalse();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(5));
        assertThat(spin.spinning()).isZero();
        assertThat(PlatformCallerSpin.misses()).isGreaterThan(misses);
    }

    @Test
    void virtualThreadsForkJoinWorkersAndInterruptedThreadsNeverSpin() throws Exception {
        PlatformCallerSpin spin = new PlatformCallerSpin(LONG_SPIN, 1, this.places);
        AtomicBoolean done = new AtomicBoolean(true);
        AtomicLong took = new AtomicLong();
        Runnable waitBriefly = () -> {
            long started = System.nanoTime();
            done.set(spin.awaitBriefly(new CompletableFuture<>(), new PlatformCallerSpin.Backoff()));
            took.set(System.nanoTime() - started);
        };

        Thread.ofVirtual().start(waitBriefly).join();
        assertThat(done).isFalse();
        assertThat(Duration.ofNanos(took.get())).isLessThan(WAIT);

        done.set(true);
        ForkJoinPool pool = new ForkJoinPool(1);
        try {
            pool.submit(waitBriefly).get();
        }
        finally {
            pool.shutdownNow();
        }
        assertThat(done).isFalse();
        assertThat(Duration.ofNanos(took.get())).isLessThan(WAIT);

        done.set(true);
        Thread.ofPlatform().start(() -> {
            Thread.currentThread().interrupt();
            waitBriefly.run();
        }).join();
        assertThat(done).isFalse();
        assertThat(Duration.ofNanos(took.get())).isLessThan(WAIT);
    }

    @Test
    void aZeroSpinOrNoPlaceToSpinReturnsAtOnce() {
        long started = System.nanoTime();

        assertThat(new PlatformCallerSpin(Duration.ZERO, 1, this.places).awaitBriefly(new CompletableFuture<>(),
                new PlatformCallerSpin.Backoff())).isFalse();
        assertThat(new PlatformCallerSpin(LONG_SPIN, 0, this.places).awaitBriefly(new CompletableFuture<>(),
                new PlatformCallerSpin.Backoff())).isFalse();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(WAIT);
    }

    @Test
    void noMoreCallersSpinAtOnceThanTheBoundAndTheOthersReturnAtOnce() throws Exception {
        PlatformCallerSpin spin = new PlatformCallerSpin(LONG_SPIN, 1, this.places);
        CompletableFuture<String> first = new CompletableFuture<>();
        AtomicBoolean firstDone = new AtomicBoolean();
        Thread spinning = Thread.ofPlatform()
            .start(() -> firstDone.set(spin.awaitBriefly(first, new PlatformCallerSpin.Backoff())));
        await().atMost(WAIT).until(() -> spin.spinning() == 1);
        long started = System.nanoTime();

        assertThat(spin.awaitBriefly(new CompletableFuture<>(), new PlatformCallerSpin.Backoff())).isFalse();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(WAIT);
        first.complete("done");
        spinning.join();
        assertThat(firstDone).isTrue();
        assertThat(spin.spinning()).isZero();
    }

    @Test
    void aMethodWhoseAnswersMissTheSpinIsSpunForEverMoreRarelyUntilOneComesWithinIt() {
        PlatformCallerSpin.Backoff backoff = new PlatformCallerSpin.Backoff();

        backoff.spun(false);
        assertThat(callsWithoutSpin(backoff)).isEqualTo(1);
        backoff.spun(false);
        assertThat(callsWithoutSpin(backoff)).isEqualTo(2);
        backoff.spun(false);
        assertThat(callsWithoutSpin(backoff)).isEqualTo(4);
        for (int i = 0; i < 20; i++) {
            backoff.spun(false);
            callsWithoutSpin(backoff);
        }
        backoff.spun(false);
        assertThat(callsWithoutSpin(backoff)).isEqualTo(PlatformCallerSpin.Backoff.MAX_SKIPS);

        backoff.spun(true);
        assertThat(callsWithoutSpin(backoff)).isZero();
        backoff.spun(false);
        assertThat(callsWithoutSpin(backoff)).as("back to one after an answer within the spin").isEqualTo(1);
    }

    @Test
    void aMethodBackingOffDoesNotSpin() {
        PlatformCallerSpin spin = new PlatformCallerSpin(LONG_SPIN, 1, this.places);
        PlatformCallerSpin.Backoff backoff = new PlatformCallerSpin.Backoff();
        backoff.spun(false);
        long started = System.nanoTime();

        assertThat(spin.awaitBriefly(new CompletableFuture<>(), backoff)).isFalse();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(WAIT);
    }

    @Test
    void theRuntimeSpinsForABlockingCallFromAPlatformThread() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(WaiterActor.class).build()) {
            Waiter waiter = runtime.get(Waiter.class, "w");
            long misses = PlatformCallerSpin.misses();

            // The turn answers only once a spin missed it: this platform caller's.
            assertThat(waiter.answerOnceASpinMissed(misses)).isTrue();
        }
    }

    /**
     * A turn that runs on a platform thread (a runtime given an executor of its own) and waits for a call it made
     * does not spin: only callers outside turns do, whose thread would otherwise only park. The called turn answers
     * once a spin missed it, or after a bound: a turn that spun for its call would miss and be answered at once.
     * (A running turn owns its activation, so its blocking call always takes the nested wait, which looks for
     * deadlocks; the {@code outsideTurns} check of the plain wait guards a turn that would not.)
     */
    @Test
    void aTurnOnAPlatformThreadDoesNotSpinForTheCallItMakes() throws Exception {
        ExecutorService platformTurns = Executors.newCachedThreadPool();
        AtomicReference<ActorRuntime> actors = new AtomicReference<>();
        try (ActorRuntime runtime = ActorRuntime.builder()
            .turnExecutor(platformTurns)
            .actor(WaiterActor.class)
            .actor(RelayActor.class, () -> new RelayActor(actors))
            .build()) {
            actors.set(runtime);
            Relay relay = runtime.get(Relay.class, "r");
            long misses = PlatformCallerSpin.misses();
            CompletableFuture<Boolean> answered = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    answered.complete(relay.relayOnceASpinMissed(misses));
                }
                catch (Throwable ex) {
                    answered.completeExceptionally(ex);
                }
            });

            assertThat(answered).succeedsWithin(WAIT).isEqualTo(false);
            assertThat(PlatformCallerSpin.misses()).isEqualTo(misses);
        }
        finally {
            platformTurns.shutdownNow();
        }
    }

    @Test
    void aSpinLongerThanAMillisecondOrNegativeIsRefused() {
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> ActorRuntime.builder().platformCallerSpin(Duration.ofNanos(1_000_001)))
            .withMessageContaining("platformCallerSpin")
            .withMessageContaining("must be at most 1000 µs");
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> ActorRuntime.builder().platformCallerSpin(Duration.ofNanos(-1)))
            .withMessageContaining("must not be negative");
        ActorRuntime.builder().platformCallerSpin(Duration.ofMillis(1)).platformCallerSpin(Duration.ZERO);
    }

    private static int callsWithoutSpin(PlatformCallerSpin.Backoff backoff) {
        int calls = 0;
        while (backoff.skip()) {
            calls++;
        }
        return calls;
    }

    public interface Waiter extends Actor {

        /** Answers once the process counted a spin that missed since {@code misses}. */
        boolean answerOnceASpinMissed(long misses);

        /** Answers {@code true} once the process counted a missed spin since {@code misses}, else false after 300 ms. */
        boolean answerOnceASpinMissedWithin300Millis(long misses);
    }

    public interface Relay extends Actor {

        /** Calls a waiter's {@link Waiter#answerOnceASpinMissedWithin300Millis} from its turn. */
        boolean relayOnceASpinMissed(long misses);
    }

    @QuarkActor
    static class RelayActor extends AbstractActor implements Relay {

        private final AtomicReference<ActorRuntime> actors;

        RelayActor(AtomicReference<ActorRuntime> actors) {
            this.actors = actors;
        }

        @Override
        public boolean relayOnceASpinMissed(long misses) {
            return this.actors.get().get(Waiter.class, "w-relayed").answerOnceASpinMissedWithin300Millis(misses);
        }
    }

    @QuarkActor
    static class WaiterActor extends AbstractActor implements Waiter {

        @Override
        public boolean answerOnceASpinMissed(long misses) {
            await().atMost(WAIT).until(() -> PlatformCallerSpin.misses() > misses);
            return true;
        }

        @Override
        public boolean answerOnceASpinMissedWithin300Millis(long misses) {
            try {
                await().atMost(Duration.ofMillis(300)).until(() -> PlatformCallerSpin.misses() > misses);
                return true;
            }
            catch (ConditionTimeoutException ex) {
                return false;
            }
        }
    }
}
