package dev.quark.reminder;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.quark.lease.FencingToken;
import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.Reminder;
import dev.quark.actor.ReminderException;
import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class ReminderRegistryTests {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private final InMemoryReminderTable table = new InMemoryReminderTable();

    private final ReminderRegistry registry = new ReminderRegistry(this.table, Clock.fixed(NOW, ZoneOffset.UTC), 16);

    private final List<String> changes = new ArrayList<>();

    @AutoClose
    private final ActorRuntime runtime = ActorRuntime.builder()
        .actor(PlannerActor.class)
        .actor(PlainActor.class)
        .reminders(this.registry)
        .build();

    private Planner planner(String id) {
        return this.runtime.get(Planner.class, id);
    }

    @Test
    void registeringStoresTheReminderWithTheInstantOfItsFirstTick() {
        Reminder reminder = planner("p").register("wake", ReminderSchedule.every(Duration.ofMinutes(5)), "hi");
        assertThat(reminder.name()).isEqualTo("wake");
        assertThat(reminder.nextTickAt()).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
        assertThat(reminder.schedule())
            .isEqualTo(ReminderSchedule.every(Duration.ofMinutes(5)).startingAt(NOW.plus(Duration.ofMinutes(5))));
        assertThat(planner("p").find("wake")).contains(reminder);
        assertThat(planner("p").all()).containsExactly(reminder);
        ReminderEntry stored = this.table.find(new ReminderKey(new ActorAddress("Planner", "p"), "wake")).orElseThrow();
        assertThat(stored.payload()).isEqualTo("hi".getBytes(StandardCharsets.UTF_8));
        assertThat(stored.tick()).isEqualTo(ReminderTick.first(NOW.plus(Duration.ofMinutes(5)), 1));
    }

    @Test
    void registeringTheSameNameAgainReplacesTheReminder() {
        this.registry.addListener(new Recorder());
        planner("p").register("wake", ReminderSchedule.every(Duration.ofMinutes(5)), "");
        long first = this.table.list(new ActorAddress("Planner", "p")).getFirst().registration();
        planner("p").register("wake", ReminderSchedule.once(Duration.ofSeconds(1)), "");
        List<ReminderEntry> stored = this.table.list(new ActorAddress("Planner", "p"));
        assertThat(stored).hasSize(1);
        assertThat(stored.getFirst().registration()).isNotEqualTo(first);
        assertThat(stored.getFirst().schedule()).isEqualTo(ReminderSchedule.onceAt(NOW.plusSeconds(1)));
        assertThat(planner("p").remove("wake")).isTrue();
        assertThat(planner("p").remove("wake")).isFalse();
        assertThat(planner("p").all()).isEmpty();
        assertThat(this.changes).containsExactly("registered wake", "registered wake", "unregistered wake",
                "unregistered wake");
    }

    @Test
    void anActorThatIsNotRemindableCannotRegisterAndNothingIsStored() {
        assertThatIllegalStateException()
            .isThrownBy(() -> this.runtime.get(Plain.class, "x").register())
            .withMessage("Actor type Plain (" + PlainActor.class.getName() + ") does not implement "
                    + Remindable.class.getName() + ", so it cannot receive reminder 'r': implement "
                    + "receiveReminder(name, status)");
        assertThat(this.table.size()).isZero();
    }

    @Test
    void badInputsFailNamingTheValueAndStoreNothing() {
        assertThatIllegalArgumentException().isThrownBy(() -> planner("p").register(" ", ReminderSchedule.once(Duration.ZERO), ""))
            .withMessage("Reminder name must not be blank (actor Planner/p)");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> planner("p").register("big", ReminderSchedule.once(Duration.ZERO), "x".repeat(17)))
            .withMessage("The payload of the reminder 'big' of Planner/p is 17 bytes, more than the limit of 16 bytes "
                    + "(quark.reminders.max-payload-size)");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> planner("p").register("late",
                    ReminderSchedule.once(Duration.ofHours(2)).until(NOW.plus(Duration.ofHours(1))), ""))
            .withMessageContaining("would end at 2026-03-01T13:00:00Z, before its first tick at 2026-03-01T14:00:00Z");
        assertThat(this.table.size()).isZero();
    }

    @Test
    void tableFailuresReachTheActorAsReminderExceptionsNamingTheReminder() {
        ReminderRegistry broken = new ReminderRegistry(new FailingTable(), Clock.fixed(NOW, ZoneOffset.UTC));
        ActorAddress actor = new ActorAddress("Planner", "p");
        assertThatExceptionOfType(ReminderException.class)
            .isThrownBy(() -> broken.register(actor, "wake", ReminderSchedule.once(Duration.ZERO), new byte[0]))
            .withMessage("Cannot register the reminder 'wake' of Planner/p: table down");
        assertThatExceptionOfType(ReminderException.class).isThrownBy(() -> broken.get(actor, "wake"))
            .withMessage("Cannot read the reminder 'wake' of Planner/p: table down");
        assertThatExceptionOfType(ReminderException.class).isThrownBy(() -> broken.list(actor))
            .withMessage("Cannot read the reminders of Planner/p: table down");
        assertThatExceptionOfType(ReminderException.class).isThrownBy(() -> broken.unregister(actor, "wake"))
            .withMessage("Cannot unregister the reminder 'wake' of Planner/p: table down");
    }

    @Test
    void payloadLimitIsBounded() {
        assertThatIllegalArgumentException().isThrownBy(() -> new ReminderRegistry(this.table, Clock.systemUTC(), 2_000_000))
            .withMessage("maxPayloadSize must be between 0 and 1048576 bytes, was 2000000");
    }

    private final class Recorder implements ReminderRegistry.Listener {

        @Override
        public void registered(ReminderEntry entry) {
            ReminderRegistryTests.this.changes.add("registered " + entry.key().name());
        }

        @Override
        public void unregistered(ReminderKey key) {
            ReminderRegistryTests.this.changes.add("unregistered " + key.name());
        }
    }

    public interface Planner extends Actor {

        Reminder register(String name, ReminderSchedule schedule, String payload);

        boolean remove(String name);

        Optional<Reminder> find(String name);

        List<Reminder> all();
    }

    public interface Plain extends Actor {

        void register();
    }

    @QuarkActor
    public static class PlannerActor extends AbstractActor implements Planner, Remindable {

        @Override
        public Reminder register(String name, ReminderSchedule schedule, String payload) {
            return registerReminder(name, schedule, payload.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public boolean remove(String name) {
            return unregisterReminder(name);
        }

        @Override
        public Optional<Reminder> find(String name) {
            return getReminder(name);
        }

        @Override
        public List<Reminder> all() {
            return listReminders();
        }

        @Override
        public void receiveReminder(String name, ReminderStatus status) {
        }
    }

    @QuarkActor
    public static class PlainActor extends AbstractActor implements Plain {

        @Override
        public void register() {
            registerReminder("r", ReminderSchedule.once(Duration.ofSeconds(1)));
        }
    }

    /** A table whose every operation fails. */
    private static final class FailingTable implements ReminderTable {

        @Override
        public void save(ReminderEntry entry) {
            throw new IllegalStateException("table down");
        }

        @Override
        public Optional<ReminderEntry> find(ReminderKey key) {
            throw new IllegalStateException("table down");
        }

        @Override
        public List<ReminderEntry> list(ActorAddress actor) {
            throw new IllegalStateException("table down");
        }

        @Override
        public boolean delete(ReminderKey key) {
            throw new IllegalStateException("table down");
        }

        @Override
        public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
            throw new IllegalStateException("table down");
        }

        @Override
        public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
            throw new IllegalStateException("table down");
        }

        @Override
        public int apply(List<ReminderUpdate> updates) {
            throw new IllegalStateException("table down");
        }

        @Override
        public long countDue(ReminderBucketSet buckets, Instant before) {
            throw new IllegalStateException("table down");
        }
    }
}
