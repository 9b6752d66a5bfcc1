package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class CallTimeoutsTests {

    private static final Duration TIMEOUT = Duration.ofMillis(300);

    private final ExecutorService completions = Executors.newVirtualThreadPerTaskExecutor();

    private final CallTimeouts timeouts = new CallTimeouts(TIMEOUT, this.completions, "test-call-timeouts");

    private final ActorType type = new ActorType(CounterActor.class, List.of(Counter.class),
            (implementation) -> new CounterActor());

    @AfterEach
    void close() {
        this.timeouts.close();
        this.completions.close();
    }

    @Test
    void everyArmedCallTimesOutAndNoneBeforeItsTime() {
        List<Invocation> calls = new ArrayList<>();
        long armedAt = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            TimedInvocation call = invocation("order-" + i);
            this.timeouts.arm(call);
            calls.add(call);
        }
        for (Invocation call : calls) {
            assertThat(call).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(ExecutionException.class)
                .havingCause()
                .isInstanceOf(ActorCallTimeoutException.class)
                .withMessageContaining("Counter/order-");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - armedAt)).isGreaterThanOrEqualTo(TIMEOUT);
        assertThat(this.timeouts.pending()).isZero();
    }

    @Test
    void theSweeperOutlivesAnExecutorThatRefusesAndStillFailsTheCall() {
        ExecutorService refusing = Executors.newSingleThreadExecutor();
        refusing.shutdown();
        try (CallTimeouts refused = new CallTimeouts(TIMEOUT, refusing, "test-refused-timeouts")) {
            for (int round = 0; round < 2; round++) {
                TimedInvocation call = invocation("refused-" + round);
                refused.arm(call);
                assertThat(call).failsWithin(Duration.ofSeconds(5))
                    .withThrowableOfType(ExecutionException.class)
                    .havingCause()
                    .isInstanceOf(ActorCallTimeoutException.class);
            }
            assertThat(refused.pending()).isZero();
        }
    }

    @Test
    void disarmedCallsLeaveNothingBehindAndNeverTimeOut() {
        List<Invocation> calls = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            TimedInvocation call = invocation("done-" + (i % 100));
            this.timeouts.arm(call);
            calls.add(call);
        }
        assertThat(this.timeouts.pending()).isEqualTo(10_000);
        // Completing out of arming order unlinks from the middle, the head and the tail.
        for (int i = calls.size() - 1; i >= 0; i -= 2) {
            calls.get(i).finish("ok", null, Runnable::run);
        }
        for (int i = 0; i < calls.size(); i += 2) {
            calls.get(i).finish("ok", null, Runnable::run);
        }
        assertThat(this.timeouts.pending()).isZero();
        assertThat(calls).allSatisfy((call) -> assertThat(call.join()).isEqualTo("ok"));
    }

    @Test
    void aCallAlreadyCompletedIsNotArmed() {
        TimedInvocation call = invocation("early");
        call.finish("ok", null, Runnable::run);
        this.timeouts.arm(call);
        assertThat(this.timeouts.pending()).isZero();
    }

    @Test
    void theSweeperWakesForTheFirstCallAfterAnIdlePeriod() {
        for (int round = 0; round < 2; round++) {
            TimedInvocation call = invocation("idle-" + round);
            long armedAt = System.nanoTime();
            this.timeouts.arm(call);
            assertThat(call).failsWithin(Duration.ofSeconds(5));
            assertThat(Duration.ofNanos(System.nanoTime() - armedAt)).isGreaterThanOrEqualTo(TIMEOUT)
                .isLessThan(Duration.ofSeconds(3));
            await().atMost(Duration.ofSeconds(5)).until(() -> this.timeouts.pending() == 0);
        }
    }

    @Test
    void aFilterStageTimesOutWithItsCallAndDisarmsItWhenItCompletesFirst() {
        TimedInvocation timedOut = invocation("filtered-late");
        CompletableFuture<Object> lateStage = new CompletableFuture<>();
        this.timeouts.arm(timedOut, lateStage);
        assertThat(lateStage).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(ActorCallTimeoutException.class);
        assertThat(timedOut).isCompletedExceptionally();

        TimedInvocation answered = invocation("filtered-early");
        CompletableFuture<Object> earlyStage = new CompletableFuture<>();
        this.timeouts.arm(answered, earlyStage);
        earlyStage.complete("filtered");
        assertThat(this.timeouts.pending()).isZero();
        assertThat(answered).isNotDone();
    }

    private TimedInvocation invocation(String id) {
        ActorIdentity identity = new ActorIdentity(this.type, id);
        return new TimedInvocation(identity, null, null, new SystemTask() {

            @Override
            public String name() {
                return "increment";
            }

            @Override
            public void run(Object instance) {
            }

            @Override
            public boolean keepsActivationAlive() {
                return true;
            }
        }, null, Invocation.newChainId(), null, java.util.Map.of(), Long.MAX_VALUE);
    }
}
