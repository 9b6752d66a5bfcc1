package dev.quark.testkit.cluster;

import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.routing.SiloRouting;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;

/**
 * A test cluster of tallies, with what the tests ask about it: which silo owns an actor, and an id owned by a
 * given silo.
 */
final class TallyCluster implements AutoCloseable {

    private final TallyEnvironment environment;

    private final TestCluster cluster;

    TallyCluster(TallyEnvironment environment, int silos, Consumer<ActorRuntime.Builder> runtime,
            Consumer<SiloRouting.Builder> routing) {
        this(environment, builder(environment, silos, runtime).routing(routing));
    }

    TallyCluster(TallyEnvironment environment, TestCluster.Builder builder) {
        this.environment = environment;
        this.cluster = builder.build();
        this.cluster.silos().forEach((silo) -> environment.silo(silo.siloId(), silo));
    }

    /** A test cluster whose silos host tallies, with more settings for their runtimes. */
    static TestCluster.Builder builder(TallyEnvironment environment, int silos,
            Consumer<ActorRuntime.Builder> runtime) {
        return TestCluster.builder().silos(silos).runtime((siloId, builder) -> {
            builder.actor(TallyActor.class, () -> new TallyActor(environment, siloId));
            runtime.accept(builder);
        });
    }

    TallyCluster(TallyEnvironment environment, int silos) {
        this(environment, silos, (runtime) -> {
        }, (routing) -> {
        });
    }

    TestCluster cluster() {
        return this.cluster;
    }

    TestSilo silo(int index) {
        return this.cluster.silo(index);
    }

    TestSilo addSilo() {
        TestSilo silo = this.cluster.addSilo();
        this.environment.silo(silo.siloId(), silo);
        return silo;
    }

    TestSilo restartSilo(int index) {
        TestSilo silo = this.cluster.restartSilo(index);
        this.environment.silo(silo.siloId(), silo);
        return silo;
    }

    /** The silo that owns a tally in the view of a silo. */
    String ownerOf(String id, TestSilo viewer) {
        return new HashPlacementDirector().ownerOf(new ActorAddress("Tally", id), viewer.routing().view());
    }

    /** The silo that owns a tally in the view of the first running silo. */
    String ownerOf(String id) {
        return ownerOf(id, this.cluster.runningSilos().getFirst());
    }

    /** The first id, in tally-0, tally-1, ... order, that passes a test. */
    static String idWhere(Predicate<String> test) {
        return IntStream.range(0, 10_000).mapToObj((i) -> "tally-" + i).filter(test).findFirst().orElseThrow();
    }

    /** The first id owned by a silo. */
    String idOwnedBy(String siloId) {
        return idWhere((id) -> ownerOf(id).equals(siloId));
    }

    @Override
    public void close() {
        this.environment.openAll();
        this.cluster.close();
    }
}
