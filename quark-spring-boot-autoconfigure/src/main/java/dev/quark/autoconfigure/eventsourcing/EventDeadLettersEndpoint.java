package dev.quark.autoconfigure.eventsourcing;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.quark.eventsourcing.EventDeadLetter;
import dev.quark.eventsourcing.EventSubscriptionException;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.eventsourcing.subscription.EventSubscriptionRunner;
import dev.quark.eventsourcing.subscription.SubscriptionDeadLetters;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code quarkeventdeadletters} actuator endpoint: lists the events the application's event subscriptions gave up
 * on ({@link EventDeadLetter}), retries them once their handler is fixed and discards those no handler should see
 * ({@link SubscriptionDeadLetters}). Like every endpoint it is reachable over HTTP only once exposed
 * ({@code management.endpoints.web.exposure.include=quarkeventdeadletters}). Its access is read-only unless
 * {@code management.endpoint.quarkeventdeadletters.access=unrestricted}: a retry runs the handler and deletes, so it
 * takes a decision of the application's (and a protection, as for its other write operations). A read lists dead
 * letters in feed order (100 per subscription by default, 1,000 at most) without their payloads.
 */
@Endpoint(id = "quarkeventdeadletters", defaultAccess = Access.READ_ONLY)
public class EventDeadLettersEndpoint {

    /** How many dead letters a read lists per subscription when it does not say. */
    static final int DEFAULT_LIMIT = 100;

    /** How many dead letters a read lists at most, and a retry of all retries at most. */
    static final int MAX_LIMIT = 1_000;

    private final EventSubscriptionRunner runner;

    /**
     * Creates the endpoint.
     * @param runner the runner of the application's subscriptions
     */
    public EventDeadLettersEndpoint(EventSubscriptionRunner runner) {
        this.runner = runner;
    }

    /**
     * Lists the dead letters of every subscription.
     * @param limit how many per subscription at most, 1 to {@value #MAX_LIMIT}; {@value #DEFAULT_LIMIT} when not given
     * @return the dead letters by subscription, in the order the subscriptions were declared
     * @throws InvalidEndpointRequestException naming a limit out of range (answered with status 400)
     */
    @ReadOperation
    public SubscriptionsDescriptor subscriptions(@Nullable Integer limit) {
        int count = limit(limit);
        Map<String, List<DeadLetter>> bySubscription = new LinkedHashMap<>();
        for (String name : this.runner.names()) {
            bySubscription.put(name, list(name, count));
        }
        return new SubscriptionsDescriptor(bySubscription);
    }

    /**
     * Lists the dead letters of one subscription.
     * @param subscription the subscription's name
     * @param limit how many at most, 1 to {@value #MAX_LIMIT}; {@value #DEFAULT_LIMIT} when not given
     * @return the dead letters in feed order
     * @throws InvalidEndpointRequestException naming a subscription this node does not follow, or a limit out of range
     */
    @ReadOperation
    public List<DeadLetter> subscription(@Selector String subscription, @Nullable Integer limit) {
        return list(subscription, limit(limit));
    }

    /**
     * Retries one dead letter of a subscription, or all of them in feed order (at most {@value #MAX_LIMIT}, stopping at
     * the first whose handler fails again): runs the subscription's handler on this node, and deletes each dead letter
     * it handled.
     * @param subscription the subscription's name
     * @param position the dead letter's feed position ({@code transaction/sequence}, as listed); all when not given
     * @return the positions handled, and the one that failed again with its error (it stays), if any
     * @throws InvalidEndpointRequestException naming a subscription this node does not follow or a malformed position
     */
    @WriteOperation
    public RetriedDescriptor retry(@Selector String subscription, @Nullable String position) {
        requireKnown(subscription);
        SubscriptionDeadLetters deadLetters = this.runner.deadLetters();
        List<FeedPosition> positions = (position != null) ? List.of(position(position))
                : letters(subscription, MAX_LIMIT).stream().map(EventDeadLetter::position).toList();
        List<String> retried = new ArrayList<>();
        for (FeedPosition at : positions) {
            try {
                if (deadLetters.retry(subscription, at)) {
                    retried.add(at.toString());
                }
            }
            catch (EventSubscriptionException ex) {
                return new RetriedDescriptor(retried, at.toString(), ex.getMessage());
            }
        }
        return new RetriedDescriptor(retried, null, null);
    }

    /**
     * Deletes a dead letter of a subscription without handling its event.
     * @param subscription the subscription's name
     * @param position the dead letter's feed position ({@code transaction/sequence}, as listed)
     * @return whether there was one to delete
     * @throws InvalidEndpointRequestException naming a subscription this node does not follow or a malformed position
     */
    @DeleteOperation
    public DiscardedDescriptor discard(@Selector String subscription, String position) {
        FeedPosition at = position(position);
        requireKnown(subscription);
        return new DiscardedDescriptor(this.runner.deadLetters().discard(subscription, at));
    }

    private List<DeadLetter> list(String subscription, int limit) {
        return letters(subscription, limit).stream().map(DeadLetter::of).toList();
    }

    private List<EventDeadLetter> letters(String subscription, int limit) {
        requireKnown(subscription);
        return this.runner.deadLetters().list(subscription, limit);
    }

    private void requireKnown(String subscription) {
        if (!this.runner.names().contains(subscription)) {
            throw invalid("No event subscription named '" + subscription + "'; this node follows "
                    + this.runner.names());
        }
    }

    private static int limit(@Nullable Integer limit) {
        int count = (limit != null) ? limit : DEFAULT_LIMIT;
        if (count < 1 || count > MAX_LIMIT) {
            throw invalid("limit must be 1 to " + MAX_LIMIT + ", was " + count);
        }
        return count;
    }

    private static FeedPosition position(String position) {
        int slash = position.indexOf('/');
        try {
            if (slash > 0) {
                return new FeedPosition(Long.parseLong(position.substring(0, slash)),
                        Long.parseLong(position.substring(slash + 1)));
            }
        }
        catch (NumberFormatException ex) {
            // refused below
        }
        throw invalid("Feed position '" + position + "' is not transaction/sequence, e.g. 812/4711");
    }

    /** A refusal of the request's input, which the web endpoint answers with status 400 and the message. */
    private static InvalidEndpointRequestException invalid(String message) {
        return new InvalidEndpointRequestException(message, message);
    }

    /**
     * The dead letters of every subscription.
     * @param subscriptions the dead letters by subscription name, in feed order
     */
    public record SubscriptionsDescriptor(Map<String, List<DeadLetter>> subscriptions) {
    }

    /**
     * A dead letter, without its event's payload.
     * @param position the event's feed position, {@code transaction/sequence}: what a retry or a discard names
     * @param stream the event's stream
     * @param version the event's version in its stream
     * @param eventId the event's id
     * @param type the event's type
     * @param attempts how many times in a row the handler failed on it
     * @param error the last failure
     * @param deadLetteredAt when the subscription gave up on it
     */
    public record DeadLetter(String position, String stream, long version, String eventId, String type, int attempts,
            String error, Instant deadLetteredAt) {

        static DeadLetter of(EventDeadLetter letter) {
            StoredEvent event = letter.event();
            return new DeadLetter(letter.position().toString(), event.stream(), event.version(),
                    event.eventId().toString(), event.type(), letter.attempts(), letter.error(),
                    letter.deadLetteredAt());
        }
    }

    /**
     * What a retry did.
     * @param retried the positions of the dead letters handled and deleted, in feed order
     * @param failed the position of the dead letter whose handler failed again (it stays, and a retry of all stops
     * there), {@code null} when none did
     * @param error what that handler threw, {@code null} when none did
     */
    public record RetriedDescriptor(List<String> retried, @Nullable String failed, @Nullable String error) {

        /** Copies the positions. */
        public RetriedDescriptor {
            retried = List.copyOf(retried);
        }
    }

    /**
     * What a discard did.
     * @param discarded whether there was a dead letter at the position to delete
     */
    public record DiscardedDescriptor(boolean discarded) {
    }
}
