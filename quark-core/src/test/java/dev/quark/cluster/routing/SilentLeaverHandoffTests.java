package dev.quark.cluster.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The new owner of an actor whose previous owner is leaving ({@code SHUTTING_DOWN}) and does not answer the
 * hand-off (it has closed its transport): the activation waits for a view that shows the leaver {@code DEAD},
 * and fails after {@link OwnershipHandoff#DEPARTURE_WAIT_MILLIS} while the view keeps it leaving. The leaver here
 * is an entry whose address nobody listens on.
 */
class SilentLeaverHandoffTests {

    private final InJvmNetwork network = new InJvmNetwork();

    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    private SiloRouting routing;

    private ActorRuntime runtime;

    private final HeldViewSource source = new HeldViewSource();

    private ClusterView before;

    private ClusterView leaving;

    @BeforeEach
    void startTheNewOwner() {
        this.routing = SiloRouting.builder("silo-2", this.network.transport()).build();
        this.runtime = this.routing.configure(ActorRuntime.builder()
            .callTimeout(Duration.ofSeconds(20))
            .actor(GaugeActor.class, GaugeActor::new)).build();
        SiloAddress address = this.routing.listen(this.runtime,
                new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime, List.of()));
        Instant now = Instant.now();
        SiloEntry newOwner = new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, Set.of("Gauge"),
                List.of());
        SiloEntry leaver = new SiloEntry("silo-1", new SiloAddress("127.0.0.1", 1), now, SiloStatus.ACTIVE, now, 1,
                Set.of("Gauge"), List.of());
        this.before = ClusterView.of(MembershipSnapshot.of(1, List.of(newOwner, leaver)), 150);
        this.leaving = ClusterView.of(
                MembershipSnapshot.of(2, List.of(newOwner, leaver.withStatus(SiloStatus.SHUTTING_DOWN))), 150);
        this.source.install(this.before);
        this.routing.follow(this.source);
        this.source.install(this.leaving);
    }

    @AfterEach
    void close() {
        this.callers.close();
        this.routing.close();
        this.runtime.close();
        this.network.close();
    }

    @Test
    void theNewOwnerActivatesOnceAViewShowsTheSilentLeaverDead() {
        String id = idOwnedByTheLeaverBefore();
        CompletableFuture<String> call = CompletableFuture.supplyAsync(
                () -> this.runtime.get(Gauge.class, id).where(), this.callers);

        await("a read of the table asked for").atMost(Duration.ofSeconds(10))
            .until(() -> this.source.refreshesAskedFor.contains(this.leaving.version() + 1));
        assertThat(call).as("waits for the leaver's departure").isNotDone();
        this.source.install(ClusterView.of(MembershipSnapshot.of(3, List.of(
                this.leaving.membership().silos().get("silo-2"),
                this.leaving.membership().silos().get("silo-1").withStatus(SiloStatus.DEAD))), 150));

        assertThat(call).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("silo-2");
    }

    @Test
    void theNewOwnerFailsTheActivationWhenTheViewKeepsTheSilentLeaverLeaving() {
        String id = idOwnedByTheLeaverBefore();
        long start = System.nanoTime();

        assertThatExceptionOfType(SiloUnavailableException.class)
            .isThrownBy(() -> this.runtime.get(Gauge.class, id).where())
            .withMessageContaining("Silo silo-2 cannot activate Gauge/" + id)
            .withMessageContaining("silo silo-1")
            .withMessageContaining("did not confirm")
            .withMessageContaining("still SHUTTING_DOWN")
            .withMessageNotContaining("ended early")
            .satisfies((ex) -> {
                Matcher waited = Pattern.compile("after (\\d+) ms of waiting for it to leave").matcher(ex.getMessage());
                assertThat(waited.find()).as(ex.getMessage()).isTrue();
                assertThat(Long.parseLong(waited.group(1))).isGreaterThanOrEqualTo(OwnershipHandoff.DEPARTURE_WAIT_MILLIS);
            });

        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(OwnershipHandoff.DEPARTURE_WAIT_MILLIS))
            .isLessThan(Duration.ofMillis(OwnershipHandoff.DEPARTURE_WAIT_MILLIS).plusSeconds(5));
    }

    private String idOwnedByTheLeaverBefore() {
        HashPlacementDirector placement = new HashPlacementDirector();
        return IntStream.range(0, 10_000).mapToObj((i) -> "gauge-" + System.nanoTime() + "-" + i)
            .filter((id) -> "silo-1".equals(placement.ownerOf(new ActorAddress("Gauge", id), this.before)))
            .findFirst()
            .orElseThrow();
    }

    /** An actor placed by consistent hashing that says where it runs. */
    public interface Gauge extends Actor {

        String where();
    }

    @QuarkActor
    public static class GaugeActor extends AbstractActor implements Gauge {

        @Override
        public String where() {
            return "silo-2";
        }
    }
}
