package dev.quark.cluster.routing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.LocalPreferredPlacement;
import dev.quark.actor.PlacedWithParent;
import dev.quark.actor.QuarkActor;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.directory.DirectoryEntry;
import dev.quark.cluster.directory.DirectoryRequest;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.placement.PlacementDirector;
import dev.quark.cluster.ring.HashRing;
import dev.quark.cluster.ring.RingHash;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.fixtures.SettableClock;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The directory while the owner of a partition changes, seen from one silo whose peers the test plays: a first
 * registration asks the live previous owners for their entry within the hand-off window (a leaver's included), and
 * only types placed with their parent ask them before a lookup; one that does not answer does not hold a
 * registration for the hand-off timeout, and a registration answered by the old owner after the view moved the
 * partition is registered again with the new owner. A first registration of a type not placed with its parent stops
 * asking once every silo has reported its re-registrations for the view in which the partition was gained, and not
 * before: not while a leaving silo has not reported, a silo reported only an older view, or only an earlier
 * incarnation of a silo reported; nor ever within the window when the partition went away and came back.
 */
class DirectoryOwnerChangeTests {

    private static final SiloAddress SILO_0 = new SiloAddress("127.0.0.1", 9000);

    private static final SiloAddress SILO_2 = new SiloAddress("127.0.0.1", 9002);

    private static final SiloAddress SILO_3 = new SiloAddress("127.0.0.1", 9003);

    private final CapturingTransport transport = new CapturingTransport();

    private final SettableClock clock = new SettableClock();

    private SiloRouting routing;

    private ActorRuntime runtime;

    /** The silos of the views {@link #tableView} builds. */
    private List<SiloEntry> tableSilos = List.of();

    @AfterEach
    void close() {
        if (this.routing != null) {
            this.routing.close();
        }
        if (this.runtime != null) {
            this.runtime.close();
        }
    }

    /**
     * A silo that just started owns the partition of a directory-placed actor (not placed with its parent), which
     * the silo before it (alive, but hung) owned: a lookup asks that silo nothing; a first registration asks it for
     * the entry it may hold ({@code LOOKUP_HELD}) and goes on after {@link DistributedDirectory#HELD_LOOKUP_WAIT},
     * not the hand-off timeout; once the hand-off window has passed, a first registration asks nobody.
     */
    @Test
    void aDirectoryPlacedActorsFirstRegistrationAsksAPreviousOwnerOnlyWithinTheWindowAndNotForLong() {
        SiloAddress address = startSiloTwoHostingSpots();
        Instant now = Instant.now();
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, List.of(
                new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, Set.of("Spot"), List.of()),
                new SiloEntry("silo-0", SILO_0, now, SiloStatus.ACTIVE, now, 1, Set.of("Spot"), List.of()))), 150);
        this.transport.silent.add(SILO_0);
        this.routing.follow(HeldViewSource.of(view));
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 1);
        List<String> ids = IntStream.range(0, 100_000).mapToObj((i) -> "spot-" + i)
            .filter((candidate) -> "silo-2"
                .equals(DistributedDirectory.PARTITIONS.ownerOf(new ActorAddress("Spot", candidate), view)))
            .limit(3)
            .toList();

        this.transport.handler().receive(directoryRequest(91, "Spot", ids.get(0),
                new DirectoryRequest(DirectoryRequest.Operation.LOOKUP, null)));
        Envelope answer = answerTo(91);
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.RESPONSE);
        assertThat(DirectoryRequest.decodeAnswer(answer.payload())).isNull();
        assertThat(directoryRequestsToSilent()).as("what the lookup asked the hung previous owner").isEmpty();

        long started = System.nanoTime();
        CompletableFuture<String> where = CompletableFuture
            .supplyAsync(() -> this.runtime.get(Spot.class, ids.get(1)).where());
        assertThat(where).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("silo-2");
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .as("how long the first activation waited (the hung owner is asked for about 1 s, not the 30 s timeout)")
            .isLessThan(Duration.ofSeconds(3));
        assertThat(directoryRequestsToSilent()).as("what the first registration asked the hung previous owner")
            .containsExactly(DirectoryRequest.Operation.LOOKUP_HELD);

        this.clock.advance(Duration.ofSeconds(61));
        assertThat(this.runtime.get(Spot.class, ids.get(2)).where()).isEqualTo("silo-2");
        assertThat(directoryRequestsToSilent()).as("what a first registration after the window asked").hasSize(1);
    }

    /**
     * As above, with two previous owners: silo-0 hung, silo-3 answering. The first registration in silo-0's old
     * ranges waits about {@link DistributedDirectory#HELD_LOOKUP_WAIT} for it; the next ones within the window pass it
     * over at once, without asking it again while that question is open, and a registration in silo-3's old ranges
     * still asks silo-3. Once silo-0 answers that question (late), it is asked again.
     */
    @Test
    void aPreviousOwnerThatDidNotAnswerIsPassedOverByTheNextFirstRegistrationsWhileOneThatAnswersIsStillAsked()
            throws InterruptedException {
        SiloAddress address = startSiloTwoHostingSpots();
        Instant now = Instant.now();
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, List.of(
                new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, Set.of("Spot"), List.of()),
                new SiloEntry("silo-0", SILO_0, now, SiloStatus.ACTIVE, now, 1, Set.of("Spot"), List.of()),
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, Set.of("Spot"), List.of()))), 150);
        this.transport.silent.add(SILO_0);
        this.routing.follow(HeldViewSource.of(view));
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 1);
        HashRing beforeThisSilo = HashRing.of(List.of("silo-0", "silo-3"), 150);
        List<String> hungOwners = spotsGainedFrom(view, beforeThisSilo, "silo-0", 4);
        String answeringOwners = spotsGainedFrom(view, beforeThisSilo, "silo-3", 1).get(0);

        assertThat(registrationTime(hungOwners.get(0))).as("the first registration in the hung owner's old ranges")
            .isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
        assertThat(registrationTime(hungOwners.get(1))).as("the second").isLessThan(Duration.ofMillis(500));
        assertThat(registrationTime(hungOwners.get(2))).as("the third").isLessThan(Duration.ofMillis(500));
        assertThat(directoryRequestsToSilent()).as("what the hung previous owner was asked")
            .containsExactly(DirectoryRequest.Operation.LOOKUP_HELD);

        CompletableFuture<String> where = CompletableFuture
            .supplyAsync(() -> this.runtime.get(Spot.class, answeringOwners).where());
        Envelope asked = sentDirectory(DirectoryRequest.Operation.LOOKUP_HELD, "silo-3");
        assertThat(asked.actorId()).isEqualTo(answeringOwners);
        reply(asked, Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(null));
        assertThat(where).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("silo-2");

        Envelope unanswered = this.transport.sentToSilent.stream()
            .filter((sent) -> sent.kind() == Envelope.Kind.DIRECTORY)
            .findFirst()
            .orElseThrow();
        reply(unanswered, Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(null));
        assertThat(registrationTime(hungOwners.get(3))).as("a registration after the late answer")
            .isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
        assertThat(directoryRequestsToSilent()).as("what the previous owner was asked after its late answer")
            .containsExactly(DirectoryRequest.Operation.LOOKUP_HELD, DirectoryRequest.Operation.LOOKUP_HELD);
    }

    /**
     * Ids of directory-placed actors whose partition this silo owns in its first view and another silo owned before it
     * (the guess: the first view's ring without this silo).
     */
    private static List<String> spotsGainedFrom(ClusterView view, HashRing before, String previousOwner, int count) {
        return IntStream.range(0, 100_000).mapToObj((i) -> "spot-" + i)
            .filter((candidate) -> {
                ActorAddress spot = new ActorAddress("Spot", candidate);
                return "silo-2".equals(DistributedDirectory.PARTITIONS.ownerOf(spot, view))
                        && previousOwner.equals(before.ownerOf(RingHash.of(spot)));
            })
            .limit(count)
            .toList();
    }

    /** Activates a directory-placed actor here and returns how long it took. */
    private Duration registrationTime(String id) {
        long started = System.nanoTime();
        CompletableFuture<String> where = CompletableFuture.supplyAsync(() -> this.runtime.get(Spot.class, id).where());
        assertThat(where).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("silo-2");
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /**
     * A silo that just joined (or restarted under the same id) owns partitions that, as far as it can tell, the other
     * silos owned before its first view (the guess: that view's ring without it). Until the other silos report their
     * re-registrations for that view done, a first registration there asks the guessed owner and takes the entry it
     * holds (a registration that overtakes its hand-over starts no second activation); once every silo has reported,
     * every live activation is registered here already, and a first registration asks nobody.
     */
    @Test
    void aJoinersFirstRegistrationAsksTheGuessedPreviousOwnerOnlyUntilEverySiloHasRegisteredAgain()
            throws InterruptedException, IOException {
        SiloAddress address = startSiloTwoHostingSpots();
        Instant now = Instant.now();
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, List.of(
                new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, Set.of("Spot"), List.of()),
                new SiloEntry("silo-0", SILO_0, now, SiloStatus.ACTIVE, now, 1, Set.of("Spot"), List.of()),
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, Set.of("Spot"), List.of()))), 150);
        this.routing.follow(HeldViewSource.of(view));
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 1);
        List<String> ids = spotsGainedFrom(view, HashRing.of(List.of("silo-0", "silo-3"), 150), "silo-3", 2);
        DirectoryEntry heldByTheGuess = new DirectoryEntry("silo-3", 1, 5);

        this.transport.handler().receive(directoryRequestFrom("silo-0", 111, "Spot", ids.get(0),
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, new DirectoryEntry("silo-0", 1, 6))));
        reply(heldEntryAsked(111, "silo-0"), Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(heldByTheGuess));
        assertThat(DirectoryRequest.decodeAnswer(answerTo(111, "silo-0").payload()))
            .as("the registration before the rounds: the guessed owner's entry").isEqualTo(heldByTheGuess);

        roundReported(1);
        roundDone("silo-0");
        roundDone("silo-3");
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(1));
        DirectoryEntry candidate = new DirectoryEntry("silo-0", 1, 7);
        this.transport.handler().receive(directoryRequestFrom("silo-0", 112, "Spot", ids.get(1),
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, candidate)));
        assertThat(answerWithoutAskingPreviousOwners(112, "silo-0")).isEqualTo(candidate);
    }

    /**
     * The answer to a registration from a silo, within 10 s, decoded; fails when this silo asks a previous owner for
     * its entry ({@code LOOKUP_HELD}) first.
     */
    private @Nullable DirectoryEntry answerWithoutAskingPreviousOwners(long registrationId, String registeringSilo)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Envelope sent = this.transport.sent.poll(100, TimeUnit.MILLISECONDS);
            if (sent == null) {
                continue;
            }
            assertThat(sent.kind() == Envelope.Kind.DIRECTORY
                    && DirectoryRequest.decode(sent.payload()).operation() == DirectoryRequest.Operation.LOOKUP_HELD)
                .as("a LOOKUP_HELD sent after every silo reported its round: %s", sent).isFalse();
            if (registeringSilo.equals(sent.targetSiloId()) && sent.correlationId() == registrationId) {
                assertThat(sent.kind()).isEqualTo(Envelope.Kind.RESPONSE);
                return DirectoryRequest.decodeAnswer(sent.payload());
            }
        }
        throw new AssertionError("no answer to registration " + registrationId + " within 10 s");
    }

    /**
     * The rounds count a silo that is leaving ({@code SHUTTING_DOWN}, off the ring, its activations still running
     * until they are handed off): silo-2 and silo-3 started together, then silo-3 began to leave and its partitions
     * moved to silo-2. Until silo-3 has reported its round for that view, a first registration there (of an
     * activation here) still asks it for the entry it holds and takes it (the call goes to silo-3); once it has, a
     * first registration asks nobody.
     */
    @Test
    void aFirstRegistrationStillAsksThePreviousOwnerWhileALeavingSiloHasNotReportedItsRound()
            throws InterruptedException, IOException {
        SiloAddress address = startSiloTwoHostingSpots();
        Instant now = Instant.now();
        Set<String> types = Set.of("Spot");
        SiloEntry self = new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, types, List.of());
        ClusterView before = ClusterView.of(MembershipSnapshot.of(1, List.of(self,
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, types, List.of()))), 150);
        ClusterView leaving = ClusterView.of(MembershipSnapshot.of(2, List.of(self,
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.SHUTTING_DOWN, now, 1, types, List.of()))), 150);
        List<String> ids = IntStream.range(0, 100_000).mapToObj((i) -> "spot-" + i)
            .filter((candidate) -> "silo-3"
                .equals(DistributedDirectory.PARTITIONS.ownerOf(new ActorAddress("Spot", candidate), before)))
            .limit(2)
            .toList();
        HeldViewSource views = HeldViewSource.of(before);
        this.routing.follow(views);
        views.install(leaving);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 2);
        roundReported(2);

        CompletableFuture.runAsync(() -> this.runtime.get(Spot.class, ids.get(0)).where());
        Envelope asked = sentDirectory(DirectoryRequest.Operation.LOOKUP_HELD, "silo-3");
        assertThat(asked.actorId()).isEqualTo(ids.get(0));
        reply(asked, Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(new DirectoryEntry("silo-3", 1, 5)));
        assertThat(callSent("silo-3").actorId()).as("the call, sent where the entry taken from silo-3 says")
            .isEqualTo(ids.get(0));

        roundDone("silo-3", 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(2));
        assertThat(CompletableFuture.supplyAsync(() -> this.runtime.get(Spot.class, ids.get(1)).where()))
            .succeedsWithin(Duration.ofSeconds(5))
            .isEqualTo("silo-2");
        assertThat(this.transport.sent).as("what the registration after silo-3's round asked")
            .noneMatch((sent) -> sent.kind() == Envelope.Kind.DIRECTORY && ids.get(1).equals(sent.actorId())
                    && DirectoryRequest.decode(sent.payload()).operation() == DirectoryRequest.Operation.LOOKUP_HELD);
    }

    /**
     * The table lost its latest writes (a replica that missed them took over) and silo-2's view went back to a lower
     * version of the same incarnation: the rounds reported for the versions the table lost are another table's, so a
     * silo counts again only once it reported its round for the view written again.
     */
    @Test
    void roundsReportedForVersionsTheTableLostDoNotCountOnceTheViewWentBack() throws InterruptedException, IOException {
        HeldViewSource views = followTableWithSiloThree(3);
        roundReported(3);
        roundDone("silo-3", 3);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(3));

        views.install(tableView(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 2);
        roundReported(2);
        assertThat(this.routing.directoryRoundsReported(2)).as("silo-3 reported only a version the table lost")
            .isFalse();

        roundDone("silo-3", 3);
        stillNotReported(2, "a report of a version the view went back from");
        roundDone("silo-3", 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(2));
    }

    /**
     * Reports name their view's table incarnation and a fingerprint of its silos: a report of the version silo-2's
     * view has, but of other silos (a view the table lost, at a version written again), is not counted.
     */
    @Test
    void aRoundReportedForAViewOfTheSameVersionWithOtherSilosDoesNotCount() throws InterruptedException, IOException {
        ClusterView view = followTableWithSiloThree(2).current();
        Instant now = Instant.now();
        List<SiloEntry> silos = new ArrayList<>(view.membership().silos().values());
        silos.add(new SiloEntry("silo-0", SILO_0, now, SiloStatus.JOINING, now, 1, Set.of("Spot"), List.of()));
        ClusterView lost = ClusterView.of(MembershipSnapshot.of("table", 2, silos), 150);
        roundReported(2);

        roundDone("silo-3", 1, 2, "table", RegistrationRounds.fingerprint(lost), 3);
        stillNotReported(2, "a report of the lost view");
        roundDone("silo-3", 1, 2, "table", RegistrationRounds.fingerprint(view), 4);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(2));
    }

    /**
     * Of a silo's reports, the one for the view it installed last counts (the sender's stamp), not the highest
     * version: after the table lost its latest writes a silo's newer word may name a lower version. Notices are
     * handled in any order, so a report of a view installed earlier does not replace a later one.
     */
    @Test
    void aSilosReportOfTheViewItInstalledLastCountsNotItsHighestVersion() throws InterruptedException, IOException {
        long fingerprint = RegistrationRounds.fingerprint(followTableWithSiloThree(2).current());
        roundReported(2);
        roundDone("silo-3", 1, 3, "table", fingerprint, 5);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(2));

        roundDone("silo-3", 1, 1, "table", fingerprint, 6);
        await().atMost(Duration.ofSeconds(10)).until(() -> !this.routing.directoryRoundsReported(2));
        roundDone("silo-3", 1, 2, "table", fingerprint, 4);
        stillNotReported(2, "a report of a view installed before");

        roundDone("silo-3", 1, 2, "table", fingerprint, 7);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(2));
    }

    /**
     * A silo reported its round only for a view older than the one in which silo-2 gained the partition (silo-3's
     * leave): its re-registrations for the leave may still be on their way, so a first registration there still
     * asks the leaver for the entry it holds and takes it; once that silo has reported the newer round, a first
     * registration asks nobody.
     */
    @Test
    void aFirstRegistrationStillAsksThePreviousOwnerWhileASiloReportedOnlyAnOlderRound()
            throws InterruptedException, IOException {
        List<String> ids = spotsOfALeavingPreviousOwner(2);
        roundReported(2);
        roundDone("silo-0", 1);
        roundDone("silo-3", 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(1));
        DirectoryEntry onTheLeaver = new DirectoryEntry("silo-3", 1, 5);

        this.transport.handler().receive(directoryRequestFrom("silo-0", 201, "Spot", ids.get(0),
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, new DirectoryEntry("silo-0", 1, 7))));
        reply(heldEntryAsked(201, "silo-0"), Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(onTheLeaver));
        assertThat(DirectoryRequest.decodeAnswer(answerTo(201, "silo-0").payload()))
            .as("the registration while silo-0 reported only version 1: the leaver's entry").isEqualTo(onTheLeaver);

        roundDone("silo-0", 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(2));
        DirectoryEntry candidate = new DirectoryEntry("silo-0", 1, 8);
        this.transport.handler().receive(directoryRequestFrom("silo-0", 202, "Spot", ids.get(1),
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, candidate)));
        assertThat(answerWithoutAskingPreviousOwners(202, "silo-0")).isEqualTo(candidate);
    }

    /**
     * A silo reported its round for the view in which silo-2 started, then restarted under the same id (a new
     * epoch): the report was its earlier incarnation's, and says nothing of what the new one hosts. A first
     * registration in a range silo-2 gained in that view still asks the guessed previous owner and takes its
     * entry; once the new incarnation has reported, a first registration asks nobody.
     */
    @Test
    void aFirstRegistrationStillAsksThePreviousOwnerWhenTheRoundWasReportedByAnEarlierIncarnation()
            throws InterruptedException, IOException {
        SiloAddress address = startSiloTwoHostingSpots();
        Instant now = Instant.now();
        Set<String> types = Set.of("Spot");
        SiloEntry self = new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, types, List.of());
        SiloEntry answering = new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, types, List.of());
        ClusterView started = ClusterView.of(MembershipSnapshot.of(1, List.of(self, answering,
                new SiloEntry("silo-0", SILO_0, now, SiloStatus.ACTIVE, now, 1, types, List.of()))), 150);
        ClusterView restarted = ClusterView.of(MembershipSnapshot.of(2, List.of(self, answering,
                new SiloEntry("silo-0", SILO_0, now, SiloStatus.ACTIVE, now, 2, types, List.of()))), 150);
        HeldViewSource views = HeldViewSource.of(started);
        this.routing.follow(views);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 1);
        List<String> ids = spotsGainedFrom(started, HashRing.of(List.of("silo-0", "silo-3"), 150), "silo-3", 2);
        roundReported(1);
        roundDone("silo-0", 1, 1);
        roundDone("silo-3", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(1));
        views.install(restarted);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 2);
        DirectoryEntry heldByTheGuess = new DirectoryEntry("silo-3", 1, 5);

        this.transport.handler().receive(directoryRequestFrom("silo-0", 2, 301, "Spot", ids.get(0),
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, new DirectoryEntry("silo-0", 2, 7))));
        reply(heldEntryAsked(301, "silo-0"), Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(heldByTheGuess));
        assertThat(DirectoryRequest.decodeAnswer(answerTo(301, "silo-0").payload()))
            .as("the registration while only silo-0's earlier incarnation reported: the guessed owner's entry")
            .isEqualTo(heldByTheGuess);

        roundDone("silo-0", 2, 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(1));
        DirectoryEntry candidate = new DirectoryEntry("silo-0", 2, 8);
        this.transport.handler().receive(directoryRequestFrom("silo-0", 2, 302, "Spot", ids.get(1),
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, candidate)));
        assertThat(answerWithoutAskingPreviousOwners(302, "silo-0")).isEqualTo(candidate);
    }

    /**
     * silo-2 owned a partition, silo-3 joined and took it, then began to leave and it came back to silo-2, all
     * within the hand-off window. A silo that read neither of the views between saw no move, registered nothing
     * again and still reported its round, so even once every silo has reported its round for the view that gave
     * the partition back, a first registration there asks silo-3 for the entry it holds and takes it.
     */
    @Test
    void aFirstRegistrationInARangeThatWentAwayAndCameBackAsksThePreviousOwnerEvenOnceEverySiloReportedItsRound()
            throws InterruptedException, IOException {
        SiloAddress address = startSiloTwoHostingSpots();
        Instant now = Instant.now();
        Set<String> types = Set.of("Spot");
        SiloEntry self = new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, types, List.of());
        SiloEntry caller = new SiloEntry("silo-0", SILO_0, now, SiloStatus.ACTIVE, now, 1, types, List.of());
        ClusterView owned = ClusterView.of(MembershipSnapshot.of(1, List.of(self, caller)), 150);
        ClusterView joined = ClusterView.of(MembershipSnapshot.of(2, List.of(self, caller,
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, types, List.of()))), 150);
        ClusterView back = ClusterView.of(MembershipSnapshot.of(3, List.of(self, caller,
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.SHUTTING_DOWN, now, 1, types, List.of()))), 150);
        String id = idWhere("spot-", (candidate) -> {
            ActorAddress spot = new ActorAddress("Spot", candidate);
            return "silo-2".equals(DistributedDirectory.PARTITIONS.ownerOf(spot, owned))
                    && "silo-3".equals(DistributedDirectory.PARTITIONS.ownerOf(spot, joined))
                    && "silo-2".equals(DistributedDirectory.PARTITIONS.ownerOf(spot, back));
        });
        HeldViewSource views = HeldViewSource.of(owned);
        this.routing.follow(views);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 1);
        // The first view's guess (its ring without silo-2) passes out of the window: silo-3 is the only previous owner.
        this.clock.advance(Duration.ofSeconds(61));
        views.install(joined);
        views.install(back);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 3);
        roundReported(3);
        roundDone("silo-0", 3);
        roundDone("silo-3", 3);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.directoryRoundsReported(3));
        DirectoryEntry onTheLeaver = new DirectoryEntry("silo-3", 1, 5);

        this.transport.handler().receive(directoryRequestFrom("silo-0", 401, "Spot", id,
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, new DirectoryEntry("silo-0", 1, 7))));
        reply(heldEntryAsked(401, "silo-0"), Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(onTheLeaver));
        assertThat(DirectoryRequest.decodeAnswer(answerTo(401, "silo-0").payload()))
            .as("the registration in the range that came back: silo-3's entry").isEqualTo(onTheLeaver);
    }

    /** Returns the first call this silo sent a silo within 10 s. */
    private Envelope callSent(String target) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Envelope sent = this.transport.sent.poll(100, TimeUnit.MILLISECONDS);
            if (sent != null && sent.kind() == Envelope.Kind.REQUEST && target.equals(sent.targetSiloId())) {
                return sent;
            }
        }
        throw new AssertionError("no call sent to " + target + " within 10 s");
    }

    private List<DirectoryRequest.Operation> directoryRequestsToSilent() {
        return this.transport.sentToSilent.stream()
            .filter((sent) -> sent.kind() == Envelope.Kind.DIRECTORY)
            .map((sent) -> DirectoryRequest.decode(sent.payload()).operation())
            .toList();
    }

    /**
     * A silo leaves (its status {@code SHUTTING_DOWN}) that owned the partition of a directory-placed actor whose
     * activation still runs on it (a held turn): a first registration from another silo reaches the partition's new
     * owner before the leaver's hand-over of the entry ({@code ADOPT}). The new owner asks the leaver for the entry it
     * held, and the registration learns where the actor lives instead of starting a second activation.
     */
    @Test
    void aFirstRegistrationAtTheNewOwnerBeforeTheHandOverTakesTheEntryALeavingPreviousOwnerHolds()
            throws InterruptedException {
        String id = spotOfALeavingPreviousOwner();
        DirectoryEntry onTheLeaver = new DirectoryEntry("silo-3", 1, 5);

        this.transport.handler().receive(directoryRequestFrom("silo-0", 101, "Spot", id,
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, new DirectoryEntry("silo-0", 1, 7))));
        Envelope asked = heldEntryAsked(101, "silo-0");
        reply(asked, Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(onTheLeaver));

        Envelope answer = answerTo(101, "silo-0");
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.RESPONSE);
        assertThat(DirectoryRequest.decodeAnswer(answer.payload())).as("the activation registered")
            .isEqualTo(onTheLeaver);
    }

    /**
     * As above, and the leaver's activation has ended since, its entry removed at the new owner: the leaver's copy of
     * the entry (kept for the hand-off window) is not taken again at the next first registration, which would send
     * the calls back to a silo that no longer runs the actor.
     */
    @Test
    void anEntryRemovedAtTheNewOwnerIsNotTakenAgainFromTheCopyALeavingPreviousOwnerKeeps()
            throws InterruptedException {
        String id = spotOfALeavingPreviousOwner();
        DirectoryEntry onTheLeaver = new DirectoryEntry("silo-3", 1, 5);
        assertThat(registerWhileTheLeaverHolds(101, id, new DirectoryEntry("silo-0", 1, 7), onTheLeaver))
            .isEqualTo(onTheLeaver);
        unregister(102, "Spot", id, onTheLeaver);

        DirectoryEntry candidate = new DirectoryEntry("silo-0", 1, 8);
        assertThat(registerWhileTheLeaverHolds(103, id, candidate, onTheLeaver)).as("the activation registered")
            .isEqualTo(candidate);
    }

    /**
     * As above, and the entry of the activation registered then (on silo-0) is removed in turn within the window: the
     * partition remembers both removals, so the leaver's copy is still not taken again at the next first registration
     * (the second removal, of another silo's entry, once replaced the first).
     */
    @Test
    void entriesRemovedByTwoSilosWithinTheWindowAreBothRemembered() throws InterruptedException {
        String id = spotOfALeavingPreviousOwner();
        DirectoryEntry onTheLeaver = new DirectoryEntry("silo-3", 1, 5);
        assertThat(registerWhileTheLeaverHolds(101, id, new DirectoryEntry("silo-0", 1, 7), onTheLeaver))
            .isEqualTo(onTheLeaver);
        unregister(102, "Spot", id, onTheLeaver);
        DirectoryEntry first = new DirectoryEntry("silo-0", 1, 8);
        assertThat(registerWhileTheLeaverHolds(103, id, first, onTheLeaver)).isEqualTo(first);
        this.transport.handler().receive(directoryRequestFrom("silo-0", 104, "Spot", id,
                new DirectoryRequest(DirectoryRequest.Operation.UNREGISTER, first)));
        assertThat(answerTo(104, "silo-0").kind()).isEqualTo(Envelope.Kind.RESPONSE);

        DirectoryEntry second = new DirectoryEntry("silo-0", 1, 9);
        assertThat(registerWhileTheLeaverHolds(105, id, second, onTheLeaver))
            .as("the activation registered, not the leaver's copy")
            .isEqualTo(second);
    }

    /**
     * Sends silo-0's first registration of a spot, answers the {@code LOOKUP_HELD} it makes this silo send the
     * leaving silo-3 with the entry silo-3 still holds, and returns the entry the registration was answered with
     * ({@code null} for none).
     */
    private @Nullable DirectoryEntry registerWhileTheLeaverHolds(long messageId, String id, DirectoryEntry candidate,
            DirectoryEntry onTheLeaver) throws InterruptedException {
        this.transport.handler().receive(directoryRequestFrom("silo-0", messageId, "Spot", id,
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, candidate)));
        reply(heldEntryAsked(messageId, "silo-0"), Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(onTheLeaver));
        Envelope answer = answerTo(messageId, "silo-0");
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.RESPONSE);
        return DirectoryRequest.decodeAnswer(answer.payload());
    }

    /**
     * Starts silo-2 with silo-0 and silo-3 active, then installs the view in which silo-3 is leaving
     * ({@code SHUTTING_DOWN}, off the ring): the partition of the returned directory-placed actor moves from silo-3
     * (its only previous owner) to silo-2.
     * @return the actor's id
     */
    private String spotOfALeavingPreviousOwner() {
        return spotsOfALeavingPreviousOwner(1).get(0);
    }

    /**
     * As {@link #spotOfALeavingPreviousOwner}, for several actors.
     * @return their ids
     */
    private List<String> spotsOfALeavingPreviousOwner(int count) {
        this.routing = SiloRouting.builder("silo-2", this.transport).clock(this.clock)
            .handoffTimeout(Duration.ofSeconds(30))
            .build();
        this.runtime = this.routing.configure(ActorRuntime.builder().actor(SpotActor.class, SpotActor::new)).build();
        SiloAddress address = listen();
        Instant now = Instant.now();
        Set<String> types = Set.of("Spot");
        SiloEntry self = new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, types, List.of());
        SiloEntry caller = new SiloEntry("silo-0", SILO_0, now, SiloStatus.ACTIVE, now, 1, types, List.of());
        ClusterView before = ClusterView.of(MembershipSnapshot.of(1, List.of(self, caller,
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, types, List.of()))), 150);
        ClusterView leaving = ClusterView.of(MembershipSnapshot.of(2, List.of(self, caller,
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.SHUTTING_DOWN, now, 1, types, List.of()))), 150);
        HashRing beforeThisSilo = HashRing.of(List.of("silo-0", "silo-3"), 150);
        List<String> ids = IntStream.range(0, 100_000).mapToObj((i) -> "spot-" + i).filter((candidate) -> {
            ActorAddress spot = new ActorAddress("Spot", candidate);
            return "silo-3".equals(DistributedDirectory.PARTITIONS.ownerOf(spot, before))
                    && "silo-3".equals(beforeThisSilo.ownerOf(RingHash.of(spot)))
                    && "silo-2".equals(DistributedDirectory.PARTITIONS.ownerOf(spot, leaving));
        }).limit(count).toList();
        HeldViewSource views = HeldViewSource.of(before);
        this.routing.follow(views);
        views.install(leaving);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 2);
        return ids;
    }

    /**
     * Returns the {@code LOOKUP_HELD} this silo sent silo-3 within 10 s; fails when the registration is answered
     * first.
     */
    private Envelope heldEntryAsked(long registrationId, String registeringSilo) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Envelope sent = this.transport.sent.poll(100, TimeUnit.MILLISECONDS);
            if (sent == null) {
                continue;
            }
            if (sent.kind() == Envelope.Kind.DIRECTORY && "silo-3".equals(sent.targetSiloId())
                    && DirectoryRequest.decode(sent.payload()).operation() == DirectoryRequest.Operation.LOOKUP_HELD) {
                return sent;
            }
            if (registeringSilo.equals(sent.targetSiloId()) && sent.correlationId() == registrationId) {
                throw new AssertionError("the registration was answered before silo-3, a previous owner, was "
                        + "asked for its entry: " + sent.kind() + " " + ((sent.kind() == Envelope.Kind.RESPONSE)
                                ? DirectoryRequest.decodeAnswer(sent.payload()) : ""));
            }
        }
        throw new AssertionError("no LOOKUP_HELD sent to silo-3 within 10 s");
    }

    /**
     * A silo that just started owns the partition of a child placed with its parent, which the silo before it
     * (alive, but hung) owned: a child's first registration from another silo asks that silo for the entry it
     * may hold and to give the actor up, and is answered after a short wait (the asker's spawn does not wait
     * the hand-off timeout).
     */
    @Test
    void aChildsRegistrationDoesNotWaitTheHandOffTimeoutForAPreviousOwnerThatDoesNotAnswer() throws IOException {
        this.routing = SiloRouting.builder("silo-2", this.transport).clock(this.clock)
            .handoffTimeout(Duration.ofSeconds(30))
            .build();
        this.runtime = this.routing.configure(ActorRuntime.builder()
            .actor(FledglingActor.class, FledglingActor::new)).build();
        SiloAddress address = listen();
        Instant now = Instant.now();
        Set<String> types = Set.of("Fledgling");
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, List.of(
                new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, types, List.of()),
                new SiloEntry("silo-0", SILO_0, now, SiloStatus.ACTIVE, now, 1, types, List.of()),
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, types, List.of()))), 150);
        this.transport.silent.add(SILO_0);
        this.routing.follow(HeldViewSource.of(view));
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 1);
        // The other silos have registered again what they host: the registration is not held for that.
        roundDone("silo-0");
        roundDone("silo-3");
        HashPlacementDirector placement = new HashPlacementDirector();
        ClusterView withoutSilo2 = ClusterView.of(MembershipSnapshot.of(1, view.membership().silos().values().stream()
            .filter((silo) -> !"silo-2".equals(silo.siloId()))
            .toList()), 150);
        String child = idWhere("fledgling-", (candidate) -> "silo-2"
            .equals(placement.ownerOf(new ActorAddress("Fledgling", candidate), view))
                && "silo-0".equals(placement.ownerOf(new ActorAddress("Fledgling", candidate), withoutSilo2)));

        long started = System.nanoTime();
        this.transport.handler().receive(directoryRequest(92, "Fledgling", child,
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, new DirectoryEntry("silo-3", 1, 7))));
        Envelope answer = answerTo(92);

        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("how long the registration was held")
            .isLessThan(Duration.ofSeconds(5));
        assertThat(this.transport.sentToSilent).as("what the hung previous owner was asked")
            .anyMatch((sent) -> sent.kind() == Envelope.Kind.DIRECTORY
                    && DirectoryRequest.decode(sent.payload()).operation() == DirectoryRequest.Operation.LOOKUP_HELD)
            .anyMatch((sent) -> sent.kind() == Envelope.Kind.HANDOFF);
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.ERROR);
        assertThat(answer.metadata()).as("the refusal's mark: the asker does not ask again")
            .containsEntry(DistributedDirectory.NOT_RELEASED, "silo-0");
    }

    /**
     * A parent here spawns a child whose partition owner refuses the registration for good: a previous owner of the
     * child did not confirm it gave it up ({@link DistributedDirectory#NOT_RELEASED}). The spawn returns at once,
     * the child placed by hash, and the registration is not sent again (each attempt would wait as long again).
     */
    @Test
    void aChildsRegistrationRefusedForAPreviousOwnerThatDidNotGiveItUpIsNotSentAgain() throws InterruptedException {
        this.routing = SiloRouting.builder("silo-0", this.transport).clock(this.clock).build();
        this.runtime = this.routing.configure(ActorRuntime.builder()
            .actor(PerchActor.class, PerchActor::new)
            .actor(FledglingActor.class, FledglingActor::new)).build();
        SiloAddress address = listen();
        Instant now = Instant.now();
        Set<String> types = Set.of("Perch", "Fledgling");
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, List.of(
                new SiloEntry("silo-0", address, now, SiloStatus.ACTIVE, now, 1, types, List.of()),
                new SiloEntry("silo-2", SILO_2, now, SiloStatus.ACTIVE, now, 1, types, List.of()))), 150);
        this.routing.follow(HeldViewSource.of(view));
        this.clock.advance(Duration.ofMinutes(2));
        HashPlacementDirector placement = new HashPlacementDirector();
        String parent = idWhere("perch-", (candidate) -> "silo-0"
            .equals(placement.ownerOf(new ActorAddress("Perch", candidate), view)));
        String child = idWhere("fledgling-", (candidate) -> "silo-2"
            .equals(placement.ownerOf(new ActorAddress("Fledgling", candidate), view)));

        CompletableFuture<Void> spawned = CompletableFuture
            .runAsync(() -> this.runtime.get(Perch.class, parent).spawn(child));
        Envelope register = sentDirectory(DirectoryRequest.Operation.REGISTER, "silo-2");
        byte[] failure = new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime, List.of())
            .encodeFailure(new SiloUnavailableException("silo-5 did not confirm that it gave up " + child));
        this.transport.handler().receive(new Envelope(63, register.messageId(), Envelope.Kind.ERROR, "silo-2", 1,
                SILO_2, "silo-0", register.sourceEpoch(), register.actorType(), register.actorId(), 0, failure, 0,
                null, Map.of(DistributedDirectory.NOT_RELEASED, "silo-5"), this.clock.millis() + 60_000, 1, 0));

        assertThat(spawned).succeedsWithin(Duration.ofSeconds(5));
        assertThat(this.transport.sent).as("sent after the refusal")
            .noneMatch((sent) -> sent.kind() == Envelope.Kind.DIRECTORY
                    && DirectoryRequest.decode(sent.payload()).operation() == DirectoryRequest.Operation.REGISTER);
    }

    /**
     * A silo that just started owns the partition of a child that two live silos owned before it (silo-0, then
     * silo-3): a child's first registration asks both to give the actor up together, within the one budget, so
     * that the second is not left the crumbs of the first one's time.
     */
    @Test
    void aChildsRegistrationAsksItsPreviousOwnersToGiveItUpTogether() throws IOException, InterruptedException {
        String child = childOfTwoLivePreviousOwners();

        this.transport.handler().receive(directoryRequest(97, "Fledgling", child,
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, new DirectoryEntry("silo-3", 1, 7))));
        List<Envelope> handoffs = handoffsAsked(97);

        assertThat(handoffs).as("the previous owners asked to give the child up before either answered")
            .extracting(Envelope::targetSiloId)
            .containsExactlyInAnyOrder("silo-0", "silo-3");
        handoffs.forEach((handoff) -> reply(handoff, Envelope.Kind.HANDOFF_ACK, new byte[0]));
        Envelope answer = answerTo(97);
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.RESPONSE);
        assertThat(DirectoryRequest.decodeAnswer(answer.payload())).isEqualTo(new DirectoryEntry("silo-3", 1, 7));
    }

    /**
     * As above, and one previous owner refuses (its view is older, say) rather than not answering: the registration
     * fails without the mark that stops its asker, which may ask again once the views agree.
     */
    @Test
    void aChildsRegistrationThatAPreviousOwnerRefusesMayBeAskedAgain() throws IOException, InterruptedException {
        String child = childOfTwoLivePreviousOwners();

        this.transport.handler().receive(directoryRequest(97, "Fledgling", child,
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, new DirectoryEntry("silo-3", 1, 7))));
        byte[] refusal = new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime, List.of())
            .encodeFailure(new SiloUnavailableException("silo-3 still owns " + child + " in its view"));
        for (Envelope handoff : handoffsAsked(97)) {
            if ("silo-3".equals(handoff.targetSiloId())) {
                reply(handoff, Envelope.Kind.ERROR, refusal);
            }
            else {
                reply(handoff, Envelope.Kind.HANDOFF_ACK, new byte[0]);
            }
        }

        Envelope answer = answerTo(97);
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.ERROR);
        assertThat(answer.metadata()).doesNotContainKey(DistributedDirectory.NOT_RELEASED);
    }

    /**
     * Starts silo-2 after three views in which a child's partition went from silo-0 to silo-3 and then to silo-2,
     * all three alive, and every other silo reported its round.
     * @return the child's id
     */
    private String childOfTwoLivePreviousOwners() throws IOException {
        this.routing = SiloRouting.builder("silo-2", this.transport).clock(this.clock)
            .handoffTimeout(Duration.ofSeconds(30))
            .build();
        this.runtime = this.routing.configure(ActorRuntime.builder()
            .actor(FledglingActor.class, FledglingActor::new)).build();
        SiloAddress address = listen();
        Instant now = Instant.now();
        Set<String> types = Set.of("Fledgling");
        List<SiloEntry> silos = List.of(
                new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, types, List.of()),
                new SiloEntry("silo-0", SILO_0, now, SiloStatus.ACTIVE, now, 1, types, List.of()),
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, types, List.of()));
        ClusterView first = new ClusterView(MembershipSnapshot.of(1, silos),
                HashRing.of(List.of("silo-0", "silo-2", "silo-3"), 150));
        ClusterView second = new ClusterView(MembershipSnapshot.of(2, silos),
                HashRing.of(List.of("silo-2", "silo-3"), 150));
        ClusterView third = new ClusterView(MembershipSnapshot.of(3, silos), HashRing.of(List.of("silo-2"), 150));
        HashPlacementDirector placement = new HashPlacementDirector();
        String child = idWhere("fledgling-", (candidate) -> "silo-0"
            .equals(placement.ownerOf(new ActorAddress("Fledgling", candidate), first))
                && "silo-3".equals(placement.ownerOf(new ActorAddress("Fledgling", candidate), second)));
        HeldViewSource views = HeldViewSource.of(first);
        this.routing.follow(views);
        views.install(second);
        views.install(third);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 3);
        roundDone("silo-0", 3);
        roundDone("silo-3", 3);
        return child;
    }

    /**
     * Answers the previous owners' {@code LOOKUP_HELD}s (no entry) and returns the first two {@code HANDOFF}s sent,
     * within 10 s; fails when the registration is answered first.
     */
    private List<Envelope> handoffsAsked(long registrationId) throws InterruptedException {
        List<Envelope> handoffs = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (handoffs.size() < 2 && System.nanoTime() < deadline) {
            Envelope sent = this.transport.sent.poll(100, TimeUnit.MILLISECONDS);
            if (sent == null) {
                continue;
            }
            if (sent.kind() == Envelope.Kind.DIRECTORY
                    && DirectoryRequest.decode(sent.payload()).operation() == DirectoryRequest.Operation.LOOKUP_HELD) {
                reply(sent, Envelope.Kind.RESPONSE, DirectoryRequest.encodeAnswer(null));
            }
            else if (sent.kind() == Envelope.Kind.HANDOFF) {
                handoffs.add(sent);
            }
            else if (sent.correlationId() == registrationId) {
                throw new AssertionError("the registration was answered before both previous owners were asked: "
                        + sent.kind());
            }
        }
        return handoffs;
    }

    /**
     * A child's registration is held inside its partition's write (the test's placement stops it there, where it
     * checks that this silo owns the address): the registration of another child, whose address is in another
     * stripe, is answered meanwhile; the partition's writes are not one silo-wide step.
     */
    @Test
    void registrationsOfUnrelatedChildrenDoNotWaitForEachOther() throws InterruptedException {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        AtomicReference<@Nullable String> stopped = new AtomicReference<>();
        HashPlacementDirector hash = new HashPlacementDirector();
        PlacementDirector placement = (address, view) -> {
            if (address.id().equals(stopped.get()) && insideAPartitionWrite()) {
                entered.countDown();
                try {
                    resume.await(20, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return hash.ownerOf(address, view);
        };
        this.routing = SiloRouting.builder("silo-2", this.transport).clock(this.clock).placement(placement).build();
        this.runtime = this.routing.configure(ActorRuntime.builder()
            .actor(FledglingActor.class, FledglingActor::new)).build();
        SiloAddress address = listen();
        Instant now = Instant.now();
        Set<String> types = Set.of("Fledgling");
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, List.of(
                new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, types, List.of()),
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, types, List.of()))), 150);
        this.routing.follow(HeldViewSource.of(view));
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 1);
        // Past the hand-off window: no previous owner is asked, nothing is held.
        this.clock.advance(Duration.ofMinutes(2));
        String first = idWhere("fledgling-", (candidate) -> "silo-2"
            .equals(hash.ownerOf(new ActorAddress("Fledgling", candidate), view)));
        String second = idWhere("fledgling-", (candidate) -> "silo-2"
            .equals(hash.ownerOf(new ActorAddress("Fledgling", candidate), view))
                && HandOverLocks.stripeOf(new ActorAddress("Fledgling", candidate))
                        != HandOverLocks.stripeOf(new ActorAddress("Fledgling", first)));
        stopped.set(first);

        this.transport.handler().receive(directoryRequest(98, "Fledgling", first,
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, new DirectoryEntry("silo-3", 1, 7))));
        assertThat(entered.await(10, TimeUnit.SECONDS)).as("the first registration stopped inside its write").isTrue();
        this.transport.handler().receive(directoryRequest(99, "Fledgling", second,
                new DirectoryRequest(DirectoryRequest.Operation.REGISTER, new DirectoryEntry("silo-3", 1, 8))));

        Envelope answer = answerTo(99);
        resume.countDown();
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.RESPONSE);
        assertThat(DirectoryRequest.decodeAnswer(answer.payload())).isEqualTo(new DirectoryEntry("silo-3", 1, 8));
        assertThat(answerTo(98).kind()).isEqualTo(Envelope.Kind.RESPONSE);
    }

    /**
     * This silo (silo-0) hosting {@code Perch} parents and {@code Fledgling} children, following a view of itself
     * and silo-2 (held: the test installs the next), past the hand-off window (the parent's activation asks no
     * previous owner); a parent owned by silo-0 in both views and a child whose partition is on silo-2 before and on
     * {@code childOwnerAfter} once silo-3 joined.
     */
    private ChildRegistration childRegistration(String childOwnerAfter) {
        this.routing = SiloRouting.builder("silo-0", this.transport).clock(this.clock).build();
        this.runtime = this.routing.configure(ActorRuntime.builder()
            .actor(PerchActor.class, PerchActor::new)
            .actor(FledglingActor.class, FledglingActor::new)).build();
        SiloAddress address = listen();
        Instant now = Instant.now();
        Set<String> types = Set.of("Perch", "Fledgling");
        SiloEntry self = new SiloEntry("silo-0", address, now, SiloStatus.ACTIVE, now, 1, types, List.of());
        SiloEntry owner = new SiloEntry("silo-2", SILO_2, now, SiloStatus.ACTIVE, now, 1, types, List.of());
        SiloEntry joiner = new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, types, List.of());
        ClusterView before = ClusterView.of(MembershipSnapshot.of(1, List.of(self, owner)), 150);
        ClusterView after = ClusterView.of(MembershipSnapshot.of(2, List.of(self, owner, joiner)), 150);
        HeldViewSource views = HeldViewSource.of(before);
        this.routing.follow(views);
        this.clock.advance(Duration.ofMinutes(2));
        HashPlacementDirector placement = new HashPlacementDirector();
        String parent = idWhere("perch-", (candidate) -> "silo-0"
            .equals(placement.ownerOf(new ActorAddress("Perch", candidate), before))
                && "silo-0".equals(placement.ownerOf(new ActorAddress("Perch", candidate), after)));
        String child = idWhere("fledgling-", (candidate) -> "silo-2"
            .equals(placement.ownerOf(new ActorAddress("Fledgling", candidate), before))
                && childOwnerAfter.equals(placement.ownerOf(new ActorAddress("Fledgling", candidate), after)));
        return new ChildRegistration(views, after, parent, child);
    }

    private record ChildRegistration(HeldViewSource views, ClusterView after, String parent, String child) {
    }

    private static boolean insideAPartitionWrite() {
        return StackWalker.getInstance()
            .walk((frames) -> frames.anyMatch((frame) -> "whileOwner".equals(frame.getMethodName())));
    }

    /**
     * Answers a registration this silo sent, as its target, with the entry registered.
     * @param id the answer's message id
     */
    private void answerRegistration(long id, Envelope request, SiloAddress from, DirectoryEntry registered) {
        this.transport.handler().receive(new Envelope(id, request.messageId(), Envelope.Kind.RESPONSE,
                request.targetSiloId(), 1, from, "silo-0", request.sourceEpoch(), request.actorType(),
                request.actorId(), 0, DirectoryRequest.encodeAnswer(registered), 0, null, Map.of(),
                this.clock.millis() + 60_000, 1, 0));
    }

    /** Answers a request this silo sent, as its target. */
    private void reply(Envelope request, Envelope.Kind kind, byte[] payload) {
        SiloAddress from = "silo-0".equals(request.targetSiloId()) ? SILO_0 : SILO_3;
        this.transport.handler().receive(new Envelope(request.messageId() + 100_000, request.messageId(), kind,
                request.targetSiloId(), 1, from, request.sourceSiloId(), request.sourceEpoch(), request.actorType(),
                request.actorId(), 0, payload, 0, null, Map.of(), this.clock.millis() + 60_000, 3, 0));
    }

    /**
     * A parent here spawns a child whose partition is on silo-2; while the registration is on its way, a view in
     * which silo-3 joined and took the partition is installed here, and then silo-2 (which had not seen that view
     * yet) answers. The view's re-registration ran before the child was recorded here: the child must be
     * registered again with silo-3, or silo-3 would not know it once silo-2's hand-off window ended.
     */
    @Test
    void aChildsRegistrationAnsweredByTheOldOwnerAcrossAViewChangeIsRegisteredAgainWithTheNewOwner()
            throws InterruptedException {
        ChildRegistration scene = childRegistration("silo-3");
        HeldViewSource views = scene.views();
        ClusterView after = scene.after();
        String parent = scene.parent();
        String child = scene.child();

        CompletableFuture<Void> spawned = CompletableFuture
            .runAsync(() -> this.runtime.get(Perch.class, parent).spawn(child));
        Envelope register = sentDirectory(DirectoryRequest.Operation.REGISTER, "silo-2");
        views.install(after);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 2);
        DirectoryEntry candidate = DirectoryRequest.decode(register.payload()).entry();
        answerRegistration(61, register, SILO_2, candidate);

        assertThat(spawned).succeedsWithin(Duration.ofSeconds(10));
        Envelope again = sentDirectory(DirectoryRequest.Operation.REGISTER_AGAIN, "silo-3");
        assertThat(again.actorId()).isEqualTo(child);
        assertThat(DirectoryRequest.decode(again.payload()).entry()).isEqualTo(candidate);
    }

    /**
     * As above, and the round of the view installed while the child's registration was on its way: this silo
     * reports its registrations for that view done only once the child is registered again with the new owner.
     * Reported before (the child was not hosted yet when the view's re-registrations were read), the new owner's
     * hold on its first activations would end, and it could claim and activate the child a second time.
     */
    @Test
    void theRoundOfAViewInstalledWhileAChildsRegistrationIsOnItsWayWaitsForItsRegistrationAgain()
            throws InterruptedException, IOException {
        ChildRegistration scene = childRegistration("silo-3");
        HeldViewSource views = scene.views();
        ClusterView after = scene.after();
        String parent = scene.parent();
        String child = scene.child();
        roundReported(1);

        CompletableFuture<Void> spawned = CompletableFuture
            .runAsync(() -> this.runtime.get(Perch.class, parent).spawn(child));
        Envelope register = sentDirectory(DirectoryRequest.Operation.REGISTER, "silo-2");
        views.install(after);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 2);
        DirectoryEntry candidate = DirectoryRequest.decode(register.payload()).entry();
        answerRegistration(61, register, SILO_2, candidate);
        assertThat(spawned).succeedsWithin(Duration.ofSeconds(10));
        Envelope again = sentDirectory(DirectoryRequest.Operation.REGISTER_AGAIN, "silo-3");
        List<Long> reportedBefore = new ArrayList<>();
        for (Envelope notice : this.transport.rounds) {
            reportedBefore.add(roundVersion(notice));
        }
        answerRegistration(62, again, SILO_3, candidate);

        assertThat(reportedBefore).as("rounds reported before the child was registered again with silo-3")
            .allMatch((version) -> version < 2);
        roundReported(2);
    }

    /**
     * A view installed while a child's registration is on its way to silo-2, which keeps the child's partition in
     * that view (silo-3 joined and took others): silo-2 holds nothing for the child, so the round of the view is
     * reported without waiting for silo-2's answer. Waiting for it, one slow registration would delay the round,
     * and past the rounds' bound the new owners' holds would end without this silo's registrations.
     */
    @Test
    void theRoundOfAViewDoesNotWaitForARegistrationOnItsWayToAnOwnerTheViewKeeps()
            throws InterruptedException, IOException {
        ChildRegistration scene = childRegistration("silo-2");
        HeldViewSource views = scene.views();
        ClusterView after = scene.after();
        String parent = scene.parent();
        String child = scene.child();
        roundReported(1);

        CompletableFuture<Void> spawned = CompletableFuture
            .runAsync(() -> this.runtime.get(Perch.class, parent).spawn(child));
        Envelope register = sentDirectory(DirectoryRequest.Operation.REGISTER, "silo-2");
        views.install(after);

        roundReported(2);
        DirectoryEntry candidate = DirectoryRequest.decode(register.payload()).entry();
        answerRegistration(63, register, SILO_2, candidate);
        assertThat(spawned).succeedsWithin(Duration.ofSeconds(10));
    }

    /**
     * Asserts that the rounds of a version stay unreported for 300 ms: a report notice is handled on a thread of its
     * own, so one that would count may land a moment after it was received.
     */
    private void stillNotReported(long version, String why) {
        await(why).during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
            .until(() -> !this.routing.directoryRoundsReported(version));
    }

    /**
     * Starts silo-2 hosting {@code Spot} actors, following views of the table incarnation "table" with silo-3 beside
     * it, from version 1 to a version, and waits for that view.
     * @return the source, to install more views of {@link #tableView}
     */
    private HeldViewSource followTableWithSiloThree(long version) {
        SiloAddress address = startSiloTwoHostingSpots();
        Instant now = Instant.now();
        Set<String> types = Set.of("Spot");
        this.tableSilos = List.of(new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, types, List.of()),
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, types, List.of()));
        HeldViewSource views = HeldViewSource.of(tableView(1));
        this.routing.follow(views);
        views.install(tableView(version));
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == version);
        return views;
    }

    /** A view of the table incarnation "table" at a version, with the silos of {@link #followTableWithSiloThree}. */
    private ClusterView tableView(long version) {
        return ClusterView.of(MembershipSnapshot.of("table", version, this.tableSilos), 150);
    }

    /** Waits for this silo's notice that its registrations for a membership version are done. */
    private void roundReported(long version) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Envelope notice = this.transport.rounds.poll(100, TimeUnit.MILLISECONDS);
            if (notice != null && roundVersion(notice) >= version) {
                return;
            }
        }
        throw new AssertionError("no round reported for membership version " + version + " within 10 s");
    }

    private static long roundVersion(Envelope notice) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(notice.payload()))) {
            in.readUTF();
            in.readLong();
            return in.readLong();
        }
    }

    /**
     * Within the hand-off window after its start, a silo removes entries from its partition: it remembers them, of
     * every type (a previous owner may still hand them over, or answer a first registration with its copy), and
     * forgets them once the window has passed, at its next removal, with no view change.
     */
    @Test
    void removalsAreRememberedOnlyForTheWindow() throws IOException {
        this.routing = SiloRouting.builder("silo-2", this.transport).clock(this.clock)
            .handoffWindow(Duration.ofSeconds(60))
            .build();
        this.runtime = this.routing.configure(ActorRuntime.builder()
            .actor(SpotActor.class, SpotActor::new)
            .actor(FledglingActor.class, FledglingActor::new)).build();
        SiloAddress address = listen();
        Instant now = Instant.now();
        Set<String> types = Set.of("Spot", "Fledgling");
        ClusterView view = ClusterView.of(MembershipSnapshot.of(1, List.of(
                new SiloEntry("silo-2", address, now, SiloStatus.ACTIVE, now, 1, types, List.of()),
                new SiloEntry("silo-3", SILO_3, now, SiloStatus.ACTIVE, now, 1, types, List.of()))), 150);
        this.routing.follow(HeldViewSource.of(view));
        await().atMost(Duration.ofSeconds(10)).until(() -> this.routing.view().version() == 1);
        HashPlacementDirector placement = new HashPlacementDirector();
        String spot = idWhere("spot-", (candidate) -> "silo-2"
            .equals(DistributedDirectory.PARTITIONS.ownerOf(new ActorAddress("Spot", candidate), view)));
        List<String> children = IntStream.range(0, 100_000).mapToObj((i) -> "fledgling-" + i)
            .filter((candidate) -> "silo-2".equals(placement.ownerOf(new ActorAddress("Fledgling", candidate), view)))
            .limit(2)
            .toList();
        DirectoryEntry ended = new DirectoryEntry("silo-3", 1, 7);

        unregister(94, "Spot", spot, ended);
        assertThat(this.routing.directoryRemovalsRemembered()).as("removals of directory-placed actors").isOne();
        unregister(95, "Fledgling", children.get(0), ended);
        assertThat(this.routing.directoryRemovalsRemembered()).as("and of children").isEqualTo(2);
        this.clock.advance(Duration.ofSeconds(61));
        unregister(96, "Fledgling", children.get(1), ended);
        assertThat(this.routing.directoryRemovalsRemembered()).as("removals after the window").isZero();
    }

    private void unregister(long messageId, String type, String id, DirectoryEntry entry) {
        this.transport.handler().receive(directoryRequest(messageId, type, id,
                new DirectoryRequest(DirectoryRequest.Operation.UNREGISTER, entry)));
        assertThat(answerTo(messageId).kind()).isEqualTo(Envelope.Kind.RESPONSE);
    }

    private Envelope directoryRequest(long messageId, String type, String id, DirectoryRequest request) {
        return directoryRequestFrom("silo-3", messageId, type, id, request);
    }

    private Envelope directoryRequestFrom(String siloId, long messageId, String type, String id,
            DirectoryRequest request) {
        return directoryRequestFrom(siloId, 1, messageId, type, id, request);
    }

    private Envelope directoryRequestFrom(String siloId, long epoch, long messageId, String type, String id,
            DirectoryRequest request) {
        return new Envelope(messageId, 0, Envelope.Kind.DIRECTORY, siloId, epoch,
                "silo-0".equals(siloId) ? SILO_0 : SILO_3, "silo-2", 1, type, id, 0, request.encode(), 0, null,
                Map.of(), this.clock.millis() + 60_000, 1, 0);
    }

    /** The answer sent to silo-3 for its request, within 10 s. */
    private Envelope answerTo(long messageId) {
        return answerTo(messageId, "silo-3");
    }

    /** The answer sent to a silo for its request, within 10 s. */
    private Envelope answerTo(long messageId, String siloId) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Envelope sent;
            try {
                sent = this.transport.sent.poll(100, TimeUnit.MILLISECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new AssertionError(ex);
            }
            if (sent != null && siloId.equals(sent.targetSiloId()) && sent.correlationId() == messageId) {
                return sent;
            }
        }
        throw new AssertionError("no answer to request " + messageId + " within 10 s");
    }

    /** Tells silo-2 that a silo has registered again what it hosts for membership version 1. */
    private void roundDone(String siloId) throws IOException {
        roundDone(siloId, 1);
    }

    /** Tells silo-2 that a silo has registered again what it hosts for a membership version. */
    private void roundDone(String siloId, long version) throws IOException {
        roundDone(siloId, 1, version);
    }

    /**
     * Tells silo-2 that an incarnation of a silo has registered again what it hosts for a membership version, as a
     * release that sends neither incarnation nor fingerprint does.
     */
    private void roundDone(String siloId, long epoch, long version) throws IOException {
        roundDone(siloId, epoch, version, null, 0, 0);
    }

    /**
     * Tells silo-2 that a silo has registered again what it hosts for a view, named by incarnation and fingerprint,
     * with the silo's stamp for that view.
     */
    private void roundDone(String siloId, long epoch, long version, @Nullable String incarnation, long fingerprint,
            long stamp) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(siloId);
            out.writeLong(epoch);
            out.writeLong(version);
            if (incarnation != null) {
                out.writeUTF(incarnation);
                out.writeLong(fingerprint);
                out.writeLong(stamp);
            }
        }
        this.transport.handler().receive(new Envelope(93, 0, Envelope.Kind.NOTICE, siloId, epoch,
                "silo-0".equals(siloId) ? SILO_0 : SILO_3, "silo-2", 1, null, null, 0, bytes.toByteArray(), 0, null,
                Map.of(SiloNotices.TOPIC, RegistrationRounds.TOPIC), 0, 1, 0));
    }

    /**
     * Starts silo-2 (hand-off timeout 30 s, window 60 s) hosting {@code Spot} actors, on this test's transport and
     * clock, and listens.
     * @return its address
     */
    private SiloAddress startSiloTwoHostingSpots() {
        this.routing = SiloRouting.builder("silo-2", this.transport).clock(this.clock)
            .handoffTimeout(Duration.ofSeconds(30))
            .handoffWindow(Duration.ofSeconds(60))
            .build();
        this.runtime = this.routing.configure(ActorRuntime.builder().actor(SpotActor.class, SpotActor::new)).build();
        return listen();
    }

    private SiloAddress listen() {
        return this.routing.listen(this.runtime,
                new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime, List.of()));
    }

    private Envelope sentDirectory(DirectoryRequest.Operation operation, String target) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Envelope sent = this.transport.sent.poll(100, TimeUnit.MILLISECONDS);
            if (sent != null && sent.kind() == Envelope.Kind.DIRECTORY && target.equals(sent.targetSiloId())
                    && DirectoryRequest.decode(sent.payload()).operation() == operation) {
                return sent;
            }
        }
        throw new AssertionError("no directory " + operation + " sent to " + target + " within 10 s");
    }

    private static String idWhere(String prefix, Predicate<String> wanted) {
        return IntStream.range(0, 100_000).mapToObj((i) -> prefix + i).filter(wanted).findFirst().orElseThrow();
    }

    /** A directory-placed actor that says where it runs. */
    public interface Spot extends Actor {

        String where();
    }

    @QuarkActor
    @LocalPreferredPlacement
    public static class SpotActor extends AbstractActor implements Spot {

        @Override
        public String where() {
            return "silo-2";
        }
    }

    /** A parent placed by hash. */
    public interface Perch extends Actor {

        void spawn(String childId);
    }

    @QuarkActor
    public static class PerchActor extends AbstractActor implements Perch {

        @Override
        public void spawn(String childId) {
            spawnChild(Fledgling.class, childId);
        }
    }

    /** A child placed with its parent. */
    public interface Fledgling extends Actor {

        @Nullable String name();
    }

    @QuarkActor
    @PlacedWithParent
    public static class FledglingActor extends AbstractActor implements Fledgling {

        @Override
        public @Nullable String name() {
            return actorId();
        }
    }
}
