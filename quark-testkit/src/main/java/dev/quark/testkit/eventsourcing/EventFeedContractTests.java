package dev.quark.testkit.eventsourcing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import dev.quark.eventsourcing.EventDeadLetter;
import dev.quark.eventsourcing.EventFeed;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventSubscription;
import dev.quark.eventsourcing.EventSubscriptionException;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.awaitility.Awaitility.await;

/**
 * The behaviour of every {@link EventStore} that has a global {@link EventFeed} (in-memory, PostgreSQL): every
 * stream's events in one order, read after a position without repeats or skips, and checkpointed
 * {@link EventSubscription}s that resume where they stopped, their checkpoints fenced by lease tokens. The feed is
 * shared by all tests of a store, so each test looks only at its own streams. Stores whose feed lags (PostgreSQL holds events back while an older
 * transaction runs anywhere in the database) are awaited, up to {@link #feedLag()}. A feed under test implements the
 * fenced checkpoint calls ({@code claimCheckpoint}, {@code saveCheckpoint} with a lease) and
 * {@link EventFeed#checkpointStamp}, which a follower needs to raise a lease store's lost tokens: the tests of a feed
 * that leaves them to the interface's defaults fail with their {@code UnsupportedOperationException}.
 */
public abstract class EventFeedContractTests {

    private final String run = Long.toHexString(System.nanoTime());

    private int streams;

    /**
     * Returns the store under test.
     * @return the store; its {@link EventStore#feed()} must not be empty
     */
    protected abstract EventStore store();

    /**
     * Returns how long the feed may take to show a committed event.
     * @return the longest wait
     */
    protected Duration feedLag() {
        return Duration.ofSeconds(30);
    }

    private EventFeed feed() {
        return store().feed().orElseThrow();
    }

    private String newStream() {
        return "Feed/" + this.run + "-" + (++this.streams);
    }

    private static NewEvent event(String payload) {
        return new NewEvent(UUID.randomUUID(), "Noted", 1, payload);
    }

    /** Reads the whole feed after a position, keeping the events of the given streams. */
    private List<StoredEvent> readAll(FeedPosition after, Set<String> streams) {
        List<StoredEvent> mine = new ArrayList<>();
        FeedPosition position = after;
        for (int page = 0; page < 10_000; page++) {
            List<StoredEvent> events = feed().readAfter(position, 500);
            if (events.isEmpty()) {
                return mine;
            }
            for (StoredEvent event : events) {
                assertThat(event.position()).isGreaterThan(position);
                position = event.position();
                if (streams.contains(event.stream())) {
                    mine.add(event);
                }
            }
        }
        throw new AssertionError("the feed did not end within 10,000 pages");
    }

    @Test
    public void theFeedHoldsEveryStreamsEventsInAppendOrder() {
        String first = newStream();
        String second = newStream();
        store().append(first, List.of(event("\"a1\""), event("\"a2\"")), 0);
        store().append(second, List.of(event("\"b1\"")), 0);
        store().append(first, List.of(event("\"a3\"")), 2);
        await().atMost(feedLag())
            .untilAsserted(() -> assertThat(readAll(FeedPosition.START, Set.of(first, second)))
                .extracting(StoredEvent::payload)
                .containsExactly("\"a1\"", "\"a2\"", "\"b1\"", "\"a3\""));
    }

    @Test
    public void aDeletedStreamsEventsLeaveTheFeedAndTheOthersKeepTheirPositions() {
        String deleted = newStream();
        String kept = newStream();
        store().append(deleted, List.of(event("\"d1\""), event("\"d2\"")), 0);
        store().append(kept, List.of(event("\"k1\"")), 0);
        await().atMost(feedLag()).until(() -> readAll(FeedPosition.START, Set.of(deleted, kept)).size() == 3);
        FeedPosition before = readAll(FeedPosition.START, Set.of(kept)).getFirst().position();

        store().deleteStream(deleted, 2);

        assertThat(readAll(FeedPosition.START, Set.of(deleted, kept))).extracting(StoredEvent::payload)
            .containsExactly("\"k1\"");
        assertThat(readAll(FeedPosition.START, Set.of(kept)).getFirst().position()).isEqualTo(before);
    }

    @Test
    public void readingAfterAPositionReturnsOnlyLaterEvents() {
        String stream = newStream();
        store().append(stream, List.of(event("1"), event("2"), event("3")), 0);
        await().atMost(feedLag()).until(() -> readAll(FeedPosition.START, Set.of(stream)).size() == 3);
        List<StoredEvent> events = readAll(FeedPosition.START, Set.of(stream));
        assertThat(readAll(events.get(0).position(), Set.of(stream))).extracting(StoredEvent::payload)
            .containsExactly("2", "3");
        assertThat(readAll(events.get(2).position(), Set.of(stream))).isEmpty();
        assertThat(events).extracting(StoredEvent::position).isSorted().doesNotHaveDuplicates();
    }

    @Test
    public void checkpointsAreKeptPerSubscription() {
        String name = "checkpoints-" + this.run;
        assertThat(feed().checkpoint(name)).isEmpty();
        feed().saveCheckpoint(name, new FeedPosition(7, 3));
        feed().saveCheckpoint(name, new FeedPosition(8, 11));
        feed().saveCheckpoint(name + "-other", new FeedPosition(1, 1));
        assertThat(feed().checkpoint(name)).contains(new FeedPosition(8, 11));
    }

    private static Lease lease(String subscription, long token) {
        return new Lease("eventstore:subscription:" + subscription, "node-" + token, new FencingToken(token),
                Instant.MAX);
    }

    @Test
    public void aClaimStampsTheCheckpointSoThatOlderLeasesCanNeitherWriteNorClaimIt() {
        String name = "fenced-" + this.run;
        assertThat(feed().claimCheckpoint(name, lease(name, 1))).isEmpty();
        assertThat(feed().checkpoint(name)).as("a claim alone saves no checkpoint").isEmpty();
        feed().saveCheckpoint(name, new FeedPosition(5, 5), lease(name, 1));

        assertThat(feed().claimCheckpoint(name, lease(name, 2))).contains(new FeedPosition(5, 5));
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> feed().saveCheckpoint(name, new FeedPosition(6, 6), lease(name, 1)))
            .withMessageContaining("'eventstore:subscription:" + name + "'")
            .withMessageContaining("fencing token 1 is no longer held");
        assertThat(feed().checkpoint(name)).as("the older lease's write moved nothing").contains(new FeedPosition(5, 5));
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> feed().claimCheckpoint(name, lease(name, 1)))
            .withMessageContaining("fencing token 1");

        feed().saveCheckpoint(name, new FeedPosition(9, 9), lease(name, 2));
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> feed().saveCheckpoint(name, new FeedPosition(7, 7), lease(name, 1)));
        assertThat(feed().checkpoint(name)).as("the newer lease's checkpoint stands").contains(new FeedPosition(9, 9));
        assertThat(feed().claimCheckpoint(name, lease(name, 2))).as("claiming again with the same token")
            .contains(new FeedPosition(9, 9));
    }

    /**
     * The stamp a follower whose claim was refused reads, to tell a lease store whose tokens went back from a
     * take-over: the newest token that claimed or wrote the checkpoint, neither lowered by a refused lease nor changed
     * by an unfenced write.
     */
    @Test
    public void theCheckpointsStampIsTheNewestTokenThatClaimedOrWroteIt() {
        String name = "stamp-" + this.run;
        assertThat(feed().checkpointStamp(name)).as("no checkpoint").isEmpty();
        feed().saveCheckpoint(name, new FeedPosition(2, 2));
        assertThat(feed().checkpointStamp(name)).as("an unfenced checkpoint").isEmpty();
        feed().claimCheckpoint(name, lease(name, 3));
        assertThat(feed().checkpointStamp(name)).contains(new FencingToken(3));
        feed().saveCheckpoint(name, new FeedPosition(4, 4), lease(name, 7));
        assertThat(feed().checkpointStamp(name)).contains(new FencingToken(7));
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> feed().claimCheckpoint(name, lease(name, 5)));
        feed().saveCheckpoint(name, new FeedPosition(5, 5));
        assertThat(feed().checkpointStamp(name)).contains(new FencingToken(7));
        assertThat(feed().checkpointStamp(name + "-other")).isEmpty();
    }

    /**
     * When the lease store's tokens were last raised above a checkpoint's stamp, kept beside it for every node (a
     * node restarted since, a node on another lease store): the latest raise recorded, an earlier one leaving it as
     * it is, whether or not the checkpoint exists, and the checkpoint itself untouched.
     */
    @Test
    public void theLatestRaiseOfTheLeaseTokensIsKeptBesideTheCheckpoint() {
        String name = "raised-" + this.run;
        Instant first = Instant.parse("2026-12-07T10:15:30.123456Z");
        assertThat(feed().tokensRaisedAt(name)).as("never raised").isEmpty();
        feed().recordTokensRaised(name, first);
        assertThat(feed().tokensRaisedAt(name)).as("without a checkpoint").contains(first);
        assertThat(feed().checkpoint(name)).as("no checkpoint made").isEmpty();
        feed().claimCheckpoint(name, lease(name, 3));
        feed().saveCheckpoint(name, new FeedPosition(2, 2), lease(name, 3));
        feed().recordTokensRaised(name, first.minusSeconds(60));
        assertThat(feed().tokensRaisedAt(name)).as("an earlier raise").contains(first);
        feed().recordTokensRaised(name, first.plusSeconds(60));
        assertThat(feed().tokensRaisedAt(name)).contains(first.plusSeconds(60));
        assertThat(feed().checkpoint(name)).contains(new FeedPosition(2, 2));
        assertThat(feed().checkpointStamp(name)).contains(new FencingToken(3));
        assertThat(feed().tokensRaisedAt(name + "-other")).isEmpty();
    }

    @Test
    public void aNewerLeaseWritesWithoutAClaimAndFencesOffTheOlderOnes() {
        String name = "unclaimed-" + this.run;
        feed().saveCheckpoint(name, new FeedPosition(3, 3), lease(name, 4));
        assertThat(feed().checkpoint(name)).contains(new FeedPosition(3, 3));
        feed().saveCheckpoint(name, new FeedPosition(4, 4), lease(name, 6));
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> feed().saveCheckpoint(name, new FeedPosition(8, 8), lease(name, 5)));
        assertThat(feed().checkpoint(name)).contains(new FeedPosition(4, 4));
    }

    @Test
    public void anUnfencedWriteMovesTheCheckpointButLeavesItsStamp() {
        String name = "by-hand-" + this.run;
        feed().saveCheckpoint(name, new FeedPosition(2, 2));
        assertThat(feed().claimCheckpoint(name, lease(name, 7))).as("a checkpoint written unfenced takes any token")
            .contains(new FeedPosition(2, 2));
        feed().saveCheckpoint(name, new FeedPosition(1, 1));
        assertThat(feed().checkpoint(name)).contains(new FeedPosition(1, 1));
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> feed().saveCheckpoint(name, new FeedPosition(3, 3), lease(name, 6)));
        assertThat(feed().claimCheckpoint(name, lease(name, 7))).contains(new FeedPosition(1, 1));
    }

    /**
     * A dead letter and the checkpoint past its event are written together, fenced like a checkpoint: a refused lease
     * records neither; the event is kept whole; recording the same position again keeps the first.
     */
    @Test
    public void aDeadLetterMovesTheCheckpointPastItsEventAndKeepsTheEventUntilDeleted() {
        String name = "dead-" + this.run;
        String stream = newStream();
        store().append(stream, List.of(event("{\"n\":1}"), event("{\"n\":2}")), 0);
        List<StoredEvent> events = await().atMost(feedLag())
            .until(() -> readAll(FeedPosition.START, Set.of(stream)), (read) -> read.size() == 2);
        feed().claimCheckpoint(name, lease(name, 2));
        Instant at = Instant.parse("2026-12-07T10:15:30.123Z");
        EventDeadLetter first = new EventDeadLetter(name, events.get(0), 5, "java.lang.IllegalStateException: boom",
                at);

        feed().deadLetter(first, lease(name, 2));
        assertThat(feed().checkpoint(name)).as("moved past the event").contains(events.get(0).position());
        assertThat(feed().deadLetters(name, 10)).containsExactly(first);
        assertThat(feed().findDeadLetter(name, events.get(0).position())).contains(first);
        assertThat(feed().deadLetters("other-" + name, 10)).as("kept per subscription").isEmpty();

        feed().deadLetter(new EventDeadLetter(name, events.get(0), 7, "again", at.plusSeconds(1)), lease(name, 2));
        assertThat(feed().deadLetters(name, 10)).as("the first is kept").containsExactly(first);

        EventDeadLetter second = new EventDeadLetter(name, events.get(1), 1, "x".repeat(5000), at);
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> feed().deadLetter(second, lease(name, 1)))
            .withMessageContaining("fencing token 1");
        assertThat(feed().deadLetters(name, 10)).as("an older lease records nothing").containsExactly(first);
        assertThat(feed().checkpoint(name)).as("nor moves the checkpoint").contains(events.get(0).position());

        feed().deadLetter(second, lease(name, 3));
        assertThat(feed().checkpointStamp(name)).contains(new FencingToken(3));
        assertThat(feed().checkpoint(name)).contains(events.get(1).position());
        assertThat(feed().deadLetters(name, 10)).containsExactly(first, second);
        assertThat(second.error()).hasSize(EventDeadLetter.MAX_ERROR_LENGTH);
        assertThat(feed().deadLetters(name, 1)).containsExactly(first);

        assertThat(feed().deleteDeadLetter(name, events.get(0).position())).isTrue();
        assertThat(feed().deleteDeadLetter(name, events.get(0).position())).as("deleted already").isFalse();
        assertThat(feed().findDeadLetter(name, events.get(0).position())).isEmpty();
        assertThat(feed().deadLetters(name, 10)).containsExactly(second);
    }

    /** A dead letter of a subscription without a checkpoint yet (unfenced by any claim) makes the checkpoint. */
    @Test
    public void aDeadLetterOfASubscriptionWithoutACheckpointMakesIt() {
        String name = "dead-first-" + this.run;
        String stream = newStream();
        store().append(stream, List.of(event("{}")), 0);
        StoredEvent stored = await().atMost(feedLag())
            .until(() -> readAll(FeedPosition.START, Set.of(stream)), (read) -> read.size() == 1)
            .getFirst();
        assertThat(feed().keepsDeadLetters()).isTrue();
        feed().deadLetter(new EventDeadLetter(name, stored, 1, "boom", Instant.parse("2026-12-07T10:15:30Z")),
                lease(name, 4));
        assertThat(feed().checkpoint(name)).contains(stored.position());
        assertThat(feed().checkpointStamp(name)).contains(new FencingToken(4));
        assertThat(feed().deadLetters(name, 10)).extracting(EventDeadLetter::event).containsExactly(stored);
    }

    @Test
    public void deadLetterCallsRefuseBadArgumentsNamingThem() {
        Lease lease = lease("s", 1);
        StoredEvent stored = new StoredEvent("Feed/x", 1, UUID.randomUUID(), "Noted", 1, "{}", Instant.EPOCH,
                new FeedPosition(1, 1));
        EventDeadLetter letter = new EventDeadLetter("s", stored, 1, "boom", Instant.EPOCH);
        assertThatNullPointerException().isThrownBy(() -> feed().deadLetter(null, lease))
            .withMessage("letter must not be null");
        assertThatNullPointerException().isThrownBy(() -> feed().deadLetter(letter, null))
            .withMessage("lease must not be null");
        assertThatNullPointerException().isThrownBy(() -> feed().deadLetters(null, 10))
            .withMessage("subscription must not be null");
        assertThatIllegalArgumentException().isThrownBy(() -> feed().deadLetters("s", 0))
            .withMessage("The limit of a read must be at least 1, was 0");
        assertThatNullPointerException().isThrownBy(() -> feed().findDeadLetter("s", null))
            .withMessage("position must not be null");
        assertThatNullPointerException().isThrownBy(() -> feed().deleteDeadLetter(null, FeedPosition.START))
            .withMessage("subscription must not be null");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new EventDeadLetter("s", stored, 0, "boom", Instant.EPOCH))
            .withMessage("A dead letter of subscription 's' needs at least 1 attempt, was 0");
        assertThat(new EventDeadLetter("s", stored, 1, "a\u0000bc" + "\uD83D\uDE00".repeat(2000), Instant.EPOCH)
            .error()).as("NUL taken out, cut on a code point boundary").hasSize(EventDeadLetter.MAX_ERROR_LENGTH - 1)
            .startsWith("abc").doesNotContain("\u0000");
    }

    @Test
    public void fencedCheckpointCallsRefuseMissingArgumentsNamingThem() {
        Lease lease = lease("s", 1);
        assertThatNullPointerException().isThrownBy(() -> feed().claimCheckpoint(null, lease))
            .withMessage("subscription must not be null");
        assertThatNullPointerException().isThrownBy(() -> feed().claimCheckpoint("s", null))
            .withMessage("lease must not be null");
        assertThatNullPointerException()
            .isThrownBy(() -> feed().saveCheckpoint("s", null, lease))
            .withMessage("position must not be null");
        assertThatNullPointerException()
            .isThrownBy(() -> feed().saveCheckpoint("s", FeedPosition.START, null))
            .withMessage("lease must not be null");
    }

    @Test
    public void aSubscriptionResumesAfterTheLastEventItHandled() {
        String stream = newStream();
        String name = "resume-" + this.run;
        List<String> seen = new ArrayList<>();
        store().append(stream, List.of(event("1"), event("2"), event("3")), 0);
        EventSubscription subscription = new EventSubscription(name, feed(), (event) -> {
            if (event.stream().equals(stream)) {
                seen.add(event.payload());
            }
        }, 2);
        await().atMost(feedLag()).until(() -> {
            while (subscription.poll() > 0) {
                // catch up
            }
            return seen.size() == 3;
        });
        store().append(stream, List.of(event("4")), 3);
        // a new instance under the same name, as after a restart: it continues after "3"
        EventSubscription restarted = new EventSubscription(name, feed(), (event) -> {
            if (event.stream().equals(stream)) {
                seen.add(event.payload());
            }
        });
        await().atMost(feedLag()).until(() -> {
            restarted.poll();
            return seen.size() == 4;
        });
        assertThat(seen).containsExactly("1", "2", "3", "4");
        assertThat(restarted.position()).isEqualTo(readAll(FeedPosition.START, Set.of(stream)).get(3).position());
    }

    @Test
    public void aFailingHandlerStopsTheSubscriptionAtTheEventWhichComesAgain() {
        String stream = newStream();
        String name = "failing-" + this.run;
        store().append(stream, List.of(event("1"), event("poison"), event("3")), 0);
        List<String> seen = new ArrayList<>();
        boolean[] healed = { false };
        EventSubscription subscription = new EventSubscription(name, feed(), (event) -> {
            if (!event.stream().equals(stream)) {
                return;
            }
            if (event.payload().equals("poison") && !healed[0]) {
                throw new IllegalStateException("cannot project poison");
            }
            seen.add(event.payload());
        });
        await().atMost(feedLag()).untilAsserted(() -> assertThatExceptionOfType(EventSubscriptionException.class)
            .isThrownBy(() -> {
                while (subscription.poll() > 0) {
                    // until the failure
                }
            })
            .withMessageContaining("'" + name + "'")
            .withMessageContaining("version 2 of stream '" + stream + "'")
            .withMessageContaining("cannot project poison"));
        assertThat(seen).containsExactly("1");
        healed[0] = true;
        while (subscription.poll() > 0) {
            // catch up
        }
        assertThat(seen).containsExactly("1", "poison", "3");
    }

    @Test
    public void badSubscriptionSettingsAreRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> new EventSubscription(" ", feed(), (event) -> { }))
            .withMessageContaining("Subscription name");
        assertThatIllegalArgumentException().isThrownBy(() -> new EventSubscription("s", feed(), (event) -> { }, 0))
            .withMessageContaining("batch size of at least 1");
        assertThatIllegalArgumentException().isThrownBy(() -> feed().readAfter(FeedPosition.START, 0))
            .withMessageContaining("at least 1");
    }
}
