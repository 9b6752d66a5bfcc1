package dev.quark.cluster.transport.grpc;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The messages this silo sent over gRPC that wait for an answer (requests, hand-offs, probes), by message id,
 * each with the link and the stream it went over: when that stream breaks, they will get no answer through
 * it. Messages written on a newer stream of the same link are not the broken stream's. An entry leaves when
 * its answer arrives, when its stream breaks, when its link is closed, or after its deadline.
 * <p>
 * Not final only so that tests can interpose on {@link #removeSentOn}.
 */
class OutstandingRequests {

    /** How many additions between two sweeps of expired entries. */
    private static final int SWEEP_EVERY = 1024;

    private final Map<Long, Entry> entries = new ConcurrentHashMap<>();

    private final AtomicInteger additions = new AtomicInteger();

    private final Clock clock;

    OutstandingRequests(Clock clock) {
        this.clock = clock;
    }

    void add(long messageId, String targetSiloId, PeerLink link, Object stream, long deadlineEpochMillis) {
        if (this.entries.put(messageId, new Entry(targetSiloId, link, stream, deadlineEpochMillis)) == null) {
            link.outstanding().incrementAndGet();
        }
        if (this.additions.incrementAndGet() % SWEEP_EVERY == 0) {
            sweep();
        }
    }

    /**
     * Removes the message an answer belongs to, when the answer comes from the silo the message went to: an answer
     * of another silo (forged, or a mistake), which the routing drops too, must not keep the message from failing as
     * in doubt when its stream breaks.
     * @param correlationId the answer's correlation id
     * @param sourceSiloId the silo the answer comes from
     */
    void answered(long correlationId, String sourceSiloId) {
        Entry entry = this.entries.get(correlationId);
        if (entry != null && entry.targetSiloId().equals(sourceSiloId) && this.entries.remove(correlationId, entry)) {
            entry.link().outstanding().decrementAndGet();
        }
    }

    /**
     * Removes a message that a link did not write, or that its peer refused on that link.
     * @param messageId the message's id
     * @param link the link that took it
     */
    void forget(long messageId, PeerLink link) {
        Entry entry = this.entries.get(messageId);
        if (entry != null && entry.link() == link && this.entries.remove(messageId, entry)) {
            link.outstanding().decrementAndGet();
        }
    }

    /**
     * Removes the entries written on one stream, which broke.
     * @param stream the stream, as the link knows it
     * @return their message ids
     */
    List<Long> removeSentOn(Object stream) {
        List<Long> removed = new ArrayList<>();
        this.entries.forEach((messageId, entry) -> {
            if (entry.stream() == stream && this.entries.remove(messageId, entry)) {
                entry.link().outstanding().decrementAndGet();
                removed.add(messageId);
            }
        });
        return removed;
    }

    /**
     * Removes the entries of a link, on every stream: the link is closed.
     * @param link the link
     * @return their message ids
     */
    List<Long> removeAllOf(PeerLink link) {
        List<Long> removed = new ArrayList<>();
        this.entries.forEach((messageId, entry) -> {
            if (entry.link() == link && this.entries.remove(messageId, entry)) {
                link.outstanding().decrementAndGet();
                removed.add(messageId);
            }
        });
        return removed;
    }

    int size() {
        return this.entries.size();
    }

    /** Drops the entries past their deadline: their callers gave up already. */
    void sweep() {
        long now = this.clock.millis();
        this.entries.forEach((messageId, entry) -> {
            if (entry.deadlineEpochMillis() > 0 && entry.deadlineEpochMillis() < now
                    && this.entries.remove(messageId, entry)) {
                entry.link().outstanding().decrementAndGet();
            }
        });
    }

    private record Entry(String targetSiloId, PeerLink link, Object stream, long deadlineEpochMillis) {
    }
}
