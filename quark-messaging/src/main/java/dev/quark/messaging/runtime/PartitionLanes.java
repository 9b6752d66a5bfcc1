package dev.quark.messaging.runtime;

import java.util.HashSet;
import java.util.Set;

/**
 * Which partitions of one dispatcher have a delivery running (a <em>lane</em>), and which of them rebalancing is
 * giving back. A partition has at most one lane at a time, so its messages go one at a time, in order, whoever
 * starts the delivery (the running loop or {@link OutboxDispatcher#runOnce()}).
 * <p>
 * A lane keeps going, batch after batch, while its batches come back full (in turns of about a poll interval, each
 * on a virtual thread of its own, the lane running from one turn to the next), unless the partition is
 * {@linkplain #retire retiring}: rebalancing releases a partition's lease only while it has no lane (a release in the
 * middle of a delivery would let another node take the partition, stamp it and deliver the message in flight again),
 * so an extra partition with a lane running is marked instead, its lane stops after the message in flight, and a
 * later rebalance releases it. Only the dispatcher's rounds, one at a time, start lanes: a partition found idle by a
 * round stays idle until that round starts it or releases it.
 * <p>
 * Thread-safe.
 */
final class PartitionLanes {

    private final Set<Integer> running = new HashSet<>();

    private final Set<Integer> retiring = new HashSet<>();

    /**
     * Starts a lane for a partition unless it has one or is retiring.
     * @param partition the partition
     * @return whether the caller now runs the partition's lane and must {@link #end} it
     */
    synchronized boolean start(int partition) {
        return !this.retiring.contains(partition) && this.running.add(partition);
    }

    /**
     * Returns whether a partition is being given back: its lane, if it has one, goes on with no next message.
     * @param partition the partition
     * @return whether it is retiring
     */
    synchronized boolean isRetiring(int partition) {
        return this.retiring.contains(partition);
    }

    /**
     * Ends a partition's lane.
     * @param partition the partition
     */
    synchronized void end(int partition) {
        this.running.remove(partition);
    }

    /**
     * Returns whether a partition has a lane running.
     * @param partition the partition
     * @return whether it has
     */
    synchronized boolean isRunning(int partition) {
        return this.running.contains(partition);
    }

    /**
     * Sets the partitions being given back, in place of the earlier ones: their lanes stop after the message in
     * flight, and no lane starts for them.
     * @param partitions the partitions, each found with a lane running
     */
    synchronized void retire(Set<Integer> partitions) {
        this.retiring.clear();
        this.retiring.addAll(partitions);
    }
}
