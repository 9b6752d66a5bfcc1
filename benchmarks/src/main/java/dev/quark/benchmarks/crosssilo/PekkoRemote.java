package dev.quark.benchmarks.crosssilo;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.Patterns;

/**
 * Pekko's side: two classic {@code ActorSystem}s in this JVM with pekko-remote's Artery TCP transport on
 * 127.0.0.1, the echo actors on system B, the callers on system A asking them through references resolved over the
 * network ({@code actorSelection(...).resolveOne}). The message is the same {@code byte[]}, which Pekko's built-in
 * byte-array serializer writes as it is; the reply goes to the ask's temporary actor on system A.
 */
final class PekkoRemote implements CrossSiloSide {

    private static final Duration ASK_TIMEOUT = Duration.ofMinutes(1);

    private final LongAdder served = new LongAdder();

    private final ActorSystem a;

    private final ActorSystem b;

    private final ActorRef[] echoes;

    PekkoRemote(int actors) throws Exception {
        this.a = ActorSystem.create("bench", artery());
        this.b = ActorSystem.create("bench", artery());
        for (int i = 0; i < actors; i++) {
            this.b.actorOf(Props.create(PekkoEcho.class, () -> new PekkoEcho(this.served)), "echo-" + i);
        }
        Address address = ((ExtendedActorSystem) this.b).provider().getDefaultAddress();
        this.echoes = new ActorRef[actors];
        for (int i = 0; i < actors; i++) {
            this.echoes[i] = this.a.actorSelection(address + "/user/echo-" + i)
                .resolveOne(Duration.ofSeconds(30))
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        }
    }

    private static Config artery() {
        return ConfigFactory.parseString("""
                pekko.loglevel = WARNING
                pekko.stdout-loglevel = WARNING
                pekko.log-dead-letters = off
                pekko.actor.provider = remote
                pekko.remote.artery.transport = tcp
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.remote.artery.canonical.port = 0
                """).withFallback(ConfigFactory.load());
    }

    @Override
    public byte[] call(byte[] payload) throws Exception {
        return callAsync(payload).toCompletableFuture().get(1, TimeUnit.MINUTES);
    }

    @Override
    public CompletionStage<byte[]> callAsync(byte[] payload) {
        ActorRef echo = this.echoes[ThreadLocalRandom.current().nextInt(this.echoes.length)];
        return Patterns.ask(echo, payload, ASK_TIMEOUT).thenApply((answer) -> (byte[]) answer);
    }

    @Override
    public long served() {
        return this.served.sum();
    }

    @Override
    public void close() {
        this.a.terminate();
        this.b.terminate();
        try {
            this.a.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            this.b.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        catch (Exception ex) {
            // The JVM of the workload ends next.
        }
    }

    /** Answers each message with itself. */
    static final class PekkoEcho extends AbstractActor {

        private final LongAdder served;

        PekkoEcho(LongAdder served) {
            this.served = served;
        }

        @Override
        public Receive createReceive() {
            return receiveBuilder().match(byte[].class, (payload) -> {
                this.served.increment();
                getSender().tell(payload, getSelf());
            }).build();
        }
    }
}
