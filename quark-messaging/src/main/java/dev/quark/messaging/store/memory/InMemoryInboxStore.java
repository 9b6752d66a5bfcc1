package dev.quark.messaging.store.memory;

import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.messaging.store.InboxStore;

/**
 * Keeps processed message ids in memory. There is no transaction: a record is made before the handler runs and
 * forgotten when it fails, so a duplicate arriving while the first delivery's handler still runs is acknowledged
 * without waiting for it. For tests and single-JVM applications. Thread-safe.
 */
public final class InMemoryInboxStore implements InboxStore {

    private final Map<Entry, Instant> records = new ConcurrentHashMap<>();

    @Override
    public boolean record(String consumer, String messageId, Instant at) {
        return this.records.putIfAbsent(new Entry(consumer, messageId), at) == null;
    }

    @Override
    public void forget(String consumer, String messageId) {
        this.records.remove(new Entry(consumer, messageId));
    }

    @Override
    public boolean contains(String consumer, String messageId) {
        return this.records.containsKey(new Entry(consumer, messageId));
    }

    @Override
    public int deleteBefore(Instant before, int limit) {
        int deleted = 0;
        Iterator<Map.Entry<Entry, Instant>> entries = this.records.entrySet().iterator();
        while (entries.hasNext() && deleted < limit) {
            if (entries.next().getValue().isBefore(before)) {
                entries.remove();
                deleted++;
            }
        }
        return deleted;
    }

    @Override
    public String toString() {
        return "InMemoryInboxStore[" + this.records.size() + " records]";
    }

    private record Entry(String consumer, String messageId) {
    }
}
