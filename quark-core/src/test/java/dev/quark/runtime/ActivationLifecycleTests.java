package dev.quark.runtime;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

import dev.quark.actor.ActivationException;
import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.runtime.filter.IncomingCall;
import dev.quark.runtime.filter.IncomingCallFilter;
import dev.quark.runtime.fixtures.Probe;
import dev.quark.runtime.fixtures.ProbeActor;
import dev.quark.runtime.fixtures.ProbeEnvironment;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class ActivationLifecycleTests {

    private final ProbeEnvironment environment = new ProbeEnvironment();

    private final ActorRuntime runtime = runtimeBuilder()
        .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
        .idleTimeout(Duration.ofMillis(150))
        .collectionInterval(Duration.ofMillis(25))
        .build();

    @AfterEach
    void close() {
        this.environment.gates().values().forEach(java.util.concurrent.CountDownLatch::countDown);
        this.runtime.close();
    }

    @Test
    void idleActivationIsDeactivatedAndTheNextCallActivatesAFreshInstance() {
        Probe probe = this.runtime.get(Probe.class, "idle");
        assertThat(probe.events()).containsExactly("activate");
        await().atMost(Duration.ofSeconds(5)).until(() -> !this.runtime.isActive(Probe.class, "idle"));
        assertThat(this.environment.log()).containsExactly("idle:activate", "idle:deactivate:IDLE");

        assertThat(probe.events()).containsExactly("activate");
        assertThat(this.environment.activations()).hasValue(2);
    }

    @Test
    void activationWithARunningTurnIsNotCollected() {
        Probe probe = this.runtime.get(Probe.class, "working");
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> probe.block("long"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.isActive(Probe.class, "working"));
        long collected = java.util.stream.IntStream.range(0, 10).map((i) -> {
            await().pollDelay(Duration.ofMillis(50)).until(() -> true);
            return this.runtime.collectIdleActivations();
        }).sum();
        assertThat(collected).isZero();
        this.environment.open("long");
        assertThat(call).succeedsWithin(Duration.ofSeconds(5));
        assertThat(this.environment.activations()).hasValue(1);
    }

    @Test
    void deactivateOnIdleEndsTheActivationAfterTheTurn() {
        Probe probe = this.runtime.get(Probe.class, "leaving");
        probe.leave();
        await().atMost(Duration.ofSeconds(5)).until(() -> !this.runtime.isActive(Probe.class, "leaving"));
        assertThat(this.environment.log()).containsExactly("leaving:activate", "leaving:deactivate:EXPLICIT");
        assertThat(probe.overlap()).isEqualTo(1);
        assertThat(this.environment.activations()).hasValue(2);
    }

    @Test
    void deactivateOnIdleOutsideATurnEndsTheIdleActivationAndLaterCallsActivateAFreshOne() {
        Probe probe = this.runtime.get(Probe.class, "leaving-later");
        probe.leaveWhenOpen("leaving-later");
        this.environment.open("leaving-later");
        await().atMost(Duration.ofSeconds(5)).until(() -> !this.runtime.isActive(Probe.class, "leaving-later"));
        assertThat(this.environment.log()).containsExactly("leaving-later:activate",
                "leaving-later:deactivate:EXPLICIT");
        assertThat(probe.overlap()).isEqualTo(1);
        assertThat(this.environment.activations()).hasValue(2);
    }

    @Test
    void callsArrivingWhileAnActivationDeactivatesRunOnItsSuccessor() throws Exception {
        Probe probe = this.runtime.get(Probe.class, "handover");
        CompletableFuture<String> blocked = CompletableFuture.supplyAsync(() -> probe.block("handover"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.isActive(Probe.class, "handover"));
        this.runtime.deactivate(Probe.class, "handover");
        CompletableFuture<Integer> queued = CompletableFuture.supplyAsync(probe::overlap);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.queuedMessages(Probe.class, "handover") == 1);
        this.environment.open("handover");
        assertThat(blocked).succeedsWithin(Duration.ofSeconds(5));
        assertThat(queued).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(1);
        assertThat(this.environment.log()).containsExactly("handover:activate", "handover:deactivate:EXPLICIT",
                "handover:activate");
    }

    @Test
    void failingOnActivateFailsTheCallAndLeavesNoActivationBehind() {
        this.environment.failActivation().set(true);
        Probe probe = this.runtime.get(Probe.class, "fragile");
        assertThatExceptionOfType(ActivationException.class).isThrownBy(probe::overlap)
            .withMessageContaining("Probe/fragile")
            .withRootCauseInstanceOf(IllegalStateException.class)
            .satisfies((ex) -> assertThat(ex.getCause()).hasMessage("activation refused for fragile"));
        assertThat(this.runtime.isActive(Probe.class, "fragile")).isFalse();
        assertThat(this.runtime.activationCount()).isZero();
        assertThat(this.environment.log()).isEmpty();

        this.environment.failActivation().set(false);
        assertThat(probe.overlap()).isEqualTo(1);
        assertThat(this.environment.activations()).hasValue(2);
    }

    @Test
    void callWaitingWhenTheRuntimeClosesFailsNamingTheActorAndItsFiltersAreTold() {
        List<String> notRun = new CopyOnWriteArrayList<>();
        IncomingCallFilter observer = new IncomingCallFilter() {
            @Override
            public @Nullable Object filter(IncomingCall call) throws Throwable {
                return call.proceed();
            }

            @Override
            public void notRun(ActorCall call, CallOutcome outcome, @Nullable Throwable failure) {
                notRun.add(call.method().name() + ":" + outcome + ":"
                        + ((failure != null) ? failure.getClass().getSimpleName() : null));
            }
        };
        ActorRuntime closing = runtimeBuilder()
            .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
            .incomingFilter(observer)
            .build();
        Probe probe = closing.get(Probe.class, "closing");
        CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> probe.block("closing"));
        await().atMost(Duration.ofSeconds(5)).until(() -> closing.isActive(Probe.class, "closing"));
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(probe::overlap);
        await().atMost(Duration.ofSeconds(5)).until(() -> closing.queuedMessages(Probe.class, "closing") == 1);

        CompletableFuture<Void> closed = CompletableFuture.runAsync(closing::close);
        await().atMost(Duration.ofSeconds(5)).until(() -> !closing.isRunning());
        // On a thread of its own: the common pool's workers may all be taken by the calls above.
        CompletableFuture<Integer> afterClose = CompletableFuture.supplyAsync(probe::overlap,
                (task) -> Thread.ofVirtual().start(task));
        assertThat(afterClose).as("through a reference that delivered to the activation still running")
            .failsWithin(Duration.ofSeconds(2))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(ActorRuntimeClosedException.class);
        this.environment.open("closing");

        assertThat(running).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("closing");
        assertThat(waiting).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(ActorRuntimeClosedException.class)
            .withMessageContaining("Probe/closing");
        assertThat(closed).succeedsWithin(Duration.ofSeconds(5));
        assertThat(notRun).hasSize(1).first().asString().startsWith("overlap:").endsWith(":ActorRuntimeClosedException");
    }

    @Test
    void closingDeactivatesEveryActorAndRejectsLaterCalls() {
        Probe kept = this.runtime.get(Probe.class, "a");
        kept.overlap();
        this.runtime.get(Probe.class, "b").overlap();
        this.runtime.close();
        assertThatExceptionOfType(ActorRuntimeClosedException.class).as("through a reference that called before")
            .isThrownBy(kept::overlap);
        assertThat(this.runtime.activationCount()).isZero();
        assertThat(this.environment.log()).contains("a:deactivate:SHUTDOWN", "b:deactivate:SHUTDOWN");
        assertThatExceptionOfType(ActorRuntimeClosedException.class)
            .isThrownBy(() -> this.runtime.get(Probe.class, "a").overlap());
        assertThat(this.runtime.isRunning()).isFalse();
    }

    /**
     * A reference keeps the activation it last called, to skip the catalog's look-up on its next call: once that
     * activation has ended (its instance let go as it deactivates), the reference must not keep its actor (and the
     * actor's state) reachable.
     */
    @Test
    void aReferenceThatOutlivesItsActivationDoesNotKeepTheActor() {
        List<WeakReference<ProbeActor>> created = new CopyOnWriteArrayList<>();
        try (ActorRuntime own = runtimeBuilder().actor(ProbeActor.class, () -> {
            ProbeActor actor = new ProbeActor(this.environment);
            created.add(new WeakReference<>(actor));
            return actor;
        }).build()) {
            Probe probe = own.get(Probe.class, "kept");
            assertThat(probe.overlap()).isEqualTo(1);
            assertThat(created).hasSize(1);
            own.deactivate(Probe.class, "kept");
            await().atMost(Duration.ofSeconds(5)).until(() -> !own.isActive(Probe.class, "kept"));
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                System.gc();
                return created.get(0).get() == null;
            });
            assertThat(probe.events()).as("the next call activates a new instance").containsExactly("activate");
            assertThat(created).hasSize(2);
        }
    }

    /** Starts the builder of every runtime these tests make; a subclass runs them on another turn scheduler. */
    ActorRuntime.Builder runtimeBuilder() {
        return ActorRuntime.builder();
    }
}
