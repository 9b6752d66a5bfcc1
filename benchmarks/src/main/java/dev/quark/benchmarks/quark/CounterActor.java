package dev.quark.benchmarks.quark;

import java.util.concurrent.CompletableFuture;

import dev.quark.actor.QuarkActor;
import dev.quark.benchmarks.OneWayRound;

/**
 * A counter: plain fields, since the runtime runs one turn at a time.
 */
@QuarkActor(name = "bench-counter")
public class CounterActor implements Counter {

    private final OneWayRound.Tally tally = new OneWayRound.Tally();

    private int value;

    @Override
    public int incrementAndGet() {
        return ++this.value;
    }

    @Override
    public CompletableFuture<Integer> incrementAndGetAsync() {
        return CompletableFuture.completedFuture(++this.value);
    }

    @Override
    public void add(OneWayRound round) {
        this.value++;
        this.tally.count(round);
    }

    @Override
    public CompletableFuture<Void> addAsync(OneWayRound round) {
        add(round);
        return CompletableFuture.completedFuture(null);
    }
}
