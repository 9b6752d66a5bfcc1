package dev.quark.testkit.messaging;

import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.quark.messaging.store.InboxStore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The behaviour every {@link InboxStore} must have: one record per (consumer, message id), consumers apart,
 * forgetting, and retention. Every test uses consumers of its own, so one store may serve all tests of the class.
 */
public abstract class InboxStoreContractTests {

    /** The instant records are made at. */
    protected static final Instant NOW = Instant.parse("2026-01-01T12:00:00.123Z");

    /**
     * Returns the store under test.
     * @return the store
     */
    protected abstract InboxStore store();

    /**
     * Returns a consumer name no other test uses.
     * @param name a readable part
     * @return the consumer
     */
    protected static String newConsumer(String name) {
        return name + "-" + UUID.randomUUID();
    }

    @Test
    void aMessageIsRecordedOncePerConsumer() {
        String billing = newConsumer("billing");
        String shipping = newConsumer("shipping");
        assertThat(store().contains(billing, "m-1")).isFalse();
        assertThat(store().record(billing, "m-1", NOW)).isTrue();
        assertThat(store().record(billing, "m-1", NOW)).isFalse();
        assertThat(store().contains(billing, "m-1")).isTrue();
        assertThat(store().record(shipping, "m-1", NOW)).as("another consumer").isTrue();
        assertThat(store().record(billing, "m-2", NOW)).as("another message").isTrue();
    }

    @Test
    void aForgottenRecordCanBeMadeAgain() {
        String consumer = newConsumer("forget");
        assertThat(store().record(consumer, "m-1", NOW)).isTrue();
        store().forget(consumer, "m-1");
        assertThat(store().contains(consumer, "m-1")).isFalse();
        assertThat(store().record(consumer, "m-1", NOW)).isTrue();
    }

    @Test
    void retentionDeletesOnlyRecordsOlderThanTheInstant() {
        String consumer = newConsumer("retention");
        Instant ancient = Instant.parse("1990-01-01T00:00:00Z");
        assertThat(store().record(consumer, "old", ancient)).isTrue();
        assertThat(store().record(consumer, "new", NOW)).isTrue();
        assertThat(store().deleteBefore(ancient.plusSeconds(60), 1000)).isEqualTo(1);
        assertThat(store().contains(consumer, "old")).isFalse();
        assertThat(store().contains(consumer, "new")).isTrue();
    }
}
