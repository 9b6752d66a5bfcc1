package dev.quark.runtime;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.ActivationException;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.QuarkActor;
import dev.quark.runtime.fixtures.Probe;
import dev.quark.runtime.fixtures.ProbeActor;
import dev.quark.runtime.fixtures.ProbeEnvironment;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class ActivationHookTests {

    private final ProbeEnvironment environment = new ProbeEnvironment();

    private final List<String> log = this.environment.log();

    @Test
    void hooksRunAroundTheActorsOwnLifecycleInOrder() {
        try (ActorRuntime runtime = runtime(new RecordingHook("first"), new RecordingHook("second"))) {
            Probe probe = runtime.get(Probe.class, "p");
            probe.leave();
            await().atMost(Duration.ofSeconds(5)).until(() -> !runtime.isActive(Probe.class, "p"));
        }
        assertThat(this.log).containsExactly("first:before:Probe/p:ProbeActor", "second:before:Probe/p:ProbeActor",
                "p:activate", "p:deactivate:EXPLICIT", "second:after:EXPLICIT", "first:after:EXPLICIT");
    }

    @Test
    void failingHookFailsTheActivationAndUndoesTheHooksBeforeIt() {
        ActivationHook failing = (actor) -> {
            throw new IllegalStateException("state store unreachable");
        };
        try (ActorRuntime runtime = runtime(new RecordingHook("first"), failing, new RecordingHook("third"))) {
            assertThatExceptionOfType(ActivationException.class).isThrownBy(() -> runtime.get(Probe.class, "p").overlap())
                .withMessageContaining("Probe/p")
                .withMessageContaining("state store unreachable");
            assertThat(runtime.isActive(Probe.class, "p")).isFalse();
        }
        assertThat(this.log).containsExactly("first:before:Probe/p:ProbeActor", "first:after:FAILURE");
    }

    @Test
    void failingOnActivateUndoesEveryHook() {
        this.environment.failActivation().set(true);
        try (ActorRuntime runtime = runtime(new RecordingHook("only"))) {
            assertThatExceptionOfType(ActivationException.class).isThrownBy(() -> runtime.get(Probe.class, "p").overlap());
        }
        assertThat(this.log).containsExactly("only:before:Probe/p:ProbeActor", "only:after:FAILURE");
    }

    @Test
    void quarkActorNameNamesTheType() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(NamedProbe.class, () -> new NamedProbe(this.environment))
            .activationHook(new RecordingHook("hook"))
            .build()) {
            runtime.get(Probe.class, "n").overlap();
            assertThat(runtime.actorTypes()).singleElement().satisfies((type) -> assertThat(type.name()).isEqualTo("probe-v2"));
        }
        assertThat(this.log).first().isEqualTo("hook:before:probe-v2/n:NamedProbe");
    }

    private ActorRuntime runtime(ActivationHook... hooks) {
        ActorRuntime.Builder builder = ActorRuntime.builder()
            .actor(ProbeActor.class, () -> new ProbeActor(this.environment));
        for (ActivationHook hook : hooks) {
            builder.activationHook(hook);
        }
        return builder.build();
    }

    @QuarkActor(name = "probe-v2")
    static class NamedProbe extends ProbeActor {

        NamedProbe(ProbeEnvironment environment) {
            super(environment);
        }
    }

    private final class RecordingHook implements ActivationHook {

        private final String name;

        RecordingHook(String name) {
            this.name = name;
        }

        @Override
        public void beforeActivate(ActorInstance actor) {
            ActivationHookTests.this.log.add(this.name + ":before:" + actor + ":" + actor.instance().getClass().getSimpleName());
        }

        @Override
        public void afterDeactivate(ActorInstance actor, DeactivationReason reason) {
            ActivationHookTests.this.log.add(this.name + ":after:" + reason);
        }
    }
}
