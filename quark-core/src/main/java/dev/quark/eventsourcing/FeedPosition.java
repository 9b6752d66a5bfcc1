package dev.quark.eventsourcing;

/**
 * Where an event sits in an {@link EventFeed}: ordered by transaction, then by sequence. On PostgreSQL the
 * transaction is the appending transaction's id ({@code xid8}) and the sequence the row's position; in memory
 * both are one counter.
 *
 * @param transaction the appending transaction's id
 * @param sequence the position within the store
 */
public record FeedPosition(long transaction, long sequence) implements Comparable<FeedPosition> {

    /** Before the first event: a subscription without checkpoint starts here. */
    public static final FeedPosition START = new FeedPosition(0, 0);

    /** The position of an event read from a store that has no global feed. */
    public static final FeedPosition NONE = new FeedPosition(-1, -1);

    @Override
    public int compareTo(FeedPosition other) {
        int byTransaction = Long.compare(this.transaction, other.transaction);
        return (byTransaction != 0) ? byTransaction : Long.compare(this.sequence, other.sequence);
    }

    @Override
    public String toString() {
        return this.transaction + "/" + this.sequence;
    }
}
