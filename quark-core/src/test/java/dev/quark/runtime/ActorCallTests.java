package dev.quark.runtime;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import dev.quark.actor.ActorRef;
import dev.quark.actor.RequestContext;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import dev.quark.runtime.fixtures.Probe;
import dev.quark.runtime.fixtures.ProbeActor;
import dev.quark.runtime.fixtures.ProbeEnvironment;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ActorCallTests {

    private final ProbeEnvironment environment = new ProbeEnvironment();

    @AutoClose
    private final ActorRuntime runtime = runtimeBuilder()
        .actor(CounterActor.class)
        .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
        .build();

    @BeforeEach
    void share() {
        this.environment.actors().set(this.runtime);
    }

    @Test
    void exceptionThrownInTurnReachesCallerWithTypeAndMessage() {
        Probe probe = this.runtime.get(Probe.class, "p");
        IllegalStateException thrown = new IllegalStateException("boom in turn");
        assertThatThrownBy(() -> probe.fail(thrown)).isSameAs(thrown);
        assertThatExceptionOfType(IOException.class).isThrownBy(() -> probe.failChecked("disk gone"))
            .withMessage("disk gone");
    }

    @Test
    void actorKeepsServingAfterATurnThrows() {
        Probe probe = this.runtime.get(Probe.class, "resilient");
        assertThatThrownBy(() -> probe.fail(new IllegalArgumentException("bad"))).hasMessage("bad");
        assertThat(probe.overlap()).isEqualTo(1);
        assertThat(this.environment.activations()).hasValue(1);
    }

    @Test
    void asynchronousMethodsCompleteTheirFutures() throws Exception {
        Counter counter = this.runtime.get(Counter.class, "async");
        CompletableFuture<Long> first = counter.incrementAsync();
        CompletableFuture<Long> second = counter.incrementAsync();
        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(1L);
        assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo(2L);
        assertThat(counter.getStage().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(2L);
    }

    @Test
    void continuationOfAnAsynchronousCallMayCallTheSameActorSynchronously() throws Exception {
        Counter counter = this.runtime.get(Counter.class, "continuation");
        CompletableFuture<Long> chained = counter.incrementAsync().thenApply((value) -> counter.increment());
        assertThat(chained.get(5, TimeUnit.SECONDS)).isEqualTo(2L);
    }

    @Test
    void asynchronousCallerSeesTheOriginalException() {
        Probe probe = this.runtime.get(Probe.class, "async-failure");
        CompletableFuture<String> call = probe.failAsync("no");
        assertThatThrownBy(call::join).isInstanceOf(CompletionException.class)
            .cause().isInstanceOf(IllegalStateException.class).hasMessage("no");
    }

    @Test
    void requestIdAndMetadataFlowIntoNestedCalls() {
        Probe probe = this.runtime.get(Probe.class, "outer");
        Map<String, String> outer;
        Map<String, String> inner;
        try (RequestContext.Scope scope = RequestContext.of("req-7", Map.of("tenant", "acme")).open()) {
            outer = probe.seenContext();
            inner = probe.contextOf("inner");
        }
        assertThat(outer).containsEntry("requestId", "req-7").containsEntry("tenant", "acme")
            .containsEntry("actorId", "outer");
        assertThat(inner).containsEntry("requestId", "req-7").containsEntry("tenant", "acme")
            .containsEntry("actorId", "inner");
        assertThat(RequestContext.current()).isNull();
    }

    @Test
    void nestedCallsKeepTheCallChainAndTopLevelCallsStartNewOnes() {
        Probe probe = this.runtime.get(Probe.class, "chain");
        Map<String, String> first = probe.seenContext();
        Map<String, String> second = probe.seenContext();
        assertThat(first.get("chainId")).isNotEqualTo(second.get("chainId"));
        assertThat(first.get("requestId")).isEqualTo(Long.toHexString(Long.parseLong(first.get("chainId"))));
        Map<String, String> nested = this.runtime.get(Probe.class, "caller").contextOf("callee");
        assertThat(nested.get("requestId")).isEqualTo(Long.toHexString(Long.parseLong(nested.get("chainId"))));
    }

    @Test
    void referencesAreValueObjectsNamingTheirActor() {
        Counter first = this.runtime.get(Counter.class, "same");
        Counter second = this.runtime.get(Counter.class, "same");
        Counter other = this.runtime.get(Counter.class, "other");
        assertThat(first).isEqualTo(second).hasSameHashCodeAs(second).isNotEqualTo(other);
        assertThat(first).isInstanceOf(ActorRef.class).hasToString("ActorRef[Counter/same]");
        assertThat(((ActorRef) first).actorId()).isEqualTo("same");
        assertThat(((ActorRef) first).actorContract()).isEqualTo(Counter.class);
        assertThat(this.runtime.activationCount()).isZero();
    }

    /** Starts the builder of every runtime these tests make; a subclass runs them on another turn scheduler. */
    ActorRuntime.Builder runtimeBuilder() {
        return ActorRuntime.builder();
    }
}
