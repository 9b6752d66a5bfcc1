package dev.quark.runtime.routing;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The deadlock probes and victims that one call passed on to another silo has relayed lately. A silo relays a probe
 * or a victim for a call it sent on without lengthening the probe's path, so a call sent back and forth between two
 * silos (each holding a send of it to the other) would bounce the same probe between them: a call relays the same
 * probe or victim once within {@link #REPEAT_AFTER_NANOS}. A victim sent again later (its cycle confirmed again
 * after a notice was lost) goes through.
 */
public final class RecentRelays {

    /** How long a call refuses to relay the same probe or victim again: less than a deadlock look's interval. */
    public static final long REPEAT_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** The probes and victims relayed, with when; those older than the repeat interval are let go. */
    private final Map<Object, Long> relayed = new HashMap<>();

    /**
     * Records a relay, unless the same one went within the repeat interval.
     * @param relay the probe or victim, told apart from others by its equality
     * @param nowNanos the time now, as {@link System#nanoTime()}
     * @return whether to relay it
     */
    public synchronized boolean first(Object relay, long nowNanos) {
        this.relayed.values().removeIf((at) -> nowNanos - at >= REPEAT_AFTER_NANOS);
        return this.relayed.putIfAbsent(relay, nowNanos) == null;
    }
}
