package dev.quark.runtime.flood;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.actor.Actor;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.CallMetrics;
import dev.quark.runtime.HeapReading;
import dev.quark.runtime.SheddingTrigger;
import dev.quark.runtime.internal.JvmHeapUsage;

/**
 * A silo in its own JVM with a small heap, flooded with calls to new identities whose activations each
 * hold {@link BallastActor#BYTES}: more in total than the heap holds. Prints {@code result.*} lines for
 * {@code ActivationFloodTests}. Arguments: identities, max-activations, memory limit percent, memory target
 * percent, flood deadline in seconds.
 */
public final class FloodingSilo {

    private static final int CALLERS = 4;

    private FloodingSilo() {
    }

    public static void main(String[] args) throws Exception {
        int identities = Integer.parseInt(args[0]);
        int maxActivations = Integer.parseInt(args[1]);
        int limitPercent = Integer.parseInt(args[2]);
        int targetPercent = Integer.parseInt(args[3]);
        long deadline = System.nanoTime() + Duration.ofSeconds(Long.parseLong(args[4])).toNanos();
        Map<SheddingTrigger, AtomicLong> shed = new ConcurrentHashMap<>();
        JvmHeapUsage heap = new JvmHeapUsage();
        AtomicInteger peakActivations = new AtomicInteger();
        AtomicLong peakHeapBytes = new AtomicLong();
        AtomicInteger completed = new AtomicInteger();
        try (ActorRuntime runtime = ActorRuntime.builder()
            .actor(BallastActor.class)
            .idleTimeout(Duration.ofHours(1))
            .maxActivations(maxActivations)
            .memoryPressure(limitPercent, targetPercent)
            .sheddingCheckInterval(Duration.ofMillis(20))
            .metrics(new ActorMetrics() {
                @Override
                public CallMetrics forMethod(Class<? extends Actor> contract, String method) {
                    return CallMetrics.NONE;
                }

                @Override
                public void activationsShed(String actorType, SheddingTrigger trigger, int count) {
                    shed.computeIfAbsent(trigger, (key) -> new AtomicLong()).addAndGet(count);
                }
            })
            .build(); ExecutorService callers = Executors.newFixedThreadPool(CALLERS)) {
            List<Future<?>> floods = new ArrayList<>();
            for (int caller = 0; caller < CALLERS; caller++) {
                int first = caller;
                floods.add(callers.submit(() -> {
                    for (int i = first; i < identities && System.nanoTime() < deadline; i += CALLERS) {
                        runtime.get(Ballast.class, "b-" + i).size();
                        completed.incrementAndGet();
                        peakActivations.accumulateAndGet(runtime.activationCount(), Math::max);
                        if (i % 256 == first) {
                            HeapReading reading = heap.read();
                            peakHeapBytes.accumulateAndGet(reading.usedBytes(), Math::max);
                        }
                    }
                }));
            }
            for (Future<?> flood : floods) {
                flood.get();
            }
            System.gc();
            System.out.println("result.completed=" + completed.get());
            System.out.println("result.peakActivations=" + peakActivations.get());
            System.out.println("result.finalActivations=" + runtime.activationCount());
            System.out.println("result.peakHeapAfterCollectionBytes=" + peakHeapBytes.get());
            System.out.println("result.heapAfterFullCollectionBytes="
                    + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            System.out.println("result.maxHeapBytes=" + Runtime.getRuntime().maxMemory());
            System.out.println("result.shedForCount=" + shed.getOrDefault(SheddingTrigger.MAX_ACTIVATIONS, new AtomicLong()));
            System.out.println("result.shedForMemory=" + shed.getOrDefault(SheddingTrigger.MEMORY_PRESSURE, new AtomicLong()));
        }
    }
}
