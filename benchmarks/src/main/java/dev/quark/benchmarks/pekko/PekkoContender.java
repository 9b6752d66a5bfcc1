package dev.quark.benchmarks.pekko;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import com.typesafe.config.ConfigFactory;
import dev.quark.benchmarks.Completion;
import dev.quark.benchmarks.Contender;
import dev.quark.benchmarks.OneWayRound;
import dev.quark.benchmarks.PipelinedCallers;
import dev.quark.benchmarks.Producers;
import dev.quark.benchmarks.harness.CallingStyle;
import org.HdrHistogram.Recorder;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Apache Pekko typed driven as its users drive it: the ask pattern pipelined for request/response (each
 * caller asks again from the callback of its previous answer), {@code tell} for one-way messages, children
 * spawned by the guardian, which platform threads ask for in batches. That is the same in both {@linkplain
 * CallingStyle calling styles}: Pekko has no blocking one. Default dispatcher settings; only logging is
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
        return PipelinedCallers.run(inFlight, deadlineNanos, latencies, WAIT, null, this::incrementAndGetAsync);
    }

    @Override
    public CompletionStage<?> incrementAndGetAsync() {
        List<ActorRef<PekkoCounter.Command>> all = this.counters;
        ActorRef<PekkoCounter.Command> counter = all.get(ThreadLocalRandom.current().nextInt(all.size()));
        return AskPattern.ask(counter, PekkoCounter.IncrementAndGet::new, ASK_TIMEOUT, this.system.scheduler());
    }

    @Override
    public void oneWay(CallingStyle style, int producers, int messagesPerActor) throws Exception {
        OneWayRound round = new OneWayRound(this.counters.size(), messagesPerActor);
        PekkoCounter.Add add = new PekkoCounter.Add(round);
        List<ActorRef<PekkoCounter.Command>> all = this.counters;
        // Each producer goes round all the counters in turn.
        Producers.send(producers, messagesPerActor * all.size(),
                (i) -> all.get((i / producers) % all.size()).tell(add));
        round.await(WAIT);
    }

    @Override
    public void activate(CallingStyle style, int producers, int count) throws Exception {
        Completion started = new Completion(count, "holders");
        String prefix = "holder-" + (this.generation++) + "-";
        int batches = (count + SPAWN_BATCH - 1) / SPAWN_BATCH;
        Producers.send(producers, batches, (batch) -> this.system.tell(new Guardian.SpawnHolders(prefix,
                batch * SPAWN_BATCH, Math.min(count, (batch + 1) * SPAWN_BATCH), started)));
        started.await(WAIT);
    }

    @Override
    public void close() throws Exception {
        this.system.terminate();
        this.system.getWhenTerminated().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }
}
