package dev.quark.runtime;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.Idempotent;
import dev.quark.actor.OneWay;
import dev.quark.actor.QuarkActor;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

class ActorRegistrationTests {

    @Test
    void callToAContractNoSiloHostsFailsNamingTheContract() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(CounterActor.class).build()) {
            Unimplemented reference = runtime.get(Unimplemented.class, "x");
            assertThatExceptionOfType(ActorUnreachableException.class).isThrownBy(reference::run)
                .withMessageContaining(Unimplemented.class.getName())
                .withMessageContaining("Unimplemented/x.run()")
                .withMessageContaining("not hosted by this runtime");
            assertThatIllegalArgumentException().isThrownBy(() -> runtime.isActive(Unimplemented.class, "x"))
                .withMessageContaining(Unimplemented.class.getName())
                .withMessageContaining("No @QuarkActor implementation");
        }
    }

    @Test
    void getWithAClassThatIsNotAnInterfaceIsRejected() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(CounterActor.class).build()) {
            @SuppressWarnings({ "unchecked", "rawtypes" })
            Class<Actor> notAnInterface = (Class) CounterActor.class;
            assertThatIllegalArgumentException().isThrownBy(() -> runtime.get(notAnInterface, "x"))
                .withMessageContaining(CounterActor.class.getName())
                .withMessageContaining("is not an interface");
            assertThatIllegalArgumentException().isThrownBy(() -> runtime.get(null, "x"))
                .withMessageContaining("must not be null");
        }
    }

    @Test
    void nullOrBlankIdIsRejected() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(CounterActor.class).build()) {
            assertThatIllegalArgumentException().isThrownBy(() -> runtime.get(Counter.class, null))
                .withMessageContaining("must not be null");
            assertThatIllegalArgumentException().isThrownBy(() -> runtime.get(Counter.class, "  "))
                .withMessageContaining("must not be blank")
                .withMessageContaining(Counter.class.getName());
        }
    }

    @Test
    void twoImplementationsOfOneContractFailNamingBoth() {
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> ActorRuntime.builder().actor(CounterActor.class).actor(OtherCounter.class).build())
            .withMessageContaining(CounterActor.class.getName())
            .withMessageContaining(OtherCounter.class.getName())
            .withMessageContaining(Counter.class.getName());
    }

    @Test
    void aBuildThatFailsOnItsActorsLeavesNoTurnSchedulerThreadBehind() {
        // Monitors of runtimes other tests closed may still be ending: only a new one would be this build's.
        Set<Thread> before = liveThreadsNamed("quark-turn-monitor");

        assertThatIllegalArgumentException().isThrownBy(
                () -> ActorRuntime.builder().turnScheduler(TurnScheduler.READY_QUEUE).actor(FutureActor.class).build());

        await().atMost(Duration.ofSeconds(5)).untilAsserted(
                () -> assertThat(liveThreadsNamed("quark-turn-monitor")).isSubsetOf(before));
    }

    private static Set<Thread> liveThreadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream()
            .filter((thread) -> thread.isAlive() && thread.getName().equals(name))
            .collect(Collectors.toSet());
    }

    @Test
    void unsupportedReturnTypesFailNamingTheMethod() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().actor(FutureActor.class).build())
            .withMessageContaining(ReturnsFuture.class.getName() + ".load()")
            .withMessageContaining("java.util.concurrent.Future");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().actor(StreamActor.class).build())
            .withMessageContaining(ReturnsStream.class.getName() + ".all()");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().actor(OneWayActor.class).build())
            .withMessageContaining(OneWayReturning.class.getName() + ".send()")
            .withMessageContaining("@OneWay");
    }

    @Test
    void oneWayMethodMarkedIdempotentIsRejectedNamingTheMethod() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().actor(IdempotentOneWayActor.class).build())
            .withMessageContaining(IdempotentOneWay.class.getName() + ".send()")
            .withMessageContaining("@OneWay and @Idempotent");
    }

    @Test
    void implementationWithoutContractIsRejected() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().actor(NoContract.class).build())
            .withMessageContaining(NoContract.class.getName())
            .withMessageContaining("does not implement an actor contract");
    }

    @Test
    void implementationWithoutNoArgumentConstructorIsRejectedUpFront() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().actor(NeedsArgument.class).build())
            .withMessageContaining(NeedsArgument.class.getName());
    }

    @Test
    void invalidSettingsNameTheSetting() {
        assertThatIllegalArgumentException().isThrownBy(() -> ActorRuntime.builder().mailboxCapacity(-1))
            .withMessageContaining("mailboxCapacity");
        assertThatIllegalArgumentException().isThrownBy(() -> ActorRuntime.builder().callTimeout(Duration.ofSeconds(-1)))
            .withMessageContaining("callTimeout");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().mailboxFullTimeout(Duration.ofSeconds(-1)))
            .withMessageContaining("mailboxFullTimeout");
        assertThatIllegalArgumentException().isThrownBy(() -> ActorRuntime.builder().idleTimeout(Duration.ZERO))
            .withMessageContaining("idleTimeout");
    }

    public interface Unimplemented extends Actor {

        void run();
    }

    @QuarkActor
    public static class OtherCounter extends CounterActor {
    }

    public interface ReturnsFuture extends Actor {

        Future<String> load();
    }

    @QuarkActor
    public static class FutureActor implements ReturnsFuture {

        @Override
        public Future<String> load() {
            return null;
        }
    }

    public interface ReturnsStream extends Actor {

        Stream<String> all();
    }

    @QuarkActor
    public static class StreamActor implements ReturnsStream {

        @Override
        public Stream<String> all() {
            return Stream.empty();
        }
    }

    public interface OneWayReturning extends Actor {

        @OneWay
        String send();
    }

    @QuarkActor
    public static class OneWayActor implements OneWayReturning {

        @Override
        public String send() {
            return "";
        }
    }

    public interface IdempotentOneWay extends Actor {

        @OneWay
        @Idempotent
        void send();
    }

    @QuarkActor
    public static class IdempotentOneWayActor implements IdempotentOneWay {

        @Override
        public void send() {
        }
    }

    @QuarkActor
    public static class NoContract {
    }

    @QuarkActor
    public static class NeedsArgument extends CounterActor {

        public NeedsArgument(String argument) {
        }
    }
}
