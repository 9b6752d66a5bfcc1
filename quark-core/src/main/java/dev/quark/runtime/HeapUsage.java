package dev.quark.runtime;

/**
 * Measures the heap for memory-pressure shedding (see
 * {@link ActorRuntime.Builder#memoryPressure(int, int)}). The default reads the JVM's memory pools: the sum
 * of each heap pool's usage right after its last collection, against the maximum heap. Tests supply their
 * own to drive shedding deterministically.
 */
@FunctionalInterface
public interface HeapUsage {

    /**
     * Measures the heap now. Called from the runtime's periodic shedding check, never on a call's path.
     * @return the reading
     */
    HeapReading read();
}
