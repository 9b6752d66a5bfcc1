package dev.quark.eventsourcing.subscription;

import java.time.Instant;

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
 * @param fencingTokensLost the times this node found, since it started, that the lease store's tokens went back
 * below the checkpoint's stamp (once per incident, whether or not the store could be raised)
 * @param lastFencingTokensLoss when it found the last such incident; {@code null} before the first
 * @param deadLettered how many events this node recorded as dead letters since it started (the feed keeps them:
 * {@code runner.deadLetters()})
 */
public record SubscriptionStatus(String name, SubscriptionState state, @Nullable FeedPosition position, int failures,
        @Nullable String lastError, int fencingTokensLost, @Nullable Instant lastFencingTokensLoss, int deadLettered) {

    /**
     * A status of a node that dead-lettered no event.
     * @param name the subscription's name
     * @param state what this node does with it
     * @param position the position of the last event this node handled or read as the checkpoint
     * @param failures the failed attempts in a row on the current event
     * @param lastError the last failure's description
     * @param fencingTokensLost the times this node found that the lease store's tokens went back
     * @param lastFencingTokensLoss when it found the last such incident
     */
    public SubscriptionStatus(String name, SubscriptionState state, @Nullable FeedPosition position, int failures,
            @Nullable String lastError, int fencingTokensLost, @Nullable Instant lastFencingTokensLoss) {
        this(name, state, position, failures, lastError, fencingTokensLost, lastFencingTokensLoss, 0);
    }

    /**
     * A status of a node that found no lost fencing tokens.
     * @param name the subscription's name
     * @param state what this node does with it
     * @param position the position of the last event this node handled or read as the checkpoint
     * @param failures the failed attempts in a row on the current event
     * @param lastError the last failure's description
     */
    public SubscriptionStatus(String name, SubscriptionState state, @Nullable FeedPosition position, int failures,
            @Nullable String lastError) {
        this(name, state, position, failures, lastError, 0, null, 0);
    }
}
