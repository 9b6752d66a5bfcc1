package dev.quark.actor;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A call could not be delivered because the actor's mailbox stayed full for the whole mailbox-full timeout.
 * The message was not delivered and will not be: nothing is dropped silently.
 */
public class MailboxFullException extends ActorException {

    private static final long serialVersionUID = 1L;

    private static final Pattern MESSAGE = Pattern.compile("Mailbox of actor (.+) is full \\(capacity (\\d{1,9})\\).*",
            Pattern.DOTALL);

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
     * Rebuilds the exception from its message, as it crosses silos (a full mailbox on another silo must reach
     * the caller as this type: reminders, for one, try an undelivered tick again). The actor and the capacity
     * are read back from a message in this class's own form; otherwise they are empty and {@code -1}.
     * @param message the message of the original exception
     */
    public MailboxFullException(String message) {
        super(message);
        Matcher standard = MESSAGE.matcher(message);
        boolean parsed = standard.matches();
        this.actor = parsed ? standard.group(1) : "";
        this.capacity = parsed ? Integer.parseInt(standard.group(2)) : -1;
    }

    /**
     * Returns the actor whose mailbox was full.
     * @return the actor, as {@code Contract/id}; empty when rebuilt from a message not in this class's form
     */
    public String getActor() {
        return this.actor;
    }

    /**
     * Returns the capacity of the mailbox.
     * @return the capacity, {@code -1} when rebuilt from a message not in this class's form
     */
    public int getCapacity() {
        return this.capacity;
    }
}
