package dev.quark.testkit;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.QuarkActor;
import dev.quark.state.ActorState;
import dev.quark.state.PersistentState;
import dev.quark.state.StateKey;
import dev.quark.state.StoredState;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

class ActorTestKitTests {

    private final List<String> log = new CopyOnWriteArrayList<>();

    @Test
    void idleActivationIsCollectedExactlyWhenTheManualClockPassesTheIdleTimeout() {
        try (ActorTestKit kit = ActorTestKit.builder()
            .actor(TallyActor.class, () -> new TallyActor(this.log))
            .runtime((runtime) -> runtime.idleTimeout(Duration.ofMinutes(15)))
            .build()) {
            Tally tally = kit.get(Tally.class, "t-1");
            assertThat(tally.add(5)).isEqualTo(5);

            kit.advanceTime(Duration.ofMinutes(14));
            assertThat(kit.isActive(Tally.class, "t-1")).isTrue();
            assertThat(tally.add(1)).isEqualTo(6);

            kit.advanceTime(Duration.ofMinutes(14).plusSeconds(59));
            assertThat(kit.isActive(Tally.class, "t-1")).isTrue();
            kit.advanceTime(Duration.ofSeconds(1));
            assertThat(kit.isActive(Tally.class, "t-1")).isFalse();
            assertThat(this.log).containsExactly("t-1:activate", "t-1:deactivate:IDLE");

            assertThat(tally.add(1)).as("a fresh instance starts from zero").isEqualTo(1);
            assertThat(this.log).containsExactly("t-1:activate", "t-1:deactivate:IDLE", "t-1:activate");
            assertThat(kit.activationCount()).isEqualTo(1);
        }
        assertThat(this.log).last().isEqualTo("t-1:deactivate:SHUTDOWN");
    }

    @Test
    void persistentStateOutlivesTheActivationInTheKitsInMemoryStore() {
        try (ActorTestKit kit = ActorTestKit.builder().actor(SavingsActor.class).build()) {
            Savings savings = kit.get(Savings.class, "s-1");
            assertThat(savings.save(30)).isEqualTo(30);
            kit.runtime().deactivate(Savings.class, "s-1");
            await().atMost(Duration.ofSeconds(5)).until(() -> !kit.isActive(Savings.class, "s-1"));
            assertThat(savings.save(12)).as("the new activation loaded the saved state").isEqualTo(42);
            assertThat(kit.stateStores().store("").load(new StateKey("Savings", "s-1", "balance")))
                .contains(new StoredState("42", 2));
        }
    }

    @Test
    void onlyTheIdleActivationsAreCollected() {
        try (ActorTestKit kit = ActorTestKit.builder()
            .actor(TallyActor.class, () -> new TallyActor(this.log))
            .runtime((runtime) -> runtime.idleTimeout(Duration.ofMinutes(10)))
            .build()) {
            kit.get(Tally.class, "quiet").add(1);
            kit.advanceTime(Duration.ofMinutes(6));
            kit.get(Tally.class, "busy").add(1);
            kit.advanceTime(Duration.ofMinutes(6));
            assertThat(kit.isActive(Tally.class, "quiet")).isFalse();
            assertThat(kit.isActive(Tally.class, "busy")).isTrue();
        }
    }

    @Test
    void manualClockOnlyMovesForward() {
        ManualClock clock = new ManualClock();
        assertThat(clock.advance(Duration.ofSeconds(3))).isEqualTo(ManualClock.DEFAULT_START.plusSeconds(3));
        assertThat(clock.millis()).isEqualTo(ManualClock.DEFAULT_START.plusSeconds(3).toEpochMilli());
        assertThat(clock.withZone(java.time.ZoneId.of("Europe/Paris")).instant()).isEqualTo(clock.instant());
        assertThatIllegalArgumentException().isThrownBy(() -> clock.advance(Duration.ofSeconds(-1)))
            .withMessageContaining("only moves forward");
    }

    public interface Tally extends Actor {

        long add(long amount);
    }

    @QuarkActor
    public static class TallyActor extends AbstractActor implements Tally {

        private final List<String> log;

        private long total;

        public TallyActor(List<String> log) {
            this.log = log;
        }

        @Override
        protected void onActivate() {
            this.log.add(actorId() + ":activate");
        }

        @Override
        protected void onDeactivate(DeactivationReason reason) {
            this.log.add(actorId() + ":deactivate:" + reason);
        }

        @Override
        public long add(long amount) {
            return this.total += amount;
        }
    }

    public interface Savings extends Actor {

        long save(long amount);
    }

    @QuarkActor
    public static class SavingsActor extends AbstractActor implements Savings {

        @ActorState
        private PersistentState<Long> balance;

        @Override
        public long save(long amount) {
            long next = this.balance.update(0L, (current) -> current + amount);
            this.balance.save();
            return next;
        }
    }
}
