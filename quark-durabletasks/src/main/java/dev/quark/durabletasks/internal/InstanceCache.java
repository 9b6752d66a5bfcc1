package dev.quark.durabletasks.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The running instances a worker keeps between steps, at most {@code capacity} of them, least recently stepped out
 * first: the parked code of each ({@link KeptInstance}), so that its next step continues where it waits instead of
 * replaying the history. An instance is taken out while it runs a step and put back after the step was committed.
 * Evicting one releases its code, which unwinds and ends its thread; its next step replays it from the history.
 * <p>
 * Thread-safe.
 */
public final class InstanceCache {

    private final int capacity;

    private final Listener listener;

    private final LinkedHashMap<String, KeptInstance> entries = new LinkedHashMap<>(16, 0.75f, true);

    private boolean closed;

    /**
     * Creates a cache.
     * @param capacity the most instances kept; 0 keeps none
     * @param listener told of hits, misses and evictions
     */
    public InstanceCache(int capacity, Listener listener) {
        if (capacity < 0) {
            throw new IllegalArgumentException("The instance cache size must not be negative, was " + capacity);
        }
        this.capacity = capacity;
        this.listener = listener;
    }

    /**
     * Returns a cache that keeps nothing: every step replays.
     * @return the cache
     */
    public static InstanceCache disabled() {
        return new InstanceCache(0, new Listener() {
        });
    }

    /**
     * Returns whether the cache keeps instances at all.
     * @return whether its capacity is positive
     */
    public boolean enabled() {
        return this.capacity > 0;
    }

    /**
     * Returns how many instances are kept.
     * @return the number
     */
    public int size() {
        synchronized (this.entries) {
            return this.entries.size();
        }
    }

    /**
     * Takes an instance out for a step.
     */
    @Nullable KeptInstance take(String instanceId) {
        synchronized (this.entries) {
            return this.entries.remove(instanceId);
        }
    }

    /**
     * Keeps an instance after a committed step, evicting the least recently used past the capacity.
     */
    void put(String instanceId, KeptInstance kept) {
        List<KeptInstance> evicted = new ArrayList<>();
        synchronized (this.entries) {
            if (this.closed || !enabled()) {
                evicted.add(kept);
            }
            else {
                KeptInstance previous = this.entries.put(instanceId, kept);
                if (previous != null) {
                    evicted.add(previous);
                }
                Iterator<Map.Entry<String, KeptInstance>> eldest = this.entries.entrySet().iterator();
                while (this.entries.size() > this.capacity && eldest.hasNext()) {
                    evicted.add(eldest.next().getValue());
                    eldest.remove();
                }
            }
        }
        evicted.forEach((instance) -> {
            instance.release();
            this.listener.evicted();
        });
    }

    /**
     * Releases every kept instance and keeps none from now on: the worker stops.
     */
    public void close() {
        List<KeptInstance> released;
        synchronized (this.entries) {
            this.closed = true;
            released = new ArrayList<>(this.entries.values());
            this.entries.clear();
        }
        released.forEach(KeptInstance::release);
    }

    void hit() {
        this.listener.hit();
    }

    void miss() {
        this.listener.miss();
    }

    /**
     * Told what the cache does; fast, never throws.
     */
    public interface Listener {

        /**
         * A step continued a kept instance.
         */
        default void hit() {
        }

        /**
         * A step replayed the history: the instance was not kept, or its kept code had not seen the current history.
         */
        default void miss() {
        }

        /**
         * A kept instance was released to make room (or because the worker stops keeping instances).
         */
        default void evicted() {
        }
    }
}
