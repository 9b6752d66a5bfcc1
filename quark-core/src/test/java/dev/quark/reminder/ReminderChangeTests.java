package dev.quark.reminder;

import java.time.Instant;

import dev.quark.actor.ReminderSchedule;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

class ReminderChangeTests {

    private static final ReminderKey KEY = new ReminderKey(new ActorAddress("Pager", "p"), "r");

    @Test
    void aChangeWithoutEntryIsARemoval() {
        assertThat(new ReminderChange(KEY, 3, null).removed()).isTrue();
    }

    @Test
    void aChangeWhoseEntryIsAnotherReminderFailsNamingBoth() {
        Instant at = Instant.parse("2026-01-01T00:00:01Z");
        ReminderKey other = new ReminderKey(new ActorAddress("Pager", "q"), "r");
        ReminderEntry entry = new ReminderEntry(other, 1, ReminderSchedule.onceAt(at), new byte[0],
                ReminderTick.first(at, 1));
        assertThatIllegalArgumentException().isThrownBy(() -> new ReminderChange(KEY, 3, entry))
            .withMessage("The entry of a change of " + KEY + " is " + other);
    }

    @Test
    void trimmedChangesNameTheirBuckets() {
        ReminderChangesTrimmedException trimmed = new ReminderChangesTrimmedException(ReminderBucketSet.of(5, 9));
        assertThat(trimmed.buckets()).isEqualTo(ReminderBucketSet.of(5, 9));
        assertThat(trimmed).hasMessage("The reminder change entries of " + ReminderBucketSet.of(5, 9)
                + " were trimmed beyond the versions asked for: read them whole")
            .hasMessageContaining("2 buckets");
        assertThatNullPointerException().isThrownBy(() -> new ReminderChangesTrimmedException(null))
            .withMessage("buckets must not be null");
    }
}
