package dev.quark.benchmarks.quark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.benchmarks.Completion;
import dev.quark.benchmarks.Contender;
import dev.quark.benchmarks.OneWayRound;
import dev.quark.benchmarks.Producers;
import dev.quark.benchmarks.harness.CallingStyle;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.TurnScheduler;
import org.HdrHistogram.Recorder;

/**
 * Quark driven as its users drive it, in both {@linkplain CallingStyle calling styles}: contract references,
 * blocking calls from virtual threads or {@code CompletableFuture} methods called from completion callbacks,
 * one-way calls from plain producer threads. The runtime has its default settings, except an idle timeout
 * long enough that nothing is collected while it is measured. Only the public API is used.
 */
public final class QuarkContender implements Contender {

    static final Duration WAIT = Duration.ofMinutes(5);

    private final ActorRuntime runtime = ActorRuntime.builder()
        .actor(CounterActor.class)
        .actor(HolderActor.class)
        .idleTimeout(Duration.ofHours(1))
        .turnScheduler(turnScheduler())
        .build();

    private Counter[] counters = new Counter[0];

    /**
     * The turn scheduler: {@code QUARK_BENCH_TURN_SCHEDULER=ready-queue} (or {@code virtual-threads}, the
     * default) to compare them.
     */
    static TurnScheduler turnScheduler() {
        String chosen = System.getenv("QUARK_BENCH_TURN_SCHEDULER");
        if (chosen == null || chosen.isBlank()) {
            return TurnScheduler.VIRTUAL_THREADS;
        }
        return TurnScheduler.valueOf(chosen.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    private int generation;

    @Override
    public void startCounters(int count) throws Exception {
        this.counters = new Counter[count];
        for (int i = 0; i < count; i++) {
            this.counters[i] = this.runtime.get(Counter.class, "counter-" + i);
        }
        OneWayRound round = new OneWayRound(count, 1);
        for (Counter counter : this.counters) {
            counter.add(round);
        }
        round.await(WAIT);
    }

    @Override
    public long requestResponse(int inFlight, long deadlineNanos, Recorder latencies) throws Exception {
        LongAdder completed = new LongAdder();
        List<Thread> callers = new ArrayList<>(inFlight);
        for (int i = 0; i < inFlight; i++) {
            callers.add(Thread.ofVirtual().name("caller-" + i).start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                long calls = 0;
                long now = System.nanoTime();
                while (now < deadlineNanos) {
                    this.counters[random.nextInt(this.counters.length)].incrementAndGet();
                    long end = System.nanoTime();
                    latencies.recordValue(end - now);
                    now = end;
                    calls++;
                }
                completed.add(calls);
            }));
        }
        for (Thread caller : callers) {
            caller.join();
        }
        return completed.sum();
    }

    @Override
    public CompletionStage<?> incrementAndGetAsync() {
        return this.counters[ThreadLocalRandom.current().nextInt(this.counters.length)].incrementAndGetAsync();
    }

    @Override
    public void oneWay(CallingStyle style, int producers, int messagesPerActor) throws Exception {
        OneWayRound round = new OneWayRound(this.counters.length, messagesPerActor);
        Counter[] all = this.counters;
        // Each producer goes round all the counters in turn; the round ends when the counters have counted.
        int count = messagesPerActor * all.length;
        if (style == CallingStyle.ASYNC) {
            Producers.send(producers, count, (i) -> all[(i / producers) % all.length].addAsync(round));
        }
        else {
            Producers.send(producers, count, (i) -> all[(i / producers) % all.length].add(round));
        }
        round.await(WAIT);
    }

    @Override
    public void activate(CallingStyle style, int producers, int count) throws Exception {
        Completion started = new Completion(count, "holders");
        String prefix = "holder-" + (this.generation++) + "-";
        if (style == CallingStyle.ASYNC) {
            Producers.send(producers, count, (i) -> this.runtime.get(Holder.class, prefix + i).holdAsync(i, started));
        }
        else {
            Producers.send(producers, count, (i) -> this.runtime.get(Holder.class, prefix + i).hold(i, started));
        }
        started.await(WAIT);
    }

    @Override
    public void close() {
        this.runtime.close();
    }
}
