package dev.quark.reminder;

import java.util.stream.IntStream;

import dev.quark.cluster.ring.RingHash;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ReminderBucketsTests {

    @Test
    void bucketIsTheTopTenBitsOfTheRingHash() {
        for (int i = 0; i < 1000; i++) {
            ActorAddress actor = new ActorAddress("Account", "a-" + i);
            int bucket = ReminderBuckets.of(actor);
            long hash = RingHash.of(actor);
            assertThat(bucket).isEqualTo((int) (hash >>> 54)).isBetween(0, 1023);
            assertThat(hash).isBetween(ReminderBuckets.firstHash(bucket), ReminderBuckets.lastHash(bucket));
        }
    }

    @Test
    void aKeyStoresItsActorsBucketWhichStoredTablesRelyOn() {
        for (int i = 0; i < 1000; i++) {
            ActorAddress actor = new ActorAddress("Account", "a-" + i);
            assertThat(new ReminderKey(actor, "fee").bucket()).isEqualTo(ReminderBuckets.of(actor));
        }
        assertThat(new ReminderKey(new ActorAddress("Account", "alice"), "fee").bucket()).isEqualTo(582);
        assertThat(new ReminderKey(new ActorAddress("Account", "bob"), "fee").bucket()).isEqualTo(283);
        assertThat(new ReminderKey(new ActorAddress("Account", "a-1"), "fee").bucket()).isEqualTo(1008);
        ReminderKey key = new ReminderKey(new ActorAddress("Account", "alice"), "fee");
        assertThat(key).isEqualTo(new ReminderKey(new ActorAddress("Account", "alice"), "fee"))
            .hasSameHashCodeAs(new ReminderKey(new ActorAddress("Account", "alice"), "fee"))
            .isNotEqualTo(new ReminderKey(new ActorAddress("Account", "alice"), "other"))
            .hasToString("reminder 'fee' of Account/alice");
    }

    @Test
    void bucketsAreContiguousRangesCoveringTheWholeHashSpace() {
        assertThat(ReminderBuckets.firstHash(0)).isZero();
        assertThat(ReminderBuckets.lastHash(511)).isEqualTo(Long.MAX_VALUE);
        assertThat(ReminderBuckets.firstHash(512)).isEqualTo(Long.MIN_VALUE);
        assertThat(ReminderBuckets.lastHash(1023)).isEqualTo(-1L);
        for (int bucket = 0; bucket < 1023; bucket++) {
            assertThat(ReminderBuckets.lastHash(bucket) + 1).isEqualTo(ReminderBuckets.firstHash(bucket + 1));
        }
    }

    @Test
    void bucketSetsHoldValidBucketsOnly() {
        assertThat(ReminderBucketSet.all().size()).isEqualTo(ReminderBuckets.COUNT);
        assertThat(ReminderBucketSet.all().isAll()).isTrue();
        ReminderBucketSet some = ReminderBucketSet.of(3, 1, 3, 1023);
        assertThat(some.toArray()).containsExactly(1, 3, 1023);
        assertThat(some.contains(3)).isTrue();
        assertThat(some.contains(2)).isFalse();
        assertThat(ReminderBucketSet.all().minus(some).size()).isEqualTo(1021);
        assertThat(some.minus(ReminderBucketSet.all()).isEmpty()).isTrue();
        assertThatIllegalArgumentException().isThrownBy(() -> ReminderBucketSet.of(1024))
            .withMessage("Reminder bucket must be between 0 and 1023, was 1024");
        assertThat(IntStream.range(0, 1024).toArray()).containsExactly(ReminderBucketSet.all().toArray());
    }

    @Test
    void keysRefuseNamesAndAddressesThatCannotKeyAReminder() {
        ActorAddress alice = new ActorAddress("Account", "alice");
        assertThatIllegalArgumentException().isThrownBy(() -> new ReminderKey(alice, " "))
            .withMessage("Reminder name must not be blank (actor Account/alice)");
        assertThatIllegalArgumentException().isThrownBy(() -> new ReminderKey(alice, "x".repeat(256)))
            .withMessage("Reminder name must be at most 255 characters long, was 256 (actor Account/alice)");
        assertThatIllegalArgumentException().isThrownBy(() -> new ReminderKey(alice, "a\u0000b"))
            .withMessageContaining("NUL");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new ReminderKey(new ActorAddress("Account", "al\u0000ice"), "fee"))
            .withMessageContaining("without NUL characters");
    }
}
