package dev.quark.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class SharedContractTests {

    private static final List<String> received = new CopyOnWriteArrayList<>();

    @Test
    void severalActorTypesImplementASharedContractAndKeepTheirOwnNames() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(ZebraActor.class).actor(AardvarkActor.class).build()) {
            assertThat(runtime.actorTypes()).extracting(ActorTypeView::name).containsExactly("Zebra", "Aardvark");
            assertThat(runtime.actorTypes().getFirst().contracts()).containsExactly(Remindable.class, Zebra.class);
        }
    }

    @Test
    void aSharedContractIsReachedThroughAnAddressOnTheNormalCallPath() throws Exception {
        received.clear();
        try (ActorRuntime runtime = ActorRuntime.builder().actor(ZebraActor.class).actor(AardvarkActor.class).build()) {
            ReminderStatus status = new ReminderStatus(Instant.EPOCH, Instant.EPOCH, new byte[] { 1 }, 1);
            runtime.reference(Remindable.class, new ActorAddress("Zebra", "z1")).receiveReminder("stripes", status);
            runtime.reference(Remindable.class, new ActorAddress("Aardvark", "a1")).receiveReminder("ants", status);
            assertThat(received).containsExactly("Zebra/z1:stripes", "Aardvark/a1:ants");
            assertThat(runtime.isActive(Zebra.class, "z1")).as("the call activated it").isTrue();
            assertThat(runtime.get(Zebra.class, "z1").seen()).isEqualTo(1);
        }
    }

    @Test
    void aSynchronousMethodIsCalledWithoutWaitingThroughAFuture() throws Exception {
        received.clear();
        try (ActorRuntime runtime = ActorRuntime.builder().actor(ZebraActor.class).build()) {
            java.lang.reflect.Method receive = Remindable.class.getMethod("receiveReminder", String.class,
                    ReminderStatus.class);
            ReminderStatus status = new ReminderStatus(Instant.EPOCH, Instant.EPOCH, new byte[0], 1);
            ActorAddress zebra = new ActorAddress("Zebra", "z1");
            assertThat(runtime.callWithoutWaiting(Remindable.class, zebra, receive, "stripes", status)
                .get(10, java.util.concurrent.TimeUnit.SECONDS)).isNull();
            assertThat(received).containsExactly("Zebra/z1:stripes");
            assertThat(runtime.callWithoutWaiting(Remindable.class, zebra, receive, "boom", status))
                .failsWithin(Duration.ofSeconds(10))
                .withThrowableThat()
                .havingCause()
                .withMessage("boom");
            assertThat(runtime.callWithoutWaiting(Remindable.class, new ActorAddress("Okapi", "o1"), receive, "r", status))
                .failsWithin(Duration.ofSeconds(10))
                .withThrowableThat()
                .havingCause()
                .isInstanceOf(ActorUnreachableException.class);
            assertThatIllegalArgumentException()
                .isThrownBy(() -> runtime.callWithoutWaiting(Remindable.class, zebra, Object.class.getMethod("hashCode")))
                .withMessageContaining("is not an actor method of " + Remindable.class.getName());
            assertThat(runtime.get(Zebra.class, "z1").seen()).isEqualTo(2);
        }
    }

    @Test
    void aSharedContractNamesNoActorByContractAndId() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(ZebraActor.class).build()) {
            assertThatIllegalArgumentException().isThrownBy(() -> runtime.get(Remindable.class, "z1"))
                .withMessageContaining(Remindable.class.getName())
                .withMessageContaining("@SharedContract")
                .withMessageContaining("ActorRuntime.reference(contract, address)");
            assertThatIllegalArgumentException().isThrownBy(() -> runtime.isActive(Remindable.class, "z1"))
                .withMessageContaining("@SharedContract");
        }
    }

    @Test
    void anAddressWhoseHostedTypeLacksTheContractIsRefusedNamingBoth() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(CounterActor.class).build()) {
            assertThatIllegalArgumentException()
                .isThrownBy(() -> runtime.reference(Remindable.class, new ActorAddress("Counter", "c1")))
                .withMessageContaining("Actor type Counter (" + CounterActor.class.getName() + ")")
                .withMessageContaining("does not implement " + Remindable.class.getName());
            assertThat(runtime.reference(Counter.class, new ActorAddress("Counter", "c1")).increment()).isEqualTo(1);
        }
    }

    @Test
    void anAddressOfATypeHostedNowhereIsUnreachableNamingTheType() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(ZebraActor.class).build()) {
            Remindable elsewhere = runtime.reference(Remindable.class, new ActorAddress("Okapi", "o1"));
            ReminderStatus status = new ReminderStatus(Instant.EPOCH, Instant.EPOCH, new byte[0], 1);
            assertThatExceptionOfType(ActorUnreachableException.class)
                .isThrownBy(() -> elsewhere.receiveReminder("r", status))
                .withMessageContaining("actor type Okapi is not hosted by this runtime");
        }
    }

    @Test
    void anImplementationWithOnlySharedContractsNeedsAName() {
        assertThatIllegalArgumentException().isThrownBy(() -> ActorRuntime.builder().actor(OnlySharedActor.class).build())
            .withMessageContaining(OnlySharedActor.class.getName())
            .withMessageContaining("implements only shared contracts [Remindable]");
    }

    @Test
    void reminderMethodsWithoutAReminderServiceSayHowToAddOne() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(ZebraActor.class).build()) {
            assertThatIllegalStateException().isThrownBy(() -> runtime.get(Zebra.class, "z1").remind())
                .withMessageContaining("Actor Zebra/z1 uses reminders, but this runtime has no reminder service");
        }
    }

    public interface Zebra extends Actor {

        int seen();

        void remind();
    }

    public interface Aardvark extends Actor {

        void dig();
    }

    @QuarkActor
    public static class ZebraActor extends AbstractActor implements Zebra, Remindable {

        private int seen;

        @Override
        public int seen() {
            return this.seen;
        }

        @Override
        public void remind() {
            registerReminder("r", ReminderSchedule.once(Duration.ofSeconds(1)));
        }

        @Override
        public void receiveReminder(String name, ReminderStatus status) throws Exception {
            this.seen++;
            if (name.equals("boom")) {
                throw new Exception("boom");
            }
            received.add("Zebra/" + actorId() + ":" + name);
        }
    }

    @QuarkActor
    public static class AardvarkActor extends AbstractActor implements Aardvark, Remindable {

        @Override
        public void dig() {
        }

        @Override
        public void receiveReminder(String name, ReminderStatus status) {
            received.add("Aardvark/" + actorId() + ":" + name);
        }
    }

    @QuarkActor
    public static class OnlySharedActor implements Remindable {

        @Override
        public void receiveReminder(String name, ReminderStatus status) {
        }
    }
}
