package dev.quark.cluster.transport.grpc;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The messages this silo sent over gRPC that wait for an answer (requests, hand-offs, probes), by message id,
 * each with the link it went over: when that link breaks, they will get no answer through it. An entry
 * leaves when its answer arrives, when its link breaks, or after its deadline.
 */
final class OutstandingRequests {

    /** How many additions between two sweeps of expired entries. */
    private static final int SWEEP_EVERY = 1024;

    private final Map<Long, Entry> entries = new ConcurrentHashMap<>();

    private final AtomicInteger additions = new AtomicInteger();

    private final Clock clock;

    OutstandingRequests(Clock clock) {
        this.clock = clock;
    }

    void add(long messageId, PeerLink link, long deadlineEpochMillis) {
        if (this.entries.put(messageId, new Entry(link, deadlineEpochMillis)) == null) {
            link.outstanding().incrementAndGet();
        }
        if (this.additions.incrementAndGet() % SWEEP_EVERY == 0) {
            sweep();
        }
    }

    void answered(long correlationId) {
        Entry entry = this.entries.remove(correlationId);
        if (entry != null) {
            entry.link().outstanding().decrementAndGet();
        }
    }

    /**
     * Removes the entries of a link.
     * @return their message ids
     */
    List<Long> removeAll(PeerLink link) {
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

    private record Entry(PeerLink link, long deadlineEpochMillis) {
    }
}
