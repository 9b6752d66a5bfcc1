package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.PlacementDirector;
import dev.quark.cluster.ring.RingHash;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The version since which a silo owns an actor without a break, as the new owner of a directory partition
 * reads it before holding a first registration there.
 */
class ViewTrackerTests {

    private static final PlacementDirector PARTITIONS = (address, view) -> view.ring().ownerOf(RingHash.of(address));

    private final SiloEntry zero = entry("silo-0", 9000);

    private final SiloEntry one = entry("silo-1", 9001);

    private final SiloEntry two = entry("silo-2", 9002);

    private final ViewTracker tracker = new ViewTracker("silo-1", Clock.fixed(Instant.EPOCH, ZoneOffset.UTC),
            Duration.ofMinutes(1));

    @Test
    void anActorGainedWhenItsOwnerDiedWasGainedInTheViewWithoutThatOwner() {
        ClusterView three = view(4, this.zero, this.one, this.two);
        ClusterView two = view(7, this.zero, this.one);
        ActorAddress moved = addressWhere((address) -> "silo-2".equals(PARTITIONS.ownerOf(address, three))
                && "silo-1".equals(PARTITIONS.ownerOf(address, two)));
        ActorAddress kept = addressWhere((address) -> "silo-1".equals(PARTITIONS.ownerOf(address, three)));
        ActorAddress elsewhere = addressWhere((address) -> "silo-0".equals(PARTITIONS.ownerOf(address, two)));
        this.tracker.install(three);
        this.tracker.install(two);
        this.tracker.install(view(9, this.zero, this.one));
        assertThat(this.tracker.gainedAt(moved, PARTITIONS)).isEqualTo(7);
        assertThat(this.tracker.regainedWithinWindow(moved, PARTITIONS)).as("gained, never owned before").isFalse();
        assertThat(this.tracker.gainedAt(elsewhere, PARTITIONS)).isZero();
        // Owned since this silo's first view, which replaced one without it: gained then.
        assertThat(this.tracker.gainedAt(kept, PARTITIONS)).isEqualTo(4);
    }

    /**
     * Ownership that went away and came back within the window: a silo that read neither view between saw no move, so
     * the new owner must not take its round's report for the actor's re-registration.
     */
    @Test
    void anActorThatWentAwayAndCameBackWithinTheWindowWasRegained() {
        ClusterView before = view(3, this.zero, this.one);
        ClusterView joined = view(5, this.zero, this.one, this.two);
        ClusterView left = view(6, this.zero, this.one);
        ActorAddress awayAndBack = addressWhere((address) -> "silo-1".equals(PARTITIONS.ownerOf(address, before))
                && "silo-2".equals(PARTITIONS.ownerOf(address, joined)));
        ActorAddress kept = addressWhere((address) -> "silo-1".equals(PARTITIONS.ownerOf(address, joined)));
        this.tracker.install(before);
        this.tracker.install(joined);
        assertThat(this.tracker.regainedWithinWindow(awayAndBack, PARTITIONS)).as("owned by silo-2 now").isFalse();
        this.tracker.install(left);
        assertThat(this.tracker.regainedWithinWindow(awayAndBack, PARTITIONS)).isTrue();
        assertThat(this.tracker.gainedAt(awayAndBack, PARTITIONS)).isEqualTo(6);
        assertThat(this.tracker.regainedWithinWindow(kept, PARTITIONS)).as("never lost").isFalse();
    }

    @Test
    void anActorOwnedInEveryViewKeptWasNotGainedWithinTheWindow() {
        Clock[] clock = { Clock.fixed(Instant.EPOCH, ZoneOffset.UTC) };
        ViewTracker tracker = new ViewTracker("silo-1", new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return clock[0].instant();
            }
        }, Duration.ofMinutes(1));
        ClusterView first = view(3, this.zero, this.one);
        ActorAddress owned = addressWhere((address) -> "silo-1".equals(PARTITIONS.ownerOf(address, first)));
        tracker.install(first);
        assertThat(tracker.gainedAt(owned, PARTITIONS)).isEqualTo(3);
        clock[0] = Clock.fixed(Instant.EPOCH.plus(Duration.ofMinutes(2)), ZoneOffset.UTC);
        assertThat(tracker.gainedAt(owned, PARTITIONS)).isZero();
    }

    @Test
    void anOwnerIsLostWhenItDiesNotWhenASiloJoins() {
        ViewTracker joiner = new ViewTracker("silo-2", Clock.fixed(Instant.EPOCH, ZoneOffset.UTC),
                Duration.ofMinutes(1));
        ClusterView before = view(3, this.zero, this.one);
        ClusterView joined = view(5, this.zero, this.one, this.two);
        ActorAddress gained = addressWhere((address) -> "silo-1".equals(PARTITIONS.ownerOf(address, before))
                && "silo-2".equals(PARTITIONS.ownerOf(address, joined)));
        joiner.install(before);
        joiner.install(joined);
        assertThat(joiner.gainedAt(gained, PARTITIONS)).isEqualTo(5);
        assertThat(joiner.ownerLost(gained, PARTITIONS)).isFalse();
        joiner.install(view(6, this.zero, this.two));
        assertThat(joiner.ownerLost(gained, PARTITIONS)).isTrue();
    }

    /**
     * A silo declared dead that joined again with a new epoch, in the same process, keeps its views: those of its
     * earlier incarnation count as another owner's, lost with its entries, not as its own, for types placed with
     * their parent; for the others they count as its own, as before.
     */
    @Test
    void aSiloThatJoinedAgainCountsItsEarlierIncarnationAsALostOwner() {
        ClusterView before = view(3, this.zero, this.one);
        ActorAddress owned = addressWhere((address) -> "silo-1".equals(PARTITIONS.ownerOf(address, before)));
        this.tracker.install(before);
        Instant now = Instant.now();
        SiloEntry again = new SiloEntry("silo-1", new SiloAddress("127.0.0.1", 9001), now, SiloStatus.ACTIVE, now, 2,
                Set.of(), List.of());
        this.tracker.install(view(5, this.zero, again));
        assertThat(this.tracker.gainedAt(owned, PARTITIONS, true)).isEqualTo(5);
        assertThat(this.tracker.ownerLost(owned, PARTITIONS, true)).isTrue();
        // Types not placed with their parent count the views by silo id, as before.
        assertThat(this.tracker.gainedAt(owned, PARTITIONS)).isEqualTo(3);
        assertThat(this.tracker.ownerLost(owned, PARTITIONS)).isFalse();
    }

    /**
     * The table lost its data and grew again: its versions start low, and the silo must route by it, not keep the
     * lost table's view until the new versions pass the old ones.
     */
    @Test
    void aViewOfAnotherIncarnationOfTheTableReplacesTheCurrentOneWhateverItsVersion() {
        this.tracker.install(view("lost", 40, this.zero, this.one));
        CompletableFuture<ClusterView> waiting = this.tracker.awaitNewerThan(this.tracker.current());
        ClusterView regrown = view("regrown", 3, this.one, this.two);

        this.tracker.install(regrown);

        assertThat(this.tracker.current()).isSameAs(regrown);
        assertThat(waiting).as("a version of the lost table").isCompletedWithValue(regrown);
        assertThat(this.tracker.awaitView(new SeenView("regrown", 40))).as("a version the new table has not reached")
            .isNotDone();
    }

    /**
     * The table lost its latest writes (a replica that missed them took over): its source reads it at a lower
     * version, or at the same version with other entries once it was written again, and the silo routes by it as
     * it is now, not by the lost writes until the table's version passes them.
     */
    @Test
    void aViewOfTheSameTableAtALowerVersionOrWithOtherEntriesAtTheSameVersionReplacesTheCurrentOne() {
        this.tracker.install(view("table", 40, this.zero, this.one));
        long installs = this.tracker.installs();
        ClusterView lostWrites = view("table", 38, this.one, this.two);

        this.tracker.install(lostWrites);

        assertThat(this.tracker.current()).isSameAs(lostWrites);
        assertThat(this.tracker.installs()).isEqualTo(installs + 1);
        assertThat(this.tracker.isBehind(new SeenView("table", 40))).as("a silo that saw the lost writes").isFalse();

        ClusterView writtenAgain = view("table", 38, this.two);
        this.tracker.install(writtenAgain);
        assertThat(this.tracker.current()).as("other entries at the same version").isSameAs(writtenAgain);

        this.tracker.install(view("table", 38, this.two));
        assertThat(this.tracker.current()).as("the same table read again").isSameAs(writtenAgain);
        assertThat(this.tracker.installs()).isEqualTo(installs + 2);
    }

    /**
     * After the view went back, the versions up to the one it had are the lost writes' as much as the table's written
     * again: a silo that sends one is not ahead (no wait, no read), a wait for a view newer than this silo's ends (not
     * one for a version beyond the lost writes), and once the table's version passes them they compare as before.
     */
    @Test
    void theVersionsAViewWentBackFromAreNotAheadUntilTheTablePassesThem() {
        ClusterView lost = view("table", 40, this.zero, this.one);
        this.tracker.install(lost);
        CompletableFuture<ClusterView> newer = this.tracker.awaitNewerThan(lost);
        CompletableFuture<ClusterView> ahead = this.tracker.awaitView(new SeenView("table", 41));

        ClusterView back = view("table", 38, this.one);
        this.tracker.install(back);

        assertThat(newer).as("waits for a view newer than the lost one").isCompletedWithValue(back);
        assertThat(ahead).as("waits for a version beyond the lost writes").isNotDone();
        assertThat(this.tracker.isBehind(new SeenView("table", 40))).isFalse();
        assertThat(this.tracker.isLostVersion(new SeenView("table", 39))).isTrue();
        assertThat(this.tracker.awaitView(new SeenView("table", 40))).isDone();
        assertThat(this.tracker.isBehind(new SeenView("table", 41))).as("beyond the lost writes").isTrue();
        assertThat(this.tracker.isLostVersion(new SeenView("table", 38))).isFalse();
        assertThat(this.tracker.isLostVersion(new SeenView("other", 39))).isFalse();
        CompletableFuture<ClusterView> next = this.tracker.awaitNewerThan(back);
        assertThat(next).as("a wait for a view newer than the current one").isNotDone();

        ClusterView writtenAgain = view("table", 39, this.one, this.two);
        this.tracker.install(writtenAgain);
        assertThat(next).isCompletedWithValue(writtenAgain);
        assertThat(this.tracker.awaitNewerThan(back)).as("replaced already").isCompletedWithValue(writtenAgain);

        this.tracker.install(view("table", 40, this.one, this.two));
        assertThat(this.tracker.isLostVersion(new SeenView("table", 40))).isFalse();
        assertThat(this.tracker.isBehind(new SeenView("table", 41))).isTrue();
    }

    /**
     * The views of writes the table lost are another table's: ownership in them does not run on into the current
     * view, and a version's view is the one of the current table only.
     */
    @Test
    void ownershipInAViewOfLostWritesDoesNotCountAsOwnershipSinceThen() {
        ClusterView owned = view("table", 5, this.one);
        ClusterView lost = view("table", 7, this.one);
        ClusterView back = view("table", 6, this.one);
        ActorAddress address = new ActorAddress("Thing", "thing-0");
        this.tracker.install(owned);
        this.tracker.install(lost);
        assertThat(this.tracker.gainedAt(address, PARTITIONS)).as("owned since the first view").isEqualTo(5);

        this.tracker.install(back);

        assertThat(this.tracker.gainedAt(address, PARTITIONS)).isEqualTo(6);
        assertThat(this.tracker.viewAt(6)).isSameAs(back);
        assertThat(this.tracker.viewAt(7)).as("a view of the lost writes").isNull();
        assertThat(this.tracker.viewAt(5)).as("before the lost writes: the view went back past it").isNull();
    }

    /** What a reference keeps its actor's owner under must change when the table does, though the version does not. */
    @Test
    void aViewOfAnotherIncarnationAtTheSameVersionCountsAsANewView() {
        ClusterView lost = view("lost", 6, this.zero, this.one);
        this.tracker.install(lost);
        long installs = this.tracker.installs();
        ClusterView regrown = view("regrown", 6, this.one);

        this.tracker.install(regrown);

        assertThat(this.tracker.current()).isSameAs(regrown);
        assertThat(this.tracker.installs()).isEqualTo(installs + 1);
        assertThat(ViewTracker.isNewer(regrown, lost)).isTrue();
        assertThat(ViewTracker.isNewer(regrown, regrown)).isFalse();
    }

    /**
     * A table written by a release without incarnations after the loss: the lost table's views are still known to
     * be older, whatever their version.
     */
    @Test
    void aViewOfALostIncarnationIsOlderAlsoWhenTheCurrentTableHasNoIncarnation() {
        this.tracker.install(view("lost", 40, this.zero, this.one));
        this.tracker.install(view(5, this.one));

        assertThat(this.tracker.isBehind(new SeenView("lost", 41))).isFalse();
        assertThat(this.tracker.awaitView(new SeenView("lost", 41))).isDone();
        // Against a table without an incarnation, others compare by version.
        assertThat(this.tracker.isBehind(new SeenView("", 6))).isTrue();
        assertThat(this.tracker.isBehind(new SeenView("other", 5))).isFalse();
    }

    @Test
    void theViewASourceHadWhenFollowedIsNotInstalledOverOneItsNotificationsInstalled() {
        ClusterView notified = view("regrown", 2, this.one);
        this.tracker.install(notified);

        this.tracker.installFirst(view("lost", 40, this.zero, this.one));

        assertThat(this.tracker.current()).isSameAs(notified);
    }

    private static ActorAddress addressWhere(java.util.function.Predicate<ActorAddress> test) {
        return IntStream.range(0, 10_000)
            .mapToObj((i) -> new ActorAddress("Thing", "thing-" + i))
            .filter(test)
            .findFirst()
            .orElseThrow();
    }

    private static SiloEntry entry(String siloId, int port) {
        Instant now = Instant.now();
        return new SiloEntry(siloId, new SiloAddress("127.0.0.1", port), now, SiloStatus.ACTIVE, now, 1, Set.of(),
                List.of());
    }

    private static ClusterView view(long version, SiloEntry... entries) {
        return ClusterView.of(MembershipSnapshot.of(version, List.of(entries)), 150);
    }

    private static ClusterView view(String incarnation, long version, SiloEntry... entries) {
        return ClusterView.of(MembershipSnapshot.of(incarnation, version, List.of(entries)), 150);
    }
}
