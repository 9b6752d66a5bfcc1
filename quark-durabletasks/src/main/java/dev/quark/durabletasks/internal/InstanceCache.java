package dev.quark.durabletasks.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running instances a worker keeps between steps, at most {@code capacity} of them, least recently stepped out
 * first: the parked code of each ({@link KeptInstance}), so that its next step continues where it waits instead of
 * replaying the history. An instance is taken out while it runs a step and put back after the step was committed.
 * Evicting one releases its code, which unwinds and ends its thread; its next step replays it from the history.
 * <p>
 * Thread-safe.
 */
public final class InstanceCache {

    /**
     * The default capacity where parked code does not pin a carrier thread (Java 24 and later, JEP 491).
     */
    public static final int DEFAULT_CAPACITY = 1_000;

    /**
     * How long {@link #close} waits, in all, for the threads of released instances to end.
     */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private static final Logger logger = LoggerFactory.getLogger(InstanceCache.class);

    private final List<KeptInstance> released = new ArrayList<>();

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
     * Returns the default capacity on a Java runtime: {@value #DEFAULT_CAPACITY} from Java 24 on, 0 (no cache) before.
     * Before Java 24 (JEP 491) a virtual thread parked inside a {@code synchronized} block or method (an
     * orchestration's {@code synchronized run}) pins its carrier thread, and kept code stays parked between steps:
     * a few such instances would take every carrier thread.
     * @param javaFeatureVersion the runtime's feature version ({@code Runtime.version().feature()})
     * @return the default capacity
     */
    public static int defaultCapacity(int javaFeatureVersion) {
        return (javaFeatureVersion >= 24) ? DEFAULT_CAPACITY : 0;
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
     * Returns the most instances kept.
     * @return the capacity, 0 when nothing is kept
     */
    public int capacity() {
        return this.capacity;
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
            release(instance);
            this.listener.evicted();
        });
    }

    /**
     * Releases an instance's code and remembers it until its thread ended, so that {@link #close} waits for it.
     */
    void release(KeptInstance instance) {
        synchronized (this.entries) {
            this.released.removeIf((other) -> !other.isAlive());
            this.released.add(instance);
        }
        instance.release();
    }

    /**
     * Releases every kept instance and keeps none from now on: the worker stops. Waits up to {@link #CLOSE_TIMEOUT}
     * in all for the threads of the released instances (and of those released before) to unwind through their
     * {@code finally} blocks, and logs the instances whose threads still run.
     */
    public void close() {
        List<KeptInstance> closing;
        synchronized (this.entries) {
            this.closed = true;
            closing = new ArrayList<>(this.entries.values());
            this.entries.clear();
            this.released.addAll(closing);
        }
        closing.forEach(KeptInstance::release);
        List<KeptInstance> waitFor;
        synchronized (this.entries) {
            waitFor = new ArrayList<>(this.released);
            this.released.clear();
        }
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        List<String> alive = new ArrayList<>();
        boolean interrupted = false;
        for (KeptInstance instance : waitFor) {
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                if (interrupted || !instance.awaitEnd(Duration.ofNanos(Math.max(1, left)))) {
                    if (instance.isAlive()) {
                        alive.add(instance.instanceId());
                    }
                }
            }
            catch (InterruptedException ex) {
                interrupted = true;
                if (instance.isAlive()) {
                    alive.add(instance.instanceId());
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!alive.isEmpty()) {
            logger.warn("The code of {} released orchestration instances still runs {} after the worker stopped "
                    + "keeping them (it does not return from a finally block or catches StepEnd and keeps "
                    + "going): {}", alive.size(), CLOSE_TIMEOUT, alive);
        }
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
