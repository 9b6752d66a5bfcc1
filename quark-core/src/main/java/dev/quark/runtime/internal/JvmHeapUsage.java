package dev.quark.runtime.internal;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;

import dev.quark.runtime.HeapReading;
import dev.quark.runtime.HeapUsage;

/**
 * Reads the heap from the JVM's memory pools: the sum of every heap pool's usage right after its last
 * collection ({@link MemoryPoolMXBean#getCollectionUsage()}), against the maximum heap.
 * <p>
 * Usage after collection rather than the current heap usage ({@code MemoryMXBean}): the current figure
 * includes the garbage allocated since the last collection, so a healthy application's heap saw-tooths up to
 * any limit before each young collection, and shedding on it would deactivate actors for garbage. Usage
 * after collection is what is still reachable, or at least was at the last collection of each pool. Under
 * G1 the old generation's figure is refreshed by mixed and full collections, not by young-only ones; it lags
 * while the old generation is below G1's marking threshold (45% by default) and follows once G1 collects it,
 * which is the range where limits are set.
 */
public final class JvmHeapUsage implements HeapUsage {

    private final List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans()
        .stream()
        .filter((pool) -> pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null)
        .toList();

    private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();

    @Override
    public HeapReading read() {
        long used = 0;
        for (MemoryPoolMXBean pool : this.pools) {
            MemoryUsage usage = pool.getCollectionUsage();
            if (usage != null) {
                used += usage.getUsed();
            }
        }
        long collections = 0;
        for (GarbageCollectorMXBean collector : this.collectors) {
            collections += Math.max(0, collector.getCollectionCount());
        }
        long max = Runtime.getRuntime().maxMemory();
        return new HeapReading(used, (max == Long.MAX_VALUE) ? 0 : max, collections);
    }

    @Override
    public String toString() {
        return "JvmHeapUsage" + this.pools.stream().map(MemoryPoolMXBean::getName).toList();
    }
}
