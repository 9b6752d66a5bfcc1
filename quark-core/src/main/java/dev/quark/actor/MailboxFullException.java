package dev.quark.actor;

import java.time.Duration;

/**
 * A call could not be delivered because the actor's mailbox stayed full for the whole mailbox-full timeout.
 * The message was not delivered and will not be: nothing is dropped silently.
 */
public class MailboxFullException extends ActorException {

    private static final long serialVersionUID = 1L;

    private final String actor;

    private final int capacity;

    /**
     * Creates the exception.
     * @param actor the actor, as {@code Contract/id}
     * @param capacity the mailbox capacity
     * @param waited how long the caller waited for room
     */
    public MailboxFullException(String actor, int capacity, Duration waited) {
        super("Mailbox of actor " + actor + " is full (capacity " + capacity + "); no room after waiting "
                + waited.toMillis() + " ms");
        this.actor = actor;
        this.capacity = capacity;
    }

    /**
     * Returns the actor whose mailbox was full.
     * @return the actor, as {@code Contract/id}
     */
    public String getActor() {
        return this.actor;
    }

    /**
     * Returns the capacity of the mailbox.
     * @return the capacity
     */
    public int getCapacity() {
        return this.capacity;
    }
}
