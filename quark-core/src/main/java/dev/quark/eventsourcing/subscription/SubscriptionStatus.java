package dev.quark.eventsourcing.subscription;

import dev.quark.eventsourcing.FeedPosition;

import org.jspecify.annotations.Nullable;

/**
 * What a node knows of one subscription: for health endpoints and tests.
 *
 * @param name the subscription's name
 * @param state what this node does with it
 * @param position the position of the last event this node handled or read as the checkpoint; {@code null} before
 * this node held the lease
 * @param failures the failed attempts in a row on the current event (0 while all goes well)
 * @param lastError the last failure's description, {@code null} after a success
 */
public record SubscriptionStatus(String name, SubscriptionState state, @Nullable FeedPosition position, int failures,
        @Nullable String lastError) {
}
