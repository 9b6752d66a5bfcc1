package dev.quark.benchmarks.crosssilo;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSettings;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;
import dev.quark.cluster.routing.SiloRouting;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorRuntime;
import tools.jackson.dataformat.cbor.CBORMapper;

/**
 * Quark's side: two silos in this JVM, each with its own runtime, {@link SiloRouting}, membership agent and
 * self-hosted {@link GrpcTransport} on 127.0.0.1 (the transport of production, over a loopback TCP connection),
 * sharing an in-memory membership table, with payloads in CBOR (the format of Quark's Spring Boot wiring by
 * default: a {@code byte[]} is one binary string, where JSON would write it in base64). Only silo B hosts {@link Echo}, so every call made on silo A goes to B
 * and back through gRPC; {@link #served()} counts what B's activations answered.
 */
final class QuarkSilos implements CrossSiloSide {

    private static final Duration JOIN = Duration.ofSeconds(30);

    private final LongAdder served = new LongAdder();

    private final List<Silo> silos = new ArrayList<>();

    private final Echo[] echoes;

    QuarkSilos(int actors) throws Exception {
        MembershipProvider table = new InMemoryMembershipProvider();
        Silo a = start("silo-a", table, (runtime) -> {
        });
        this.silos.add(a);
        this.silos.add(start("silo-b", table, (runtime) -> runtime.actor(EchoActor.class,
                () -> new EchoActor(this.served))));
        long deadline = System.nanoTime() + JOIN.toNanos();
        while (!this.silos.stream().allMatch((silo) -> silo.membership().current().membership().silos().size() == 2
                && silo.membership().current().ring().silos().size() == 2)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The two silos did not see each other within " + JOIN);
            }
            Thread.sleep(20);
        }
        this.echoes = new Echo[actors];
        for (int i = 0; i < actors; i++) {
            this.echoes[i] = a.runtime().get(Echo.class, "echo-" + i);
        }
        // Activates every echo on silo B before anything is measured.
        for (Echo echo : this.echoes) {
            echo.echo(new byte[0]);
        }
    }

    private static Silo start(String siloId, MembershipProvider table, Consumer<ActorRuntime.Builder> actors)
            throws Exception {
        GrpcTransport transport = GrpcTransport.selfHosted(GrpcTransportSettings.builder("bench").build(),
                new InetSocketAddress("127.0.0.1", 0), null);
        SiloRouting routing = SiloRouting.builder(siloId, transport).build();
        ActorRuntime.Builder builder = ActorRuntime.builder().idleTimeout(Duration.ofHours(1));
        actors.accept(builder);
        ActorRuntime runtime = routing.configure(builder).build();
        SiloAddress address = routing.listen(runtime,
                new JacksonPayloadCodec(CBORMapper.builder().build(), runtime, List.of()));
        Set<String> types = runtime.actorTypes().stream().map((type) -> type.name())
            .collect(java.util.stream.Collectors.toSet());
        SiloMembership membership = SiloMembership.builder(MembershipSettings.builder(siloId, address)
            .clusterName("bench")
            .actorTypes(types)
            // Failure detection is not what is measured: on a machine this loaded, probes of 1 s would declare a
            // silo dead that is only slow. A silo declared dead anyway does not come back, so the run fails.
            .probeTimeout(Duration.ofSeconds(10))
            .missedProbes(10)
            .rejoinAutomatically(false)
            .build(), table, routing.prober()).build();
        routing.follow(membership);
        membership.start().get(JOIN.toMillis(), TimeUnit.MILLISECONDS);
        return new Silo(runtime, routing, membership, transport);
    }

    @Override
    public byte[] call(byte[] payload) {
        return this.echoes[ThreadLocalRandom.current().nextInt(this.echoes.length)].echo(payload);
    }

    @Override
    public CompletionStage<byte[]> callAsync(byte[] payload) {
        return this.echoes[ThreadLocalRandom.current().nextInt(this.echoes.length)].echoAsync(payload);
    }

    @Override
    public long served() {
        return this.served.sum();
    }

    @Override
    public void close() {
        for (Silo silo : this.silos.reversed()) {
            silo.membership().close();
            silo.routing().close();
            silo.runtime().close();
            silo.transport().close();
        }
    }

    private record Silo(ActorRuntime runtime, SiloRouting routing, SiloMembership membership,
            GrpcTransport transport) {
    }
}
