package dev.quark.cluster.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.PlacedWithParent;
import dev.quark.actor.QuarkActor;
import dev.quark.cluster.directory.DirectoryEntry;
import dev.quark.cluster.directory.DirectoryRequest;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.fixtures.SettableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The owner of a hash-placed actor that runs it (it claimed it) is handed an entry over ({@code ADOPT}) that
 * names another silo, as a child's registration there would: the entry must not stand beside the owner's own
 * activation (the other silo would run the child too), so the owner takes it back and answers none.
 */
class ClaimedAdoptTests {

    private final CapturingTransport transport = new CapturingTransport();

    private final SettableClock clock = new SettableClock();

    private SiloRouting routing;

    private ActorRuntime runtime;

    @AfterEach
    void close() {
        if (this.routing != null) {
            this.routing.close();
        }
        if (this.runtime != null) {
            this.runtime.close();
        }
    }

    @Test
    void anEntryHandedOverForAnActorTheOwnerRunsItselfIsTakenBack() throws InterruptedException {
        this.routing = SiloRouting.builder("silo-2", this.transport).clock(this.clock).build();
        this.runtime = this.routing.configure(ActorRuntime.builder().actor(DialActor.class, DialActor::new)).build();
        SiloAddress address = this.routing.listen(this.runtime,
                new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime, List.of()));
        Instant now = Instant.now();
        SiloEntry owner = new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, Set.of("Dial"), List.of());
        SiloEntry parents = new SiloEntry("silo-0", new SiloAddress("127.0.0.1", 9000), now, SiloStatus.ACTIVE, now,
                1, Set.of("Dial"), List.of());
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, List.of(owner, parents)), 150);
        this.routing.follow(HeldViewSource.of(view));
        // Past the hand-off window: the owner asks no previous owner and holds nothing.
        this.clock.advance(Duration.ofMinutes(2));
        HashPlacementDirector placement = new HashPlacementDirector();
        String id = IntStream.range(0, 10_000).mapToObj((i) -> "dial-" + i)
            .filter((candidate) -> "silo-2".equals(placement.ownerOf(new ActorAddress("Dial", candidate), view)))
            .findFirst()
            .orElseThrow();
        assertThat(this.runtime.get(Dial.class, id).where()).isEqualTo("silo-2");

        DirectoryEntry child = new DirectoryEntry("silo-0", 1, 7);
        this.transport.handler().receive(new Envelope(41, 41, Envelope.Kind.DIRECTORY, "silo-0", 1,
                parents.address(), "silo-2", 1, "Dial", id, 0,
                new DirectoryRequest(DirectoryRequest.Operation.ADOPT, child).encode(), 0, null, Map.of(),
                this.clock.millis() + 60_000, 1, 0));

        Envelope answer = answerTo(41);
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.RESPONSE);
        assertThat(DirectoryRequest.decodeAnswer(answer.payload())).as("the entry registered afterwards").isNull();
        assertThat(this.routing.directoryEntries()).isZero();
        assertThat(this.runtime.get(Dial.class, id).where()).isEqualTo("silo-2");
    }

    private Envelope answerTo(long messageId) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Envelope sent = this.transport.sent.poll(100, TimeUnit.MILLISECONDS);
            if (sent != null && sent.correlationId() == messageId) {
                return sent;
            }
        }
        throw new AssertionError("no answer to message " + messageId + " within 10 s");
    }

    /** An actor placed by consistent hashing, which can be a child placed with its parent, that says where it runs. */
    public interface Dial extends Actor {

        String where();
    }

    @QuarkActor
    @PlacedWithParent
    public static class DialActor extends AbstractActor implements Dial {

        @Override
        public String where() {
            return "silo-2";
        }
    }
}
