package dev.quark.eventsourcing.subscription;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quark.eventsourcing.EventDeadLetter;
import dev.quark.eventsourcing.EventFeed;
import dev.quark.eventsourcing.EventSubscriptionDefinition;
import dev.quark.eventsourcing.EventSubscriptionException;
import dev.quark.eventsourcing.FeedPosition;

/**
 * The events an {@link EventSubscriptionRunner}'s subscriptions gave up on, as their feed keeps them: an operator lists
 * them, retries one once its handler is fixed, or discards one that no handler should ever see.
 * <p>
 * A retry runs the subscription's handler on the calling thread, beside the subscription's own thread, which has gone
 * on with later events meanwhile: the dead-lettered event is handled after them, out of feed order, and possibly
 * at the same time as another event of the subscription. Handlers that may see a retried dead letter must accept both.
 * Two retries of one dead letter at once may both run the handler (delivery stays at least once).
 */
public final class SubscriptionDeadLetters {

    private static final Logger logger = LoggerFactory.getLogger(SubscriptionDeadLetters.class);

    private final EventFeed feed;

    private final Map<String, EventSubscriptionDefinition> definitions = new LinkedHashMap<>();

    SubscriptionDeadLetters(EventFeed feed, List<EventSubscriptionDefinition> definitions) {
        this.feed = feed;
        for (EventSubscriptionDefinition definition : definitions) {
            this.definitions.put(definition.name(), definition);
        }
    }

    /**
     * Lists a subscription's dead letters.
     * @param subscription the subscription's name
     * @param limit the most dead letters to return, at least 1
     * @return the dead letters in feed order, at most {@code limit}
     * @throws IllegalArgumentException for a name the runner does not follow, or a limit below 1
     */
    public List<EventDeadLetter> list(String subscription, int limit) {
        definition(subscription);
        return this.feed.deadLetters(subscription, limit);
    }

    /**
     * Runs the subscription's handler on a dead-lettered event again, on the calling thread, and deletes the dead
     * letter once the handler succeeded.
     * @param subscription the subscription's name
     * @param position the dead-lettered event's feed position
     * @return whether there was a dead letter at that position (handled and deleted); {@code false} when there is none
     * (never recorded, or retried or discarded already)
     * @throws IllegalArgumentException for a name the runner does not follow
     * @throws EventSubscriptionException naming the subscription and the event when the handler failed again: the
     * dead letter stays as it was
     */
    public boolean retry(String subscription, FeedPosition position) {
        EventSubscriptionDefinition definition = definition(subscription);
        Objects.requireNonNull(position, "position must not be null");
        Optional<EventDeadLetter> letter = this.feed.findDeadLetter(subscription, position);
        if (letter.isEmpty()) {
            return false;
        }
        try {
            definition.handler().handle(letter.get().event());
        }
        catch (VirtualMachineError ex) {
            throw ex;
        }
        catch (Throwable ex) {
            if (ex instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw EventSubscriptionException.retryFailed(subscription, letter.get().event(), ex);
        }
        boolean deleted = this.feed.deleteDeadLetter(subscription, position);
        logger.info("Event subscription '{}' handled its dead letter at feed position {} ({} of stream '{}' version "
                + "{}) on retry{}", subscription, position, letter.get().event().type(),
                letter.get().event().stream(), letter.get().event().version(),
                deleted ? " and deleted it" : "; it was deleted meanwhile (another retry or a discard)");
        return true;
    }

    /**
     * Deletes a dead letter without handling its event: the subscription never handles it.
     * @param subscription the subscription's name
     * @param position the dead-lettered event's feed position
     * @return whether there was one to delete
     * @throws IllegalArgumentException for a name the runner does not follow
     */
    public boolean discard(String subscription, FeedPosition position) {
        definition(subscription);
        Objects.requireNonNull(position, "position must not be null");
        boolean deleted = this.feed.deleteDeadLetter(subscription, position);
        if (deleted) {
            logger.warn("Event subscription '{}' discarded its dead letter at feed position {}: its event is never "
                    + "handled", subscription, position);
        }
        return deleted;
    }

    private EventSubscriptionDefinition definition(String subscription) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        EventSubscriptionDefinition definition = this.definitions.get(subscription);
        if (definition == null) {
            throw new IllegalArgumentException("No event subscription named '" + subscription + "'; this runner "
                    + "follows " + this.definitions.keySet());
        }
        return definition;
    }
}
