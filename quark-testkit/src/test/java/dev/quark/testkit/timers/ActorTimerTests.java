package dev.quark.testkit.timers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.quark.runtime.TurnScheduler;
import dev.quark.testkit.ActorTestKit;
import dev.quark.testkit.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ActorTimerTests {

    private final ManualClock clock = new ManualClock();

    private final ClockworkEnvironment environment = new ClockworkEnvironment(this.clock);

    private final ActorTestKit kit = ActorTestKit.builder()
        .clock(this.clock)
        .actor(ClockworkActor.class, () -> new ClockworkActor(this.environment))
        .runtime((runtime) -> runtime.idleTimeout(Duration.ofMinutes(5)).turnScheduler(turnScheduler()))
        .build();

    @AfterEach
    void close() {
        this.environment.gates().values().forEach(java.util.concurrent.CountDownLatch::countDown);
        this.kit.close();
    }

    private Clockwork clockwork(String id) {
        return this.kit.get(Clockwork.class, id);
    }

    @Test
    void ticksFollowDueTimeThenPeriodInVirtualTime() {
        clockwork("c").start("a", 1000, 2000, false);
        this.kit.advanceTime(Duration.ofMillis(999));
        assertThat(clockwork("c").ticks()).isEmpty();
        this.kit.advanceTime(Duration.ofMillis(1));
        assertThat(clockwork("c").ticks()).containsExactly("a@1000");
        this.kit.advanceTime(Duration.ofSeconds(10));
        assertThat(clockwork("c").ticks()).containsExactly("a@1000", "a@3000", "a@5000", "a@7000", "a@9000",
                "a@11000");
    }

    @Test
    void zeroPeriodTicksOnce() {
        clockwork("c").start("once", 500, 0, false);
        this.kit.advanceTime(Duration.ofMinutes(1));
        assertThat(clockwork("c").ticks()).containsExactly("once@500");
        assertThat(clockwork("c").isActive("once")).isFalse();
    }

    @Test
    void timersAreCancelledByNameOrByHandle() {
        Clockwork clockwork = clockwork("c");
        clockwork.start("byName", 1000, 1000, false);
        clockwork.start("byHandle", 1000, 1000, false);
        this.kit.advanceTime(Duration.ofSeconds(2));
        assertThat(clockwork.stop("byName")).isTrue();
        assertThat(clockwork.stopByHandle("byHandle")).isTrue();
        assertThat(clockwork.stop("byName")).isFalse();
        assertThat(clockwork.isActive("byHandle")).isFalse();
        this.kit.advanceTime(Duration.ofSeconds(10));
        assertThat(clockwork.ticks()).containsExactlyInAnyOrder("byName@1000", "byHandle@1000", "byName@2000",
                "byHandle@2000");
    }

    @Test
    void registeringATimerAgainUnderTheSameNameReplacesIt() {
        Clockwork clockwork = clockwork("c");
        clockwork.start("t", 1000, 1000, false);
        clockwork.start("t", 5000, 5000, false);
        this.kit.advanceTime(Duration.ofSeconds(6));
        assertThat(clockwork.ticks()).containsExactly("t@5000");
    }

    @Test
    void ticksDoNotKeepTheActivationAliveAndStopWithIt() {
        clockwork("c").start("t", 60_000, 60_000, false);
        this.kit.advanceTime(Duration.ofMinutes(10));
        assertThat(this.kit.isActive(Clockwork.class, "c")).isFalse();
        List<String> ticksUntilCollected = List.copyOf(this.environment.log());
        assertThat(ticksUntilCollected).hasSizeBetween(4, 5);

        this.kit.advanceTime(Duration.ofHours(1));
        assertThat(this.environment.log()).isEqualTo(ticksUntilCollected);
        assertThat(this.kit.isActive(Clockwork.class, "c")).as("a stale tick must not reactivate it").isFalse();
        assertThat(this.kit.scheduler().pendingTasks()).as("only idle collection stays scheduled").isEqualTo(1);
    }

    @Test
    void keepAliveTimerKeepsTheActivationFromIdleCollection() {
        clockwork("c").start("t", 60_000, 60_000, true);
        this.kit.advanceTime(Duration.ofHours(1));
        assertThat(this.kit.isActive(Clockwork.class, "c")).isTrue();
        assertThat(clockwork("c").ticks()).hasSize(60);
    }

    @Test
    void aTickWaitsForTheRunningTurnToEnd() {
        Clockwork clockwork = clockwork("c");
        clockwork.start("t", 1000, 0, false);
        CompletableFuture<Void> holding = CompletableFuture.runAsync(() -> clockwork.hold("g"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.log().contains("c:hold-start"));

        CompletableFuture<Void> advancing = CompletableFuture.runAsync(() -> this.kit.advanceTime(Duration.ofSeconds(2)));
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
            .until(() -> !this.environment.log().contains("c:t@1000"));
        this.environment.gate("g").countDown();
        assertThat(holding).succeedsWithin(Duration.ofSeconds(5));
        assertThat(advancing).succeedsWithin(Duration.ofSeconds(5));
        assertThat(this.environment.log()).containsExactly("c:hold-start", "c:hold-end", "c:t@1000");
    }

    @Test
    void ticksNeverOverlapTurnsUnderLoad() throws Exception {
        Clockwork clockwork = clockwork("busy");
        clockwork.start("fast", 10, 10, false);
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> calls = new ArrayList<>();
            for (int caller = 0; caller < 50; caller++) {
                calls.add(callers.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        clockwork.touch();
                    }
                }));
            }
            for (int step = 0; step < 200; step++) {
                this.kit.advanceTime(Duration.ofMillis(10));
            }
            for (Future<?> call : calls) {
                call.get(30, TimeUnit.SECONDS);
            }
        }
        assertThat(clockwork.touch()).isEqualTo(5_001);
        assertThat(clockwork.ticks()).hasSize(200);
        assertThat(this.environment.overlaps()).hasValue(0);
    }

    /** The turn scheduler of these tests; a subclass runs them on another. */
    TurnScheduler turnScheduler() {
        return TurnScheduler.VIRTUAL_THREADS;
    }
}
