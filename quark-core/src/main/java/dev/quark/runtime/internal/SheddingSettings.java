package dev.quark.runtime.internal;

import java.time.Duration;

import dev.quark.runtime.HeapUsage;

/**
 * When idle activations are deactivated before their idle timeout, validated by the runtime's builder.
 *
 * @param maxActivations how many activations the silo should hold at most; 0 for no limit
 * @param memoryLimitPercent the percentage of the maximum heap, in use after the last collection, past which
 * shedding starts; 0 when memory pressure is off
 * @param memoryTargetPercent the percentage shedding brings the heap back under before it stops
 * @param heapUsage measures the heap
 * @param checkInterval how often the activation count and the heap are checked
 */
public record SheddingSettings(int maxActivations, int memoryLimitPercent, int memoryTargetPercent,
        HeapUsage heapUsage, Duration checkInterval) {

    /**
     * Returns whether anything can trigger shedding, so that a runtime without limits schedules no checks.
     */
    boolean enabled() {
        return this.maxActivations > 0 || this.memoryLimitPercent > 0;
    }

    boolean memoryPressure() {
        return this.memoryLimitPercent > 0;
    }

    /**
     * Returns the count that shedding for the activation limit brings the silo back to: 90% of the limit,
     * so that a silo hovering at the limit sheds a batch now and then rather than one activation per check.
     */
    int activationFloor() {
        return (int) (this.maxActivations * 9L / 10);
    }
}
