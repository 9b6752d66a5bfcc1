package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A platform thread's spin for its call's answer: it ends when the answer comes, or parks the caller's wait no later
 * than the spin's time; virtual threads, a zero spin and callers beyond the spinners' bound do not spin.
 */
class PlatformCallerSpinTests {

    private static final Duration LONG_SPIN = Duration.ofSeconds(20);

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void anAnswerThatComesWhileThePlatformCallerSpinsEndsTheSpinAtOnce() throws Exception {
        PlatformCallerSpin spin = new PlatformCallerSpin(LONG_SPIN, 1);
        CompletableFuture<String> answer = new CompletableFuture<>();
        Thread answering = Thread.ofPlatform().start(() -> {
            await().atMost(WAIT).until(() -> PlatformCallerSpin.spinning() == 1);
            answer.complete("done");
        });
        long started = System.nanoTime();

        assertThat(spin.awaitBriefly(answer)).isTrue();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(LONG_SPIN);
        assertThat(PlatformCallerSpin.spinning()).isZero();
        answering.join();
    }

    @Test
    void withoutAnAnswerTheSpinEndsAfterItsTimeWithTheFutureNotDone() {
        PlatformCallerSpin spin = new PlatformCallerSpin(Duration.ofMillis(5), 1);
        long started = System.nanoTime();

        assertThat(spin.awaitBriefly(new CompletableFuture<>())).isFalse();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(5));
        assertThat(PlatformCallerSpin.spinning()).isZero();
    }

    @Test
    void aVirtualThreadNeverSpins() throws Exception {
        PlatformCallerSpin spin = new PlatformCallerSpin(LONG_SPIN, 1);
        AtomicBoolean done = new AtomicBoolean(true);
        AtomicLong took = new AtomicLong();
        Thread.ofVirtual().start(() -> {
            long started = System.nanoTime();
            done.set(spin.awaitBriefly(new CompletableFuture<>()));
            took.set(System.nanoTime() - started);
        }).join();

        assertThat(done).isFalse();
        assertThat(Duration.ofNanos(took.get())).isLessThan(WAIT);
    }

    @Test
    void aZeroSpinOrNoPlaceToSpinReturnsAtOnce() {
        long started = System.nanoTime();

        assertThat(new PlatformCallerSpin(Duration.ZERO, 1).awaitBriefly(new CompletableFuture<>())).isFalse();
        assertThat(new PlatformCallerSpin(LONG_SPIN, 0).awaitBriefly(new CompletableFuture<>())).isFalse();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(WAIT);
    }

    @Test
    void noMoreCallersSpinAtOnceThanTheBoundAndTheOthersReturnAtOnce() throws Exception {
        PlatformCallerSpin spin = new PlatformCallerSpin(LONG_SPIN, 1);
        CompletableFuture<String> first = new CompletableFuture<>();
        AtomicBoolean firstDone = new AtomicBoolean();
        Thread spinning = Thread.ofPlatform().start(() -> firstDone.set(spin.awaitBriefly(first)));
        await().atMost(WAIT).until(() -> PlatformCallerSpin.spinning() == 1);
        long started = System.nanoTime();

        assertThat(spin.awaitBriefly(new CompletableFuture<>())).isFalse();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(WAIT);
        first.complete("done");
        spinning.join();
        assertThat(firstDone).isTrue();
        assertThat(PlatformCallerSpin.spinning()).isZero();
    }
}
