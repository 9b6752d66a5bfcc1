package dev.quark.reminder;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import dev.quark.actor.ReminderSchedule;
import dev.quark.reminder.ScheduledReminder.Status;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class TimingQueueTests {

    private static final Instant START = Instant.parse("2026-01-15T10:00:00Z");

    private final TimingQueue queue = new TimingQueue();

    private long sequence;

    @Test
    void remindersComeOutByFireTimeThenArrivalWhateverIsAddedAndRemovedMeanwhile() {
        Random random = new Random(42);
        TreeSet<ScheduledReminder> expected = new TreeSet<>(ScheduledReminder.BY_FIRE_TIME);
        List<ScheduledReminder> all = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            all.add(reminder(i, START.plusMillis(random.nextInt(500)).plusNanos(random.nextInt(3))));
        }
        for (int round = 0; round < 20_000; round++) {
            ScheduledReminder picked = all.get(random.nextInt(all.size()));
            switch (random.nextInt(3)) {
                case 0 -> {
                    if (picked.queueIndex < 0) {
                        picked.sequence = this.sequence++;
                        this.queue.add(picked);
                        expected.add(picked);
                    }
                }
                case 1 -> assertThat(this.queue.remove(picked)).isEqualTo(expected.remove(picked));
                default -> assertThat(this.queue.poll()).isSameAs(expected.pollFirst());
            }
            assertThat(this.queue.size()).isEqualTo(expected.size());
            assertThat(this.queue.first()).isSameAs(expected.isEmpty() ? null : expected.first());
        }
        while (!expected.isEmpty()) {
            assertThat(this.queue.poll()).isSameAs(expected.pollFirst());
        }
        assertThat(this.queue.isEmpty()).isTrue();
        assertThat(all).allMatch((reminder) -> reminder.queueIndex == -1);
    }

    @Test
    void aReminderIsQueuedOnceAndAClearedQueueForgetsItsReminders() {
        ScheduledReminder reminder = reminder(1, START);
        this.queue.add(reminder);
        assertThatIllegalStateException().isThrownBy(() -> this.queue.add(reminder)).withMessageContaining("Already queued");
        this.queue.clear();
        assertThat(this.queue.isEmpty()).isTrue();
        assertThat(this.queue.remove(reminder)).isFalse();
        this.queue.add(reminder);
        assertThat(this.queue.poll()).isSameAs(reminder);
    }

    private static ScheduledReminder reminder(int id, Instant fireAt) {
        ReminderKey key = new ReminderKey(new ActorAddress("beeper", "b" + id), "beep");
        return new ScheduledReminder(new ReminderEntry(key, 1,
                ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(fireAt), new byte[0],
                ReminderTick.first(fireAt, 1)), Status.WAITING, 0);
    }
}
