package dev.quark.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorCallExpiredException;
import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.OneWay;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import dev.quark.runtime.fixtures.Probe;
import dev.quark.runtime.fixtures.ProbeActor;
import dev.quark.runtime.fixtures.ProbeEnvironment;
import dev.quark.runtime.fixtures.SettableClock;
import dev.quark.runtime.routing.InboundCall;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Calls delivered as a transport would deliver them from another silo.
 */
class InboundCallTests {

    private final ProbeEnvironment environment = new ProbeEnvironment();

    private final SettableClock clock = new SettableClock();

    private final List<String> recorded = new CopyOnWriteArrayList<>();

    private final ActorRuntime runtime = ActorRuntime.builder()
        .clock(this.clock)
        .actor(CounterActor.class)
        .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
        .actor(ShouterActor.class, () -> new ShouterActor(this.environment))
        .actor(BrokenShouterActor.class, () -> {
            throw new IllegalStateException("no instance");
        })
        .metrics((contract, method) -> (outcome, nanos) -> this.recorded.add(method + ":" + outcome))
        .build();

    @AfterEach
    void close() {
        this.environment.gates().values().forEach(CountDownLatch::countDown);
        this.runtime.close();
    }

    @Test
    void inboundCallRunsTheMethodAndCompletesWithItsResult() throws Exception {
        MethodDescriptor increment = method(Counter.class, "increment");
        CompletableFuture<Object> result = this.runtime.inbound().deliver(call("Counter", "c-1", increment));
        assertThat(result).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(1L);
        assertThat(this.runtime.get(Counter.class, "c-1").get()).isEqualTo(1);
    }

    @Test
    void inboundCallCarriesItsRequestIdMetadataAndCallChainIntoTheTurn() {
        MethodDescriptor seen = method(Probe.class, "seenContext");
        InboundCall call = new InboundCall(new ActorAddress("Probe", "p-1"), seen.id(), new Object[0], 42L, "req-7",
                Map.of("tenant", "acme"), this.clock.millis() + 10_000);
        assertThat(this.runtime.inbound().deliver(call)).succeedsWithin(Duration.ofSeconds(5))
            .isEqualTo(Map.of("requestId", "req-7", "tenant", "acme", "chainId", "42", "actorId", "p-1"));
    }

    @Test
    void transportLearnsTheParameterTypesOfAMethodId() {
        MethodDescriptor add = method(Counter.class, "add");
        assertThat(this.runtime.inbound().method("Counter", add.id()).parameterTypes()).containsExactly(long.class);
    }

    @Test
    void inboundCallToAnUnknownTypeMethodOrArityFailsClearly() {
        MethodDescriptor add = method(Counter.class, "add");
        assertThat(this.runtime.inbound().deliver(call("Nobody", "x", add))).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(ActorUnreachableException.class)
            .withMessageContaining("no actor type 'Nobody'");
        assertThatIllegalArgumentException().isThrownBy(() -> this.runtime.inbound().method("Counter", 12345))
            .withMessageContaining("Counter has no method with id 0x00003039");
        assertThat(this.runtime.inbound().deliver(call("Counter", "x", add))).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(IllegalArgumentException.class)
            .withMessageContaining("has 0 arguments, the method takes 1");
    }

    @Test
    void inboundCallWhoseDeadlinePassedInTheMailboxIsDroppedAndItsCallerTold() {
        Probe probe = this.runtime.get(Probe.class, "busy");
        CompletableFuture.runAsync(() -> probe.block("first"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.gates().containsKey("first"));
        MethodDescriptor block = method(Probe.class, "block");
        InboundCall late = new InboundCall(new ActorAddress("Probe", "busy"), block.id(), new Object[] { "second" },
                0, null, Map.of(), this.clock.millis() + 1_000);
        CompletableFuture<Object> result = this.runtime.inbound().deliver(late);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.queuedMessages(Probe.class, "busy") == 1);
        this.clock.advance(Duration.ofSeconds(2));
        this.environment.open("first");
        assertThat(result).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(ActorCallExpiredException.class)
            .withMessageContaining("Probe/busy.block()")
            .withMessageContaining("was not run");
        assertThat(this.environment.gates()).doesNotContainKey("second");
        await().atMost(Duration.ofSeconds(5)).until(() -> this.recorded.contains("block:EXPIRED"));
    }

    /**
     * A one-way call's outcome says it was delivered and run, not what its turn threw: that failure is the turn's
     * (logged and counted here), and a silo that delivered the call for another must not report it as not delivered.
     */
    @Test
    void oneWayInboundCallCompletesOnceItsTurnRanAlsoWhenTheTurnThrew() {
        CompletableFuture<Object> result = this.runtime.inbound()
            .deliver(call("Shouter", "s-1", method(Shouter.class, "shout"), "boom"));

        assertThat(result).succeedsWithin(Duration.ofSeconds(5)).isNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> this.recorded.contains("shout:FAILURE"));
    }

    @Test
    void oneWayInboundCallWhoseActivationFailsCompletesToo() {
        CompletableFuture<Object> result = this.runtime.inbound()
            .deliver(call("BrokenShouter", "b-1", method(BrokenShouter.class, "shout"), "never"));

        assertThat(result).succeedsWithin(Duration.ofSeconds(5)).isNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> this.recorded.contains("shout:FAILURE"));
    }

    /** A one-way call dropped unrun for its deadline is reported by its outcome: nothing else reports it. */
    @Test
    void oneWayInboundCallWhoseDeadlinePassedInTheMailboxStillFailsAsExpired() {
        Shouter shouter = this.runtime.get(Shouter.class, "busy");
        CompletableFuture.runAsync(() -> shouter.hold("first"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.gates().containsKey("first"));
        InboundCall late = new InboundCall(new ActorAddress("Shouter", "busy"), method(Shouter.class, "shout").id(),
                new Object[] { "late" }, 0, null, Map.of(), this.clock.millis() + 1_000);
        CompletableFuture<Object> result = this.runtime.inbound().deliver(late);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.queuedMessages(Shouter.class, "busy") == 1);
        this.clock.advance(Duration.ofSeconds(2));
        this.environment.open("first");

        assertThat(result).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(ActorCallExpiredException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.recorded.contains("shout:EXPIRED"));
    }

    @Test
    void localCallWhoseDeadlinePassedInTheMailboxFailsAsATimeoutWithoutRunning() {
        Probe probe = this.runtime.get(Probe.class, "local");
        CompletableFuture.runAsync(() -> probe.block("held"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.gates().containsKey("held"));
        CompletableFuture<String> queued = probe.failAsync("never runs");
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.queuedMessages(Probe.class, "local") == 1);
        this.clock.advance(Duration.ofSeconds(31));
        this.environment.open("held");
        assertThat(queued).failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(ActorCallTimeoutException.class)
            .isInstanceOf(ActorCallExpiredException.class);
        assertThat(this.recorded).doesNotContain("failAsync:FAILURE");
    }

    private InboundCall call(String type, String id, MethodDescriptor method, Object... arguments) {
        return new InboundCall(new ActorAddress(type, id), method.id(), arguments, 0, null, Map.of(),
                this.clock.millis() + 10_000);
    }

    private MethodDescriptor method(Class<?> contract, String name) {
        String type = contract.getSimpleName();
        for (java.lang.reflect.Method method : contract.getMethods()) {
            if (method.getName().equals(name)) {
                StringBuilder signature = new StringBuilder(name).append('(');
                Class<?>[] parameters = method.getParameterTypes();
                for (int i = 0; i < parameters.length; i++) {
                    signature.append((i > 0) ? "," : "").append(parameters[i].getName());
                }
                try {
                    return this.runtime.inbound().method(type, ContractRegistryTests.idOf(signature.append(')').toString()));
                }
                catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
            }
        }
        throw new IllegalArgumentException(name);
    }

    /** Throws from a one-way method. */
    public interface Shouter extends Actor {

        @OneWay
        void shout(String message);

        /** Blocks until the environment's gate of the given name opens. */
        String hold(String gate);
    }

    static final class ShouterActor implements Shouter {

        private final ProbeEnvironment environment;

        ShouterActor(ProbeEnvironment environment) {
            this.environment = environment;
        }

        @Override
        public void shout(String message) {
            throw new IllegalStateException(message);
        }

        @Override
        public String hold(String gate) {
            try {
                this.environment.gate(gate).await();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return gate;
        }
    }

    /** A one-way contract whose actor cannot be created. */
    public interface BrokenShouter extends Actor {

        @OneWay
        void shout(String message);
    }

    static final class BrokenShouterActor implements BrokenShouter {

        @Override
        public void shout(String message) {
        }
    }
}
