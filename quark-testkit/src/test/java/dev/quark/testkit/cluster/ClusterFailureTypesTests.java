package dev.quark.testkit.cluster;

import java.lang.invoke.WrongMethodTypeException;

import java.util.stream.Stream;

import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.transport.RemoteActorException;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Quark's own exceptions thrown by an actor on another silo reach the caller as themselves, with their typed
 * fields; an exception of a type the caller does not rebuild arrives as a {@link RemoteActorException}.
 */
class ClusterFailureTypesTests {

    private static TestCluster cluster;

    private static Thrower remote;

    @BeforeAll
    static void start() {
        cluster = TestCluster.builder().silos(2)
            .runtime((siloId, builder) -> builder.actor(ThrowerActor.class, ThrowerActor::new))
            .build();
        String id = TallyCluster.idWhere((candidate) -> new HashPlacementDirector()
            .ownerOf(new ActorAddress("Thrower", candidate), cluster.silo(0).routing().view())
            .equals(cluster.silo(1).siloId()));
        remote = cluster.silo(0).get(Thrower.class, id);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    static Stream<String> samples() {
        return QuarkFailureSamples.names().stream();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void aQuarkExceptionThrownOnAnotherSiloArrivesAsItselfWithItsFields(String sample) {
        Throwable thrown = catchThrowable(() -> remote.fail(sample));

        assertThat(QuarkFailureSamples.whatCallersRead(thrown))
            .isEqualTo(QuarkFailureSamples.whatCallersRead(QuarkFailureSamples.create(sample)));
        assertThat(thrown.getSuppressed()).singleElement().isInstanceOf(RemoteActorException.class);
    }

    @Test
    void anExceptionOfATypeTheCallerDoesNotRebuildArrivesAsARemoteActorException() {
        Throwable thrown = catchThrowable(() -> remote.fail(ThrowerActor.FOREIGN));

        assertThat(thrown).isExactlyInstanceOf(RemoteActorException.class)
            .hasMessage(WrongMethodTypeException.class.getName() + ": a failure of a type outside the allow-list");
        assertThat(((RemoteActorException) thrown).remoteType()).isEqualTo(WrongMethodTypeException.class.getName());
    }
}
