package dev.quark.benchmarks.pekko;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import com.typesafe.config.ConfigFactory;
import dev.quark.benchmarks.Completion;
import dev.quark.benchmarks.Contender;
import dev.quark.benchmarks.OneWayRound;
import dev.quark.benchmarks.Producers;
import org.HdrHistogram.Recorder;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Apache Pekko typed driven as its users drive it: the ask pattern for request/response, {@code tell} for
 * one-way messages, children spawned by the guardian. Default dispatcher settings; only logging is
 * quietened.
 */
public final class PekkoContender implements Contender {

    private static final Duration WAIT = Duration.ofMinutes(5);

    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

    private static final int SPAWN_BATCH = 10_000;

    private final ActorSystem<Guardian.Command> system = ActorSystem.create(Guardian.create(), "bench",
            ConfigFactory.parseString("""
                    pekko.loglevel = WARNING
                    pekko.stdout-loglevel = WARNING
                    pekko.log-dead-letters = off
                    """).withFallback(ConfigFactory.load()));

    private List<ActorRef<PekkoCounter.Command>> counters = List.of();

    private int generation;

    @Override
    public void startCounters(int count) throws Exception {
        CompletableFuture<List<ActorRef<PekkoCounter.Command>>> spawned = new CompletableFuture<>();
        this.system.tell(new Guardian.SpawnCounters(count, spawned));
        this.counters = spawned.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        OneWayRound round = new OneWayRound(count, 1);
        PekkoCounter.Add add = new PekkoCounter.Add(round);
        for (ActorRef<PekkoCounter.Command> counter : this.counters) {
            counter.tell(add);
        }
        round.await(WAIT);
    }

    @Override
    public long requestResponse(int inFlight, long deadlineNanos, Recorder latencies) throws Exception {
        LongAdder completed = new LongAdder();
        CountDownLatch lanesDone = new CountDownLatch(inFlight);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < inFlight; i++) {
            new Lane(deadlineNanos, latencies, completed, lanesDone, failure).next();
        }
        if (!lanesDone.await(deadlineNanos - System.nanoTime() + WAIT.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException(lanesDone.getCount() + " callers did not finish");
        }
        if (failure.get() != null) {
            throw new IllegalStateException("An ask failed", failure.get());
        }
        return completed.sum();
    }

    /** One caller: asks, and asks again when the answer comes, until the deadline. */
    private final class Lane {

        private final long deadlineNanos;

        private final Recorder latencies;

        private final LongAdder completed;

        private final CountDownLatch done;

        private final AtomicReference<Throwable> failure;

        Lane(long deadlineNanos, Recorder latencies, LongAdder completed, CountDownLatch done,
                AtomicReference<Throwable> failure) {
            this.deadlineNanos = deadlineNanos;
            this.latencies = latencies;
            this.completed = completed;
            this.done = done;
            this.failure = failure;
        }

        void next() {
            long start = System.nanoTime();
            if (start >= this.deadlineNanos) {
                this.done.countDown();
                return;
            }
            List<ActorRef<PekkoCounter.Command>> all = PekkoContender.this.counters;
            ActorRef<PekkoCounter.Command> counter = all.get(ThreadLocalRandom.current().nextInt(all.size()));
            AskPattern.<PekkoCounter.Command, Integer>ask(counter, PekkoCounter.IncrementAndGet::new, ASK_TIMEOUT,
                    PekkoContender.this.system.scheduler())
                .whenComplete((value, error) -> {
                    if (error != null) {
                        this.failure.compareAndSet(null, error);
                        this.done.countDown();
                        return;
                    }
                    this.latencies.recordValue(System.nanoTime() - start);
                    this.completed.increment();
                    next();
                });
        }
    }

    @Override
    public void oneWay(int producers, int messagesPerActor) throws Exception {
        OneWayRound round = new OneWayRound(this.counters.size(), messagesPerActor);
        PekkoCounter.Add add = new PekkoCounter.Add(round);
        List<ActorRef<PekkoCounter.Command>> all = this.counters;
        // Each producer goes round all the counters in turn.
        Producers.send(producers, messagesPerActor * all.size(),
                (i) -> all.get((i / producers) % all.size()).tell(add));
        round.await(WAIT);
    }

    @Override
    public void activate(int count) throws Exception {
        Completion started = new Completion(count, "holders");
        String prefix = "holder-" + (this.generation++) + "-";
        for (int from = 0; from < count; from += SPAWN_BATCH) {
            this.system.tell(new Guardian.SpawnHolders(prefix, from, Math.min(count, from + SPAWN_BATCH), started));
        }
        started.await(WAIT);
    }

    @Override
    public void close() throws Exception {
        this.system.terminate();
        this.system.getWhenTerminated().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }
}
