package dev.quark.benchmarks;

import java.util.function.IntConsumer;

/**
 * Sends from plain platform threads, as producers outside any actor system would: producer {@code p} of
 * {@code n} sends messages {@code p, p + n, p + 2n, ...}.
 */
public final class Producers {

    private Producers() {
    }

    /**
     * Runs {@code send} for every index below {@code count}, split over {@code producers} threads, and
     * returns once all of them have sent their share.
     */
    public static void send(int producers, int count, IntConsumer send) throws InterruptedException {
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int first = p;
            threads[p] = Thread.ofPlatform().name("producer-" + p).start(() -> {
                for (int i = first; i < count; i += producers) {
                    send.accept(i);
                }
            });
        }
        for (Thread thread : threads) {
            thread.join();
        }
    }
}
