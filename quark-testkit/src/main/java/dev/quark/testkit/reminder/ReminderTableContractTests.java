package dev.quark.testkit.reminder;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.Reminder;
import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;
import dev.quark.lease.FencingToken;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderChange;
import dev.quark.reminder.ReminderChangesTrimmedException;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.ActorTestKit;
import dev.quark.testkit.ManualClock;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The behaviour every {@link ReminderTable} must have, so that the in-memory, Redis and PostgreSQL tables (and
 * yours) are interchangeable: entries stored exactly, one actor's reminders listed apart from its neighbours',
 * due reminders read by bucket in fire-time order up to a limit, next ticks written only for the registration
 * they belong to; and, through actors in virtual time, reminders that survive deactivation and a restart of the
 * runtime, a one-shot reminder missed while no runtime ran that fires once with its missed instant, and wrong
 * registrations that store nothing. A table that tracks changes ({@link ReminderTable#versions}) also shows the
 * registrations and removals of a bucket after a version and none of its next-tick writes, reads a slice of time
 * alone, and a silo on it picks up what another node registered, replaced or removed at its next refresh without
 * reading again the reminders it fires itself, even when the change is read while the reminder's tick runs or while
 * a tick of it ends here; its change entries are trimmed by age only (never because others came after them), and a
 * reader behind what was trimmed is told ({@link ReminderChangesTrimmedException}). The trimming tests run when the
 * subclass gives the clock its table dates changes by ({@link #changeClock()}).
 * <p>
 * Subclass it and return the table under test; the tests use actors of their own and remove what they stored,
 * so one table may serve all tests of the class:
 * <pre>{@code
 * class MyReminderTableTests extends ReminderTableContractTests {
 *     private final ReminderTable table = new MyReminderTable(...);
 *
 *     @Override
 *     protected ReminderTable table() {
 *         return this.table;
 *     }
 * }
 * }</pre>
 */
public abstract class ReminderTableContractTests {

    /** The actor type name of the entries the table-level tests store directly. */
    protected static final String TABLE_ACTOR_TYPE = "ContractTable";

    private static final Instant START = ManualClock.DEFAULT_START;

    private static final AtomicLong ids = new AtomicLong();

    private static final AtomicLong tokens = new AtomicLong();

    private final String run = Long.toHexString(System.nanoTime());

    private final Set<ActorAddress> actors = new LinkedHashSet<>();

    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

    private final List<String> activations = new CopyOnWriteArrayList<>();

    private final List<ActorTestKit> kits = new ArrayList<>();

    /** What the tick of a reminder does beyond being recorded, by reminder name. */
    private final Map<String, Consumer<ReminderStatus>> duringTick = new ConcurrentHashMap<>();

    /**
     * Returns the table under test.
     * @return the table
     */
    protected abstract ReminderTable table();

    /**
     * Returns the clock the table under test dates registrations and removals by, for the trimming of its change
     * entries; the tests of trimming advance it. By default none: those tests are skipped.
     * @return the clock, or {@code null}
     */
    protected @Nullable ManualClock changeClock() {
        return null;
    }

    /**
     * Returns an actor no other test uses; its reminders are removed after the test.
     * @param type the actor type name
     * @return the address
     */
    protected final ActorAddress newActor(String type) {
        ActorAddress actor = new ActorAddress(type, "actor-" + this.run + "-" + ids.incrementAndGet());
        this.actors.add(actor);
        return actor;
    }

    /**
     * Closes the test's runtimes and removes every reminder of its actors.
     */
    @AfterEach
    public void removeWhatTheTestStored() {
        this.kits.forEach(ActorTestKit::close);
        for (ActorAddress actor : this.actors) {
            for (ReminderEntry entry : table().list(actor)) {
                table().delete(entry.key());
            }
        }
    }

    // ---------------------------------------------------------------- the table

    @Test
    public void aReminderThatWasNeverSavedIsAbsent() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        ReminderKey key = new ReminderKey(actor, "absent");
        assertThat(table().find(key)).isEmpty();
        assertThat(table().list(actor)).isEmpty();
        assertThat(table().delete(key)).isFalse();
    }

    @Test
    public void savedRemindersComeBackExactly() {
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        List<ReminderEntry> entries = new ArrayList<>();
        String[] ids = { "plain", "with:colon/slash", "{braces}*?[x]", "spaced out\tand tabbed", "ünïcödé 日本 𝄞" };
        for (String id : ids) {
            ActorAddress actor = new ActorAddress(TABLE_ACTOR_TYPE, id + "-" + this.run);
            this.actors.add(actor);
            entries.add(entry(actor, "once", 11, ReminderSchedule.onceAt(START.plusMillis(1)), new byte[0],
                    ReminderTick.first(START.plusMillis(1), 1)));
            entries.add(entry(actor, "every", -12, ReminderSchedule.every(Duration.ofMillis(250)).startingAt(START)
                .times(40)
                .until(START.plus(Duration.ofDays(1))), everyByte,
                    new ReminderTick(START.plusMillis(500), 3, 1, START.plusMillis(500))));
            entries.add(entry(actor, "cron:ü", Long.MAX_VALUE,
                    ReminderSchedule.cron("0 0 9 1 * *", ZoneId.of("Europe/Paris")).startingAt(START.plusSeconds(3600)),
                    "ünïcödé ✓".getBytes(StandardCharsets.UTF_8),
                    new ReminderTick(START.plusSeconds(3600), 1, 4, START.plusSeconds(3700).plusMillis(123))));
        }
        entries.forEach(table()::save);
        for (ReminderEntry entry : entries) {
            assertThat(table().find(entry.key())).contains(entry);
        }
        assertThat(table().list(entries.getFirst().key().actor())).extracting((entry) -> entry.key().name())
            .containsExactly("cron:ü", "every", "once");
    }

    @Test
    public void saveReplacesTheReminderWhateverItsRegistration() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        ReminderEntry first = entry(actor, "r", 1, ReminderSchedule.onceAt(START.plusSeconds(10)), new byte[] { 1 },
                ReminderTick.first(START.plusSeconds(10), 1));
        ReminderEntry second = entry(actor, "r", 2, ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(START),
                new byte[] { 2 }, ReminderTick.first(START.plusSeconds(20), 21));
        table().save(first);
        table().save(second);
        assertThat(table().find(second.key())).contains(second);
        assertThat(table().list(actor)).containsExactly(second);
        DueReminders due = table().due(ReminderBucketSet.of(second.bucket()), START.plusSeconds(15), 10);
        assertThat(due.entries()).extracting(ReminderEntry::key).doesNotContain(second.key());
    }

    @Test
    public void listReturnsTheRemindersOfOneActorOnlyByName() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        ActorAddress longerId = new ActorAddress(TABLE_ACTOR_TYPE, actor.id() + "0");
        ActorAddress otherType = new ActorAddress(TABLE_ACTOR_TYPE + "s", actor.id());
        this.actors.add(longerId);
        this.actors.add(otherType);
        for (String name : List.of("b", "a", "c")) {
            table().save(oneShot(actor, name, START.plusSeconds(1)));
        }
        table().save(oneShot(longerId, "a", START.plusSeconds(1)));
        table().save(oneShot(otherType, "a", START.plusSeconds(1)));
        assertThat(table().list(actor)).extracting((entry) -> entry.key().name()).containsExactly("a", "b", "c");
        assertThat(table().list(longerId)).hasSize(1);
        assertThat(table().list(otherType)).hasSize(1);
    }

    @Test
    public void deleteRemovesOneReminder() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        ReminderEntry kept = oneShot(actor, "kept", START.plusSeconds(1));
        ReminderEntry removed = oneShot(actor, "removed", START.plusSeconds(1));
        table().save(kept);
        table().save(removed);
        assertThat(table().delete(removed.key())).isTrue();
        assertThat(table().delete(removed.key())).isFalse();
        assertThat(table().find(removed.key())).isEmpty();
        assertThat(table().list(actor)).containsExactly(kept);
        assertThat(table().due(ReminderBucketSet.of(removed.bucket()), START.plusSeconds(2), 100).entries())
            .extracting(ReminderEntry::key)
            .doesNotContain(removed.key());
    }

    @Test
    public void dueReadsTheGivenBucketsBeforeTheInstantInFireTimeOrder() {
        List<ReminderEntry> saved = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ReminderEntry entry = oneShot(newActor(TABLE_ACTOR_TYPE), "r", START.plusMillis(37L * ((i * 7) % 40)));
            table().save(entry);
            saved.add(entry);
        }
        ReminderBucketSet half = ReminderBucketSet.of(saved.stream().limit(20).map(ReminderEntry::bucket).toList());
        Instant before = START.plusMillis(37L * 30);
        List<ReminderEntry> expected = saved.stream()
            .filter((entry) -> half.contains(entry.bucket()) && entry.tick().fireAt().isBefore(before))
            .sorted(Comparator.comparing((ReminderEntry entry) -> entry.tick().fireAt()))
            .toList();
        DueReminders due = table().due(half, before, 1000);
        assertThat(due.entries()).extracting(ReminderEntry::key)
            .containsExactlyInAnyOrderElementsOf(expected.stream().map(ReminderEntry::key).toList());
        assertThat(due.entries()).extracting((entry) -> entry.tick().fireAt()).isSorted();
        assertThat(due.completeBefore()).isEqualTo(before);
        assertThat(table().due(ReminderBucketSet.none(), before, 1000).entries()).isEmpty();
    }

    @Test
    public void dueIsCutAtItsLimitAndSaysHowFarItIsComplete() {
        List<ActorAddress> sameBucket = actorsInOneBucket(12);
        int bucket = ReminderBuckets.of(sameBucket.getFirst());
        for (int i = 0; i < sameBucket.size(); i++) {
            table().save(oneShot(sameBucket.get(i), "r", START.plusSeconds(i)));
        }
        DueReminders due = table().due(ReminderBucketSet.of(bucket), START.plusSeconds(60), 5);
        assertThat(due.entries()).hasSize(5);
        assertThat(due.entries()).extracting((entry) -> entry.key().actor()).containsExactlyElementsOf(sameBucket.subList(0, 5));
        assertThat(due.completeBefore()).isAfter(START.plusSeconds(3)).isBeforeOrEqualTo(START.plusSeconds(4));

        DueReminders all = table().due(ReminderBucketSet.of(bucket), START.plusSeconds(60), 12);
        assertThat(all.entries()).hasSize(12);
        assertThat(all.completeBefore()).isEqualTo(START.plusSeconds(60));
    }

    @Test
    public void nextTicksAreWrittenOnlyForTheStoredRegistration() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        ReminderEntry entry = entry(actor, "r", 5, ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(START),
                new byte[] { 9 }, ReminderTick.first(START, 1));
        table().save(entry);
        ReminderTick second = ReminderTick.first(START.plusSeconds(1), 2);
        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 5, second)))).isEqualTo(1);
        assertThat(table().find(entry.key())).contains(entry.withTick(second));
        assertThat(table().due(ReminderBucketSet.of(entry.bucket()), START.plusMillis(1000), 10).entries())
            .extracting(ReminderEntry::key)
            .doesNotContain(entry.key());
        assertThat(table().due(ReminderBucketSet.of(entry.bucket()), START.plusMillis(1001), 10).entries())
            .contains(entry.withTick(second));

        ReminderTick stale = ReminderTick.first(START.plusSeconds(9), 9);
        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 6, stale)))).isZero();
        assertThat(table().apply(List.of(ReminderUpdate.remove(entry.key(), 6)))).isZero();
        assertThat(table().find(entry.key())).contains(entry.withTick(second));

        assertThat(table().apply(List.of(ReminderUpdate.remove(entry.key(), 5)))).isEqualTo(1);
        assertThat(table().find(entry.key())).isEmpty();
        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 5, stale)))).as("never resurrected")
            .isZero();
        assertThat(table().find(entry.key())).isEmpty();
        assertThat(table().list(actor)).isEmpty();
    }

    @Test
    public void fencedTicksAreWrittenOnlyWithTheTokenTheBucketWasLastStampedWith() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        ReminderEntry entry = entry(actor, "fenced", 5, ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(START),
                new byte[0], ReminderTick.first(START, 1));
        table().save(entry);
        int bucket = entry.bucket();
        FencingToken older = nextToken();
        FencingToken newer = nextToken();
        assertThat(table().stamp(Map.of(bucket, older))).isEqualTo(ReminderBucketSet.of(bucket));
        ReminderTick second = ReminderTick.first(START.plusSeconds(1), 2);
        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 5, second).fencedBy(older)))).isEqualTo(1);

        assertThat(table().stamp(Map.of(bucket, newer))).as("a newer owner stamps").isEqualTo(ReminderBucketSet.of(bucket));
        ReminderTick third = ReminderTick.first(START.plusSeconds(2), 3);
        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 5, third).fencedBy(older))))
            .as("the older owner's write is refused").isZero();
        assertThat(table().apply(List.of(ReminderUpdate.remove(entry.key(), 5).fencedBy(older)))).isZero();
        assertThat(table().find(entry.key()).orElseThrow().tick()).isEqualTo(second);
        assertThat(table().stamp(Map.of(bucket, older))).as("an older stamp is refused").isEqualTo(ReminderBucketSet.none());

        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 5, third).fencedBy(newer)))).isEqualTo(1);
        assertThat(table().stamp(Map.of(bucket, newer))).as("stamping again is harmless").isEqualTo(ReminderBucketSet.of(bucket));
        ReminderTick fourth = ReminderTick.first(START.plusSeconds(3), 4);
        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 5, fourth)))).as("unfenced writes apply")
            .isEqualTo(1);
        assertThat(table().find(entry.key()).orElseThrow().tick()).isEqualTo(fourth);
    }

    /**
     * A write that runs late (a Redis call cancelled at its reply timeout, a PostgreSQL statement whose client gave
     * up) may arrive after a newer write of the same reminder: it must not move the reminder back.
     */
    @Test
    public void anOlderAdvanceThatRunsAfterANewerOneLeavesTheNewer() {
        ReminderEntry entry = entry(newActor(TABLE_ACTOR_TYPE), "late", 42,
                ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(START), new byte[] { 1 },
                ReminderTick.first(START, 1));
        table().save(entry);
        ReminderTick newer = ReminderTick.first(START.plusSeconds(5), 6);

        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 42, newer)))).isEqualTo(1);
        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 42, ReminderTick.first(START.plusSeconds(2), 3)))))
            .as("a stale advance counts as applied").isEqualTo(1);
        assertThat(table().find(entry.key())).get().extracting(ReminderEntry::tick).as("the stale advance changed nothing")
            .isEqualTo(newer);
        ReminderTick retry = newer.retryAt(START.plusSeconds(7));
        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 42, retry))))
            .as("a retry of the same tick moves forward").isEqualTo(1);
        assertThat(table().apply(List.of(ReminderUpdate.advance(entry.key(), 42, newer)))).as("an older attempt")
            .isEqualTo(1);

        assertThat(table().find(entry.key())).get().extracting(ReminderEntry::tick).isEqualTo(retry);
    }

    @Test
    public void stampCoversManyBucketsInOneCallAndAFencedBatchMixesValidAndStaleTokens() {
        List<ReminderEntry> saved = new ArrayList<>();
        Map<Integer, FencingToken> tokens = new HashMap<>();
        while (saved.size() < 4) {
            ReminderEntry entry = oneShot(newActor(TABLE_ACTOR_TYPE), "r", START);
            if (tokens.containsKey(entry.bucket())) {
                continue;
            }
            table().save(entry);
            saved.add(entry);
            tokens.put(entry.bucket(), nextToken());
        }
        FencingToken newest = nextToken();
        assertThat(table().stamp(Map.of(saved.get(3).bucket(), newest))).isEqualTo(ReminderBucketSet.of(saved.get(3).bucket()));
        assertThat(table().stamp(tokens)).as("all but the bucket stamped with a newer token")
            .isEqualTo(ReminderBucketSet.of(saved.subList(0, 3).stream().map(ReminderEntry::bucket).toList()));
        ReminderTick retry = ReminderTick.first(START, 1).retryAt(START.plusSeconds(5));
        List<ReminderUpdate> batch = saved.stream()
            .map((entry) -> ReminderUpdate.advance(entry.key(), entry.registration(), retry).fencedBy(tokens.get(entry.bucket())))
            .toList();
        assertThat(table().apply(batch)).isEqualTo(3);
        assertThat(table().find(saved.get(3).key()).orElseThrow().tick()).isEqualTo(saved.get(3).tick());
        assertThat(table().find(saved.get(0).key()).orElseThrow().tick()).isEqualTo(retry);
        assertThat(table().stamp(Map.of())).isEqualTo(ReminderBucketSet.none());
    }

    @Test
    public void aBatchOverHundredsOfBucketsAppliesEachBucketAgainstItsOwnFence() {
        List<ReminderEntry> saved = new ArrayList<>();
        Map<Integer, FencingToken> tokens = new HashMap<>();
        while (tokens.size() < 200 || saved.size() < 230) {
            ReminderEntry entry = oneShot(newActor(TABLE_ACTOR_TYPE), "r", START);
            if (!tokens.containsKey(entry.bucket()) && tokens.size() == 200) {
                continue;
            }
            table().save(entry);
            saved.add(entry);
            tokens.putIfAbsent(entry.bucket(), nextToken());
        }
        assertThat(table().stamp(tokens).size()).isEqualTo(200);
        int fencedOut = saved.get(120).bucket();
        assertThat(table().stamp(Map.of(fencedOut, nextToken()))).isEqualTo(ReminderBucketSet.of(fencedOut));
        ReminderEntry removed = saved.stream().filter((entry) -> entry.bucket() != fencedOut).reduce((a, b) -> b)
            .orElseThrow();
        ReminderTick retry = ReminderTick.first(START, 1).retryAt(START.plusSeconds(5));
        List<ReminderUpdate> batch = saved.stream()
            .map((entry) -> ((entry == removed) ? ReminderUpdate.remove(entry.key(), entry.registration())
                    : ReminderUpdate.advance(entry.key(), entry.registration(), retry))
                .fencedBy(tokens.get(entry.bucket())))
            .toList();
        long refused = saved.stream().filter((entry) -> entry.bucket() == fencedOut).count();

        assertThat(table().apply(batch)).isEqualTo(saved.size() - refused);

        for (ReminderEntry entry : saved) {
            Optional<ReminderEntry> stored = table().find(entry.key());
            if (entry == removed) {
                assertThat(stored).as("removed").isEmpty();
            }
            else if (entry.bucket() == fencedOut) {
                assertThat(stored.orElseThrow().tick()).as("fenced out").isEqualTo(entry.tick());
            }
            else {
                assertThat(stored.orElseThrow().tick()).as("advanced").isEqualTo(retry);
            }
        }
    }

    @Test
    public void theStampsOfBucketsAreReadAsLastWritten() {
        int first = ThreadLocalRandom.current().nextInt(ReminderBuckets.COUNT - 1);
        int second = first + 1;
        FencingToken older = nextToken();
        FencingToken firstToken = nextToken();
        FencingToken secondToken = nextToken();
        table().stamp(Map.of(first, firstToken, second, secondToken));
        assertThat(table().stamp(Map.of(first, older))).as("an older stamp is refused").isEqualTo(ReminderBucketSet.none());
        assertThat(table().stamps(ReminderBucketSet.of(List.of(first, second))))
            .as("the last stamp written, not the refused one")
            .isEqualTo(Map.of(first, firstToken, second, secondToken));
        FencingToken newer = nextToken();
        table().stamp(Map.of(second, newer));
        assertThat(table().stamps(ReminderBucketSet.of(List.of(second)))).isEqualTo(Map.of(second, newer));
        assertThat(table().stamps(ReminderBucketSet.none())).isEmpty();
    }

    @Test
    public void stampingABucketOutOfRangeFailsNamingIt() {
        assertThatIllegalArgumentException().isThrownBy(() -> table().stamp(Map.of(1024, nextToken())))
            .withMessage("Reminder bucket must be between 0 and 1023, was 1024");
        assertThatIllegalArgumentException().isThrownBy(() -> table().stamp(Map.of(-1, nextToken())))
            .withMessage("Reminder bucket must be between 0 and 1023, was -1");
    }

    /** Tokens that grow across runs, since Redis and PostgreSQL keep the stamps of earlier runs. */
    private static FencingToken nextToken() {
        return new FencingToken(tokens.updateAndGet((last) -> Math.max(last + 1, System.currentTimeMillis() * 1000)));
    }

    @Test
    public void aRetryKeepsItsScheduledInstantAndFiresLater() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        ReminderEntry entry = oneShot(actor, "r", START);
        table().save(entry);
        ReminderTick retry = entry.tick().retryAt(START.plusSeconds(4));
        table().apply(List.of(ReminderUpdate.advance(entry.key(), entry.registration(), retry)));
        assertThat(table().find(entry.key()).orElseThrow().tick()).isEqualTo(retry);
        assertThat(table().due(ReminderBucketSet.of(entry.bucket()), START.plusSeconds(4), 10).entries())
            .extracting(ReminderEntry::key)
            .doesNotContain(entry.key());
    }

    @Test
    public void batchesSpanBucketsAndTheLastUpdateOfAReminderCounts() {
        List<ReminderEntry> saved = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            ReminderEntry entry = oneShot(newActor(TABLE_ACTOR_TYPE), "r", START);
            table().save(entry);
            saved.add(entry);
        }
        List<ReminderUpdate> batch = new ArrayList<>();
        for (ReminderEntry entry : saved) {
            batch.add(ReminderUpdate.advance(entry.key(), entry.registration(), ReminderTick.first(START.plusSeconds(1), 2)));
        }
        ReminderEntry twice = saved.getFirst();
        batch.add(ReminderUpdate.advance(twice.key(), twice.registration(), ReminderTick.first(START.plusSeconds(7), 8)));
        ReminderEntry removed = saved.getLast();
        batch.add(ReminderUpdate.remove(removed.key(), removed.registration()));
        assertThat(table().apply(batch)).isEqualTo(60);
        assertThat(table().find(twice.key()).orElseThrow().tick()).isEqualTo(ReminderTick.first(START.plusSeconds(7), 8));
        assertThat(table().find(removed.key())).isEmpty();
        assertThat(table().find(saved.get(1).key()).orElseThrow().tick())
            .isEqualTo(ReminderTick.first(START.plusSeconds(1), 2));
        assertThat(table().apply(List.of())).isZero();
    }

    @Test
    public void countDueCountsTheRemindersOfTheBucketsDueBeforeAnInstant() {
        List<ActorAddress> sameBucket = actorsInOneBucket(4);
        ReminderBucketSet bucket = ReminderBucketSet.of(ReminderBuckets.of(sameBucket.getFirst()));
        long before = table().countDue(bucket, START.plusSeconds(3));
        for (int i = 0; i < sameBucket.size(); i++) {
            table().save(oneShot(sameBucket.get(i), "r", START.plusSeconds(i)));
        }
        assertThat(table().countDue(bucket, START.plusSeconds(3)) - before).isEqualTo(3);
        assertThat(table().countDue(ReminderBucketSet.all(), START.plusSeconds(3))).isGreaterThanOrEqualTo(3);
    }

    // ---------------------------------------------------------------- changes

    @Test
    public void registrationsAndRemovalsAreChangesOfTheirBucketAndNextTicksAreNot() {
        List<ActorAddress> sameBucket = actorsInOneBucket(2);
        int bucket = ReminderBuckets.of(sameBucket.getFirst());
        ReminderBucketSet buckets = ReminderBucketSet.of(bucket);
        long[] before = table().versions(buckets);
        assumeTrue(before != null, "the table does not track changes");
        ReminderEntry kept = oneShot(sameBucket.get(0), "kept", START.plusSeconds(5));
        ReminderEntry removed = oneShot(sameBucket.get(1), "removed", START.plusSeconds(6));
        table().save(kept);
        table().save(removed);
        long[] registered = table().versions(buckets);
        assertThat(registered[bucket]).isGreaterThan(before[bucket]);
        List<ReminderChange> changes = changesOf(sameBucket, table().changes(buckets, before, 100));
        assertThat(changes).extracting(ReminderChange::entry).containsExactly(kept, removed);
        assertThat(changes.get(0).version()).isLessThan(changes.get(1).version())
            .isGreaterThan(before[bucket]);
        assertThat(changes.get(1).version()).isLessThanOrEqualTo(registered[bucket]);

        ReminderTick next = new ReminderTick(START.plusSeconds(5), 2, 1, START.plusSeconds(7));
        assertThat(table().apply(List.of(ReminderUpdate.advance(kept.key(), kept.registration(), next)))).isOne();
        assertThat(table().versions(buckets)[bucket]).as("a next tick is no change").isEqualTo(registered[bucket]);
        assertThat(changesOf(sameBucket, table().changes(buckets, registered, 100))).isEmpty();

        assertThat(table().delete(removed.key())).isTrue();
        ReminderEntry replaced = oneShot(sameBucket.get(0), "kept", START.plusSeconds(8));
        table().save(replaced);
        List<ReminderChange> later = changesOf(sameBucket, table().changes(buckets, registered, 100));
        assertThat(later).extracting(ReminderChange::key).containsExactly(removed.key(), kept.key());
        assertThat(later.get(0).removed()).isTrue();
        assertThat(later.get(1).entry()).isEqualTo(replaced);
        assertThat(table().versions(buckets)[bucket]).isGreaterThanOrEqualTo(later.get(1).version());
        assertThat(changesOf(sameBucket, table().changes(buckets, before, 100))).as("each reminder once, as it is now")
            .extracting(ReminderChange::key)
            .containsExactly(removed.key(), kept.key());
    }

    @Test
    public void changesAreReadPerBucketInVersionOrderUpToTheLimit() {
        List<ActorAddress> sameBucket = actorsInOneBucket(3);
        int bucket = ReminderBuckets.of(sameBucket.getFirst());
        ActorAddress elsewhere = newActor(TABLE_ACTOR_TYPE);
        while (ReminderBuckets.of(elsewhere) == bucket) {
            elsewhere = newActor(TABLE_ACTOR_TYPE);
        }
        ReminderBucketSet buckets = ReminderBucketSet.of(bucket, ReminderBuckets.of(elsewhere));
        long[] before = table().versions(buckets);
        assumeTrue(before != null, "the table does not track changes");
        List<ActorAddress> ours = new ArrayList<>(sameBucket);
        ours.add(elsewhere);
        for (ActorAddress actor : ours) {
            table().save(oneShot(actor, "r", START.plusSeconds(1)));
        }
        long[] after = before.clone();
        List<ReminderChange> first = changesOf(ours, table().changes(buckets, after, 2));
        assertThat(first).extracting((change) -> change.key().actor())
            .containsExactlyInAnyOrder(sameBucket.get(0), sameBucket.get(1), elsewhere);
        for (ReminderChange change : first) {
            after[change.key().bucket()] = Math.max(after[change.key().bucket()], change.version());
        }
        assertThat(changesOf(ours, table().changes(buckets, after, 2))).extracting((change) -> change.key().actor())
            .containsExactly(sameBucket.get(2));
    }

    @Test
    public void aSliceOfTimeIsReadAlone() {
        List<ActorAddress> sameBucket = actorsInOneBucket(3);
        ReminderBucketSet bucket = ReminderBucketSet.of(ReminderBuckets.of(sameBucket.getFirst()));
        ReminderEntry early = oneShot(sameBucket.get(0), "r", START.plusSeconds(1));
        ReminderEntry inside = oneShot(sameBucket.get(1), "r", START.plusSeconds(5));
        ReminderEntry late = oneShot(sameBucket.get(2), "r", START.plusSeconds(9));
        List.of(early, inside, late).forEach(table()::save);
        DueReminders slice = table().due(bucket, START.plusSeconds(5), START.plusSeconds(9), 10);
        assertThat(slice.entries()).containsExactly(inside);
        assertThat(slice.completeBefore()).isEqualTo(START.plusSeconds(9));
    }

    @Test
    public void aReminderRegisteredReplacedOrRemovedByAnotherNodeIsPickedUpByTheNextRefresh() {
        ManualClock clock = new ManualClock();
        ActorTestKit kit = kit(clock);
        ActorAddress actor = newActor(ContractAlarm.TYPE);
        ReminderKey key = new ReminderKey(actor, "elsewhere");
        // Another node stores the reminder in the table; no notice reaches this silo.
        ReminderEntry first = new ReminderEntry(key, ids.incrementAndGet(),
                ReminderSchedule.every(Duration.ofMinutes(1)).startingAt(START.plusSeconds(25)), "a".getBytes(
                        StandardCharsets.UTF_8), ReminderTick.first(START.plusSeconds(25), 1));
        table().save(first);
        kit.advanceTime(Duration.ofSeconds(25));
        assertThat(this.deliveries).extracting(Delivery::scheduledAt, Delivery::payload)
            .containsExactly(tuple(START.plusSeconds(25), "a"));
        ReminderEntry replacement = new ReminderEntry(key, ids.incrementAndGet(),
                ReminderSchedule.every(Duration.ofMinutes(1)).startingAt(START.plusSeconds(50)), "b".getBytes(
                        StandardCharsets.UTF_8), ReminderTick.first(START.plusSeconds(50), 1));
        table().save(replacement);
        kit.advanceTime(Duration.ofSeconds(25));
        assertThat(this.deliveries).extracting(Delivery::scheduledAt, Delivery::payload)
            .containsExactly(tuple(START.plusSeconds(25), "a"),
                    tuple(START.plusSeconds(50), "b"));
        assertThat(table().delete(key)).isTrue();
        kit.advanceTime(Duration.ofMinutes(3));
        assertThat(this.deliveries).as("the removal stops it, and the first registration never comes back")
            .hasSize(2);
    }

    @Test
    public void theSilosOwnNextTickWritesDoNotMakeTheRefreshReadTheReminderAgain() {
        assumeTrue(table().versions(ReminderBucketSet.none()) != null, "the table does not track changes");
        ManualClock clock = new ManualClock();
        ActorAddress actor = newActor(ContractAlarm.TYPE);
        ReadCountingTable counting = new ReadCountingTable(table(), (key) -> key.actor().equals(actor));
        ActorTestKit kit = kit(clock, counting, ReminderSettings.DEFAULTS);
        kit.get(ContractAlarm.class, actor.id()).setEvery("beat", Duration.ofSeconds(1));
        kit.advanceTime(Duration.ofSeconds(15));
        long readOnce = counting.read();
        assertThat(readOnce).as("its registration is read once, as a change").isLessThanOrEqualTo(1);
        kit.advanceTime(Duration.ofMinutes(2));
        assertThat(this.deliveries).hasSizeGreaterThanOrEqualTo(130);
        assertThat(counting.read()).as("12 refreshes after it was read, none of them full, while it fired every second")
            .isEqualTo(readOnce);
    }

    @Test
    public void aRemovalByAnotherNodeReadWhileItsTickRunsStopsTheReminderAfterThatTick() {
        assumeTrue(table().versions(ReminderBucketSet.none()) != null, "the table does not track changes");
        ManualClock clock = new ManualClock();
        ReminderKey key = new ReminderKey(newActor(ContractAlarm.TYPE), "busy");
        // Stored by another node before the silo starts: its first read, a full one, finds it.
        table().save(everyTwentySeconds(key, START.plusSeconds(5), "a"));
        ActorTestKit kit = kit(clock);
        AtomicBoolean first = new AtomicBoolean(true);
        this.duringTick.put("busy", (status) -> {
            if (first.getAndSet(false)) {
                // Another node removes it while its first tick runs, with no notice to this silo; the refresh due at
                // 10 s, a read of changes, runs before the tick ends.
                table().delete(key);
                clock.advance(Duration.ofSeconds(5));
                kit.scheduler().runDueTasks();
            }
        });
        kit.advanceTime(Duration.ofSeconds(20));
        kit.advanceTime(Duration.ofMinutes(3));
        assertThat(this.deliveries).as("no tick after the one that ran while the removal was read, long before the "
                + "next full read").extracting(Delivery::scheduledAt).containsExactly(START.plusSeconds(5));
    }

    @Test
    public void aFullReadThatNoLongerShowsAReminderWhoseTickRunsStopsItAfterThatTick() {
        ManualClock clock = new ManualClock();
        ReminderKey key = new ReminderKey(newActor(ContractAlarm.TYPE), "gone");
        table().save(everyTwentySeconds(key, START.plusSeconds(5), "a"));
        ActorTestKit kit = kit(clock);
        AtomicBoolean first = new AtomicBoolean(true);
        this.duringTick.put("gone", (status) -> {
            if (first.getAndSet(false)) {
                // Another node removes it while its first tick runs, with no notice to this silo; a full read runs
                // before the tick ends, after the removal (so no read of changes shows it later).
                table().delete(key);
                kit.reminders().refreshNow();
                kit.scheduler().runDueTasks();
            }
        });
        kit.advanceTime(Duration.ofSeconds(20));
        kit.advanceTime(Duration.ofMinutes(3));
        assertThat(this.deliveries).extracting(Delivery::scheduledAt).containsExactly(START.plusSeconds(5));
    }

    @Test
    public void aRemovalByAnotherNodeReadWhileATickOfItEndsHereStillStopsTheReminder() {
        ReminderKey key = changeReadWhileATickEnds((changed) -> assertThat(table().delete(changed)).isTrue());
        assertThat(this.deliveries).as("no tick after the one that ended while the removal was read")
            .extracting(Delivery::scheduledAt)
            .containsExactly(START.plusSeconds(5));
        assertThat(table().find(key)).isEmpty();
    }

    @Test
    public void aReplacementByAnotherNodeReadWhileATickOfItEndsHereTakesOver() {
        changeReadWhileATickEnds((changed) -> table().save(everyTwentySeconds(changed, START.plusSeconds(30), "b")));
        assertThat(this.deliveries).as("the replacement fires from its first tick on, the first registration no more")
            .extracting(Delivery::scheduledAt, Delivery::payload)
            .startsWith(tuple(START.plusSeconds(5), "a"), tuple(START.plusSeconds(30), "b"),
                    tuple(START.plusSeconds(50), "b"));
        assertThat(this.deliveries).filteredOn((delivery) -> delivery.payload().equals("a")).hasSize(1);
    }

    @Test
    public void aReplacementByAnotherNodeReadWhileItsTickRunsIsNotUndoneByAnOlderReadOfItsRemoval() {
        ManualClock clock = new ManualClock();
        ReminderKey key = new ReminderKey(newActor(ContractAlarm.TYPE), "replaced");
        AtomicBoolean armed = new AtomicBoolean();
        AtomicLong finds = new AtomicLong();
        CountDownLatch removalRead = new CountDownLatch(1);
        CountDownLatch replacementRead = new CountDownLatch(1);
        CountDownLatch removalHandled = new CountDownLatch(1);
        ReminderTable slowFinds = new ForwardingTable(table()) {
            @Override
            public Optional<ReminderEntry> find(ReminderKey found) {
                if (!armed.get() || !found.equals(key)) {
                    return super.find(found);
                }
                long read = finds.incrementAndGet();
                if (read == 1) {
                    // The notice's read shows the removal, and returns only after a newer read showed the replacement.
                    Optional<ReminderEntry> removed = super.find(found);
                    removalRead.countDown();
                    awaited(replacementRead);
                    return removed;
                }
                if (read == 2) {
                    // The second notice is read once the first read was handled: all this test needs to know.
                    removalHandled.countDown();
                    throw new IllegalStateException("not read, by the test");
                }
                return super.find(found);
            }
        };
        table().save(everyTwentySeconds(key, START.plusSeconds(5), "a"));
        ActorTestKit kit = kit(clock, slowFinds, ReminderSettings.DEFAULTS);
        AtomicBoolean first = new AtomicBoolean(true);
        this.duringTick.put("replaced", (status) -> {
            if (first.getAndSet(false)) {
                // While its first tick runs, another node removes it (and tells this silo), then registers it again;
                // a full read shows the replacement before the slower read of the removal notice returns.
                assertThat(table().delete(key)).isTrue();
                armed.set(true);
                kit.reminders().changedElsewhere(key);
                awaited(removalRead);
                table().save(everyTwentySeconds(key, START.plusSeconds(30), "b"));
                kit.reminders().refreshNow();
                kit.scheduler().runDueTasks();
                kit.reminders().changedElsewhere(key);
                replacementRead.countDown();
                awaited(removalHandled);
            }
        });
        kit.advanceTime(Duration.ofSeconds(20));
        kit.advanceTime(Duration.ofMinutes(3));
        assertThat(this.deliveries).as("the replacement fires from its first tick on, long before the next full read")
            .extracting(Delivery::scheduledAt, Delivery::payload)
            .startsWith(tuple(START.plusSeconds(5), "a"), tuple(START.plusSeconds(30), "b"),
                    tuple(START.plusSeconds(50), "b"));
    }

    /**
     * Another node removes a reminder, with no notice to this silo, while the write of its next tick (beyond the
     * lookahead) is awaited here; a full read then runs, before that write returns. The full read does not show the
     * reminder, but cannot forget it yet (its write is awaited); the removal's change version is taken in by it, so
     * no later read of changes tells it. Read by itself at the end of that refresh, the reminder is found removed and
     * is not queued again from memory once the lookahead reaches its next tick.
     */
    @Test
    public void aRemovalByAnotherNodeReadInFullWhileTheWriteOfTheNextTickIsAwaitedStopsTheReminder() {
        assumeTrue(table().versions(ReminderBucketSet.none()) != null, "the table does not track changes");
        ManualClock clock = new ManualClock();
        ReminderKey key = new ReminderKey(newActor(ContractAlarm.TYPE), "removed");
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicReference<ActorTestKit> running = new AtomicReference<>();
        ReminderTable slowWrite = new ForwardingTable(table()) {
            @Override
            public int apply(List<ReminderUpdate> updates) {
                if (updates.stream().anyMatch((update) -> update.key().equals(key)) && armed.getAndSet(false)) {
                    assertThat(table().delete(key)).isTrue();
                    ActorTestKit kit = Objects.requireNonNull(running.get());
                    kit.reminders().refreshNow();
                    kit.scheduler().runDueTasks();
                }
                return super.apply(updates);
            }
        };
        // Every 35 s: its next tick (40 s) falls beyond the 30 s lookahead when it is written (at 5 s), and within it
        // at the next refresh (15 s), which queues it again from memory if the silo still knows it.
        table().save(new ReminderEntry(key, ids.incrementAndGet(),
                ReminderSchedule.every(Duration.ofSeconds(35)).startingAt(START.plusSeconds(5)), new byte[0],
                ReminderTick.first(START.plusSeconds(5), 1)));
        ActorTestKit kit = kit(clock, slowWrite, ReminderSettings.DEFAULTS);
        running.set(kit);
        kit.advanceTime(Duration.ofSeconds(5));
        assertThat(armed.get()).as("the write of its next tick came").isFalse();
        kit.advanceTime(Duration.ofMinutes(3));
        assertThat(this.deliveries).as("nothing after its removal, long before the next full read")
            .extracting(Delivery::scheduledAt)
            .containsExactly(START.plusSeconds(5));
    }

    private static void awaited(CountDownLatch latch) {
        try {
            assertThat(latch.await(30, TimeUnit.SECONDS)).as("the step the test waits for happened").isTrue();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Has another node change a reminder, with no notice to this silo, then reads the change in a refresh during
     * which a tick of the reminder ends here (so that what the silo knows of the reminder is newer than the read
     * began), and runs on for three minutes, well before the next full read.
     */
    private ReminderKey changeReadWhileATickEnds(Consumer<ReminderKey> otherNode) {
        assumeTrue(table().versions(ReminderBucketSet.none()) != null, "the table does not track changes");
        ManualClock clock = new ManualClock();
        ReminderKey key = new ReminderKey(newActor(ContractAlarm.TYPE), "ending");
        TickEndDuringChangesTable gated = new TickEndDuringChangesTable(table(), key);
        table().save(everyTwentySeconds(key, START.plusSeconds(5), "a"));
        ActorTestKit kit = kit(clock, gated, ReminderSettings.DEFAULTS);
        AtomicBoolean first = new AtomicBoolean(true);
        List<Thread> refreshes = new CopyOnWriteArrayList<>();
        this.duringTick.put("ending", (status) -> {
            if (first.getAndSet(false)) {
                otherNode.accept(key);
                // The refresh due at 10 s starts; the tick ends once it reads changes, which it returns only once
                // the tick's end was written.
                clock.advance(Duration.ofSeconds(5));
                gated.arm();
                Thread refresh = Thread.ofPlatform().start(() -> kit.scheduler().runDueTasks());
                refreshes.add(refresh);
                gated.awaitReading();
            }
        });
        kit.advanceTime(Duration.ofSeconds(20));
        assertThat(this.deliveries.getFirst().firedAt()).as("its first tick fired on time").isEqualTo(START.plusSeconds(5));
        assertThat(refreshes).hasSize(1);
        try {
            assertThat(refreshes.getFirst().join(Duration.ofSeconds(30))).as("the refresh ended").isTrue();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        assertThat(gated.tickEndedDuringTheRead()).isTrue();
        kit.advanceTime(Duration.ofMinutes(3));
        return key;
    }

    private ReminderEntry everyTwentySeconds(ReminderKey key, Instant first, String payload) {
        return new ReminderEntry(key, ids.incrementAndGet(), ReminderSchedule.every(Duration.ofSeconds(20))
            .startingAt(first), payload.getBytes(StandardCharsets.UTF_8), ReminderTick.first(first, 1));
    }

    @Test
    public void changeEntriesOlderThanTheRetentionAreTrimmedAndAReaderBehindThemIsTold() {
        ManualClock clock = changeClock();
        assumeTrue(clock != null, "the test does not give the clock of the table's changes");
        assumeTrue(table().versions(ReminderBucketSet.none()) != null, "the table does not track changes");
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        int bucket = ReminderBuckets.of(actor);
        ReminderBucketSet buckets = ReminderBucketSet.of(bucket);
        long[] before = table().versions(buckets);
        // One-shot reminders whose last tick removed them: a change entry each, and no reminder.
        List<ReminderEntry> oneShots = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            oneShots.add(oneShot(actor, "once-" + i, START.plusSeconds(i)));
        }
        oneShots.forEach(table()::save);
        assertThat(table().apply(oneShots.stream().map((entry) -> ReminderUpdate.remove(entry.key(),
                entry.registration())).toList())).isEqualTo(5);
        long[] registered = table().versions(buckets);
        assertThat(changesOf(List.of(actor), table().changes(buckets, before, 100))).hasSize(5)
            .allMatch(ReminderChange::removed);

        clock.advance(ReminderTable.CHANGE_RETENTION.minusSeconds(1));
        table().save(oneShot(actor, "young", START.plusSeconds(60)));
        assertThat(changesOf(List.of(actor), table().changes(buckets, before, 100))).as("none is trimmed before "
                + "the retention").hasSize(6);

        clock.advance(Duration.ofSeconds(2));
        List<ReminderEntry> later = new ArrayList<>();
        // Each registration trims a bounded number of entries: other tests of the class may have left many in this
        // bucket before.
        for (int i = 0; i < 20; i++) {
            ReminderEntry entry = oneShot(actor, "later-" + i, START.plusSeconds(60));
            table().save(entry);
            later.add(entry);
            if (trimmedBeyond(buckets, before)) {
                break;
            }
        }
        assertThatThrownBy(() -> table().changes(buckets, before, 100))
            .isInstanceOfSatisfying(ReminderChangesTrimmedException.class,
                    (ex) -> assertThat(ex.buckets().contains(bucket)).isTrue())
            .hasMessageContaining("trimmed");
        assertThat(changesOf(List.of(actor), table().changes(buckets, registered, 100)))
            .as("a reader past the trimmed entries reads on: the young one and the later ones")
            .extracting((change) -> change.key().name())
            .containsExactlyElementsOf(
                    Stream.concat(Stream.of("young"), later.stream().map((entry) -> entry.key().name())).toList());
    }

    private boolean trimmedBeyond(ReminderBucketSet buckets, long[] after) {
        try {
            table().changes(buckets, after, 1);
            return false;
        }
        catch (ReminderChangesTrimmedException ex) {
            return true;
        }
    }

    @Test
    public void aReaderNeverMissesTheChangeOfALiveReminderHoweverManyChangesCameAfterIt() {
        assumeTrue(table().versions(ReminderBucketSet.none()) != null, "the table does not track changes");
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        ReminderBucketSet buckets = ReminderBucketSet.of(ReminderBuckets.of(actor));
        long[] after = table().versions(buckets);
        ReminderEntry live = oneShot(actor, "live", START.plusSeconds(600));
        table().save(live);
        // More one-shot reminders after it than the pruning of the first version of the tables kept, each removed
        // by its last tick, then a removal, which pruned the oldest entries, live or not.
        List<ReminderEntry> oneShots = new ArrayList<>();
        for (int i = 0; i < 1_010; i++) {
            ReminderEntry entry = oneShot(actor, "once-" + i, START.plusSeconds(1));
            table().save(entry);
            oneShots.add(entry);
        }
        table().apply(oneShots.stream().map((entry) -> ReminderUpdate.remove(entry.key(), entry.registration())).toList());
        ReminderEntry removed = oneShot(actor, "removed", START.plusSeconds(2));
        table().save(removed);
        assertThat(table().delete(removed.key())).isTrue();
        List<ReminderChange> read = new ArrayList<>();
        List<ReminderChange> page;
        while (!(page = table().changes(buckets, after, 500)).isEmpty()) {
            for (ReminderChange change : page) {
                after[change.key().bucket()] = Math.max(after[change.key().bucket()], change.version());
            }
            read.addAll(changesOf(List.of(actor), page));
        }
        assertThat(read).extracting(ReminderChange::entry).as("the live reminder's registration is still read")
            .contains(live);
        assertThat(read).hasSize(oneShots.size() + 2);
    }

    // ---------------------------------------------------------------- through actors, in virtual time

    @Test
    public void aTickIsATurnOfItsActorWithItsScheduledInstantAndPayload() {
        ManualClock clock = new ManualClock();
        ActorTestKit kit = kit(clock);
        String id = newActor(ContractAlarm.TYPE).id();
        Reminder reminder = kit.get(ContractAlarm.class, id).set("wake", ReminderSchedule.once(Duration.ofSeconds(10)), "hi");
        assertThat(reminder.nextTickAt()).isEqualTo(START.plusSeconds(10));
        kit.advanceTime(Duration.ofSeconds(9));
        assertThat(this.deliveries).isEmpty();
        kit.advanceTime(Duration.ofSeconds(1));
        assertThat(this.deliveries).containsExactly(new Delivery(id, "wake", START.plusSeconds(10), START.plusSeconds(10),
                "hi", 1));
        assertThat(kit.get(ContractAlarm.class, id).reminders()).as("a one-shot reminder is removed after its tick")
            .isEmpty();
    }

    @Test
    public void aReminderSurvivesDeactivation() {
        ActorTestKit kit = kit(new ManualClock());
        String id = newActor(ContractAlarm.TYPE).id();
        kit.get(ContractAlarm.class, id).setEvery("beat", Duration.ofMinutes(1));
        kit.advanceTime(Duration.ofMinutes(1));
        assertThat(kit.runtime().deactivate(ContractAlarm.class, id)).isTrue();
        kit.advanceTime(Duration.ofMinutes(1));
        assertThat(this.deliveries).extracting(Delivery::scheduledAt)
            .containsExactly(START.plus(Duration.ofMinutes(1)), START.plus(Duration.ofMinutes(2)));
        assertThat(this.activations).as("the second tick activated it again").containsExactly(id, id);
    }

    @Test
    public void aReminderSurvivesARestartOfTheRuntime() {
        ManualClock clock = new ManualClock();
        String id = newActor(ContractAlarm.TYPE).id();
        ActorTestKit first = kit(clock);
        first.get(ContractAlarm.class, id).setEvery("beat", Duration.ofMinutes(1));
        first.advanceTime(Duration.ofMinutes(1));
        first.close();
        ActorTestKit second = kit(clock);
        second.advanceTime(Duration.ofMinutes(2));
        assertThat(this.deliveries).extracting(Delivery::scheduledAt)
            .containsExactly(START.plus(Duration.ofMinutes(1)), START.plus(Duration.ofMinutes(2)),
                    START.plus(Duration.ofMinutes(3)));
        assertThat(this.deliveries).extracting(Delivery::firedAt).containsExactly(START.plus(Duration.ofMinutes(1)),
                START.plus(Duration.ofMinutes(2)), START.plus(Duration.ofMinutes(3)));
    }

    @Test
    public void aOneShotMissedWhileNoRuntimeRanFiresOnceWithItsMissedInstant() {
        ManualClock clock = new ManualClock();
        String id = newActor(ContractAlarm.TYPE).id();
        ActorTestKit first = kit(clock);
        first.get(ContractAlarm.class, id).set("call-back", ReminderSchedule.once(Duration.ofSeconds(30)), "later");
        first.close();
        clock.advance(Duration.ofHours(1));
        ActorTestKit second = kit(clock);
        second.advanceTime(Duration.ZERO);
        assertThat(this.deliveries).containsExactly(new Delivery(id, "call-back", START.plusSeconds(30),
                START.plus(Duration.ofHours(1)), "later", 1));
        // Ten minutes: sixty refreshes, two full reads and every retry a one-shot could get (not an hour: on a
        // table read per bucket, as Redis is, each refresh costs real time).
        second.advanceTime(Duration.ofMinutes(10));
        assertThat(this.deliveries).hasSize(1);
        assertThat(table().list(new ActorAddress(ContractAlarm.TYPE, id))).isEmpty();
    }

    @Test
    public void aPeriodicReminderMissedWhileNoRuntimeRanFiresOnceThenKeepsItsSchedule() {
        ManualClock clock = new ManualClock();
        String id = newActor(ContractAlarm.TYPE).id();
        ActorTestKit first = kit(clock);
        first.get(ContractAlarm.class, id).setEvery("beat", Duration.ofMinutes(1));
        first.close();
        clock.advance(Duration.ofMinutes(10).plusSeconds(30));
        ActorTestKit second = kit(clock);
        second.advanceTime(Duration.ofMinutes(2));
        assertThat(this.deliveries).extracting(Delivery::scheduledAt)
            .containsExactly(START.plus(Duration.ofMinutes(1)), START.plus(Duration.ofMinutes(11)),
                    START.plus(Duration.ofMinutes(12)));
        assertThat(this.deliveries.getFirst().firedAt()).isEqualTo(START.plus(Duration.ofMinutes(10)).plusSeconds(30));
        assertThat(second.reminders().stats().missed()).isEqualTo(9);
    }

    @Test
    public void registeringANameAgainReplacesTheReminderAndUnregisteringStopsIt() {
        ActorTestKit kit = kit(new ManualClock());
        String id = newActor(ContractAlarm.TYPE).id();
        ContractAlarm alarm = kit.get(ContractAlarm.class, id);
        alarm.setEvery("beat", Duration.ofMinutes(1));
        alarm.setEvery("beat", Duration.ofMinutes(5));
        kit.advanceTime(Duration.ofMinutes(5));
        assertThat(this.deliveries).extracting(Delivery::scheduledAt).containsExactly(START.plus(Duration.ofMinutes(5)));
        assertThat(alarm.cancel("beat")).isTrue();
        // Past its next tick and a full read (not longer: on a table read per bucket, as Redis is, each refresh costs
        // real time).
        kit.advanceTime(Duration.ofMinutes(6));
        assertThat(this.deliveries).hasSize(1);
        assertThat(alarm.reminders()).isEmpty();
    }

    @Test
    public void wrongRegistrationsFailNamingTheValueAndStoreNothing() {
        ActorTestKit kit = kit(new ManualClock());
        ActorAddress actor = newActor(ContractAlarm.TYPE);
        ContractAlarm alarm = kit.get(ContractAlarm.class, actor.id());
        assertThatIllegalArgumentException().isThrownBy(() -> alarm.setEvery("negative", Duration.ofSeconds(-5)))
            .withMessage("Reminder period must be at least 1 ms, was PT-5S");
        assertThatIllegalArgumentException().isThrownBy(() -> alarm.setCron("cron", "0 0 31 2 * * *"))
            .withMessageStartingWith("Invalid cron expression '0 0 31 2 * * *': ");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> alarm.set("  ", ReminderSchedule.once(Duration.ofSeconds(1)), ""))
            .withMessage("Reminder name must not be blank (actor " + actor + ")");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> alarm.set("big", ReminderSchedule.once(Duration.ofSeconds(1)), "x".repeat(4097)))
            .withMessage("The payload of the reminder 'big' of " + actor + " is 4097 bytes, more than the limit of 4096 "
                    + "bytes (quark.reminders.max-payload-size)");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> alarm.set("ended", ReminderSchedule.once(Duration.ofMinutes(2)).until(START.plusSeconds(60)),
                    ""))
            .withMessage("The reminder 'ended' of " + actor + " would end at " + START.plusSeconds(60)
                    + ", before its first tick at " + START.plusSeconds(120));
        assertThat(table().list(actor)).isEmpty();
        assertThat(alarm.reminders()).isEmpty();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Builds a test kit, one silo, whose {@link ContractAlarm} actors keep their reminders in the table under test;
     * it is closed after the test.
     * @param clock the clock, shared by the kits of a test that restarts its runtime
     * @return the kit
     */
    protected ActorTestKit kit(ManualClock clock) {
        return kit(clock, table(), ReminderSettings.DEFAULTS);
    }

    private ActorTestKit kit(ManualClock clock, ReminderTable table, ReminderSettings settings) {
        ActorTestKit kit = ActorTestKit.builder()
            .clock(clock)
            .actor(ContractAlarmActor.class, () -> new ContractAlarmActor(this.deliveries, this.activations,
                    (name, status) -> {
                        Consumer<ReminderStatus> during = this.duringTick.get(name);
                        if (during != null) {
                            during.accept(status);
                        }
                    }))
            .reminders(table, settings)
            .runtime((runtime) -> runtime.callTimeout(Duration.ofMinutes(2)))
            .build();
        this.kits.add(kit);
        return kit;
    }

    private List<ActorAddress> actorsInOneBucket(int count) {
        ActorAddress first = newActor(TABLE_ACTOR_TYPE);
        int bucket = ReminderBuckets.of(first);
        List<ActorAddress> found = new ArrayList<>(List.of(first));
        for (int attempt = 0; found.size() < count && attempt < 1_000_000; attempt++) {
            ActorAddress candidate = new ActorAddress(TABLE_ACTOR_TYPE, "bucket-" + this.run + "-" + attempt);
            if (ReminderBuckets.of(candidate) == bucket) {
                this.actors.add(candidate);
                found.add(candidate);
            }
        }
        assertThat(found).as("actors in bucket " + bucket).hasSize(count);
        return found;
    }

    private static List<ReminderChange> changesOf(List<ActorAddress> actors, List<ReminderChange> changes) {
        return changes.stream().filter((change) -> actors.contains(change.key().actor())).toList();
    }

    private ReminderEntry oneShot(ActorAddress actor, String name, Instant at) {
        return entry(actor, name, ids.incrementAndGet(), ReminderSchedule.onceAt(at), new byte[0], ReminderTick.first(at, 1));
    }

    private ReminderEntry entry(ActorAddress actor, String name, long registration, ReminderSchedule schedule,
            byte[] payload, ReminderTick tick) {
        this.actors.add(actor);
        return new ReminderEntry(new ReminderKey(actor, name), registration, schedule, payload, tick);
    }

    /**
     * A table that hands every call to another: what the test tables below change one call of.
     */
    private static class ForwardingTable implements ReminderTable {

        private final ReminderTable table;

        ForwardingTable(ReminderTable table) {
            this.table = table;
        }

        @Override
        public void save(ReminderEntry entry) {
            this.table.save(entry);
        }

        @Override
        public void afterCommit(Runnable action) {
            this.table.afterCommit(action);
        }

        @Override
        public Optional<ReminderEntry> find(ReminderKey key) {
            return this.table.find(key);
        }

        @Override
        public List<ReminderEntry> list(ActorAddress actor) {
            return this.table.list(actor);
        }

        @Override
        public boolean delete(ReminderKey key) {
            return this.table.delete(key);
        }

        @Override
        public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
            return this.table.due(buckets, before, limit);
        }

        @Override
        public DueReminders due(ReminderBucketSet buckets, Instant from, Instant before, int limit) {
            return this.table.due(buckets, from, before, limit);
        }

        @Override
        public long @Nullable [] versions(ReminderBucketSet buckets) {
            return this.table.versions(buckets);
        }

        @Override
        public List<ReminderChange> changes(ReminderBucketSet buckets, long[] after, int perBucket) {
            return this.table.changes(buckets, after, perBucket);
        }

        @Override
        public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
            return this.table.stamp(tokens);
        }

        @Override
        public int apply(List<ReminderUpdate> updates) {
            return this.table.apply(updates);
        }

        @Override
        public long countDue(ReminderBucketSet buckets, Instant before) {
            return this.table.countDue(buckets, before);
        }
    }

    /**
     * A table that counts how often its reads of due reminders and of changes returned some reminders.
     */
    private static final class ReadCountingTable extends ForwardingTable {

        private final Predicate<ReminderKey> counted;

        private final AtomicLong read = new AtomicLong();

        ReadCountingTable(ReminderTable table, Predicate<ReminderKey> counted) {
            super(table);
            this.counted = counted;
        }

        long read() {
            return this.read.get();
        }

        private void count(ReminderKey key) {
            if (this.counted.test(key)) {
                this.read.incrementAndGet();
            }
        }

        private DueReminders counted(DueReminders due) {
            due.entries().forEach((entry) -> count(entry.key()));
            return due;
        }

        @Override
        public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
            return counted(super.due(buckets, before, limit));
        }

        @Override
        public DueReminders due(ReminderBucketSet buckets, Instant from, Instant before, int limit) {
            return counted(super.due(buckets, from, before, limit));
        }

        @Override
        public List<ReminderChange> changes(ReminderBucketSet buckets, long[] after, int perBucket) {
            List<ReminderChange> changes = super.changes(buckets, after, perBucket);
            changes.forEach((change) -> count(change.key()));
            return changes;
        }
    }

    /**
     * A table whose next read of changes, once armed, waits (a bounded while) until a write of one reminder's next
     * tick came, then reads: the end of that reminder's tick falls between the start of the refresh and its read.
     */
    private static final class TickEndDuringChangesTable extends ForwardingTable {

        private static final long WAIT_SECONDS = 30;

        private final ReminderKey key;

        private final AtomicBoolean armed = new AtomicBoolean();

        private final CountDownLatch reading = new CountDownLatch(1);

        private final CountDownLatch written = new CountDownLatch(1);

        private volatile boolean endedDuringTheRead;

        TickEndDuringChangesTable(ReminderTable table, ReminderKey key) {
            super(table);
            this.key = key;
        }

        void arm() {
            this.armed.set(true);
        }

        void awaitReading() {
            try {
                assertThat(this.reading.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("the refresh reads changes").isTrue();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }

        boolean tickEndedDuringTheRead() {
            return this.endedDuringTheRead;
        }

        @Override
        public List<ReminderChange> changes(ReminderBucketSet buckets, long[] after, int perBucket) {
            if (this.armed.getAndSet(false)) {
                this.reading.countDown();
                try {
                    this.endedDuringTheRead = this.written.await(WAIT_SECONDS, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ex);
                }
            }
            return super.changes(buckets, after, perBucket);
        }

        @Override
        public int apply(List<ReminderUpdate> updates) {
            int applied = super.apply(updates);
            if (updates.stream().anyMatch((update) -> update.key().equals(this.key))) {
                this.written.countDown();
            }
            return applied;
        }
    }

    /**
     * One tick an actor received.
     *
     * @param actorId the actor
     * @param name the reminder
     * @param scheduledAt the tick's scheduled instant
     * @param firedAt when it fired
     * @param payload the payload, as text
     * @param attempt the attempt
     */
    public record Delivery(String actorId, String name, Instant scheduledAt, Instant firedAt, String payload,
            int attempt) {

        @Override
        public String toString() {
            return this.actorId + ":" + this.name + "@" + this.scheduledAt + " fired " + this.firedAt + " #" + this.attempt
                    + " " + HexFormat.of().formatHex(this.payload.getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * The actor the contract tests register reminders for.
     */
    public interface ContractAlarm extends Actor {

        /** Its actor type name. */
        String TYPE = "ContractAlarm";

        /**
         * Registers a reminder.
         * @param name its name
         * @param schedule its schedule
         * @param payload its payload, as text
         * @return the reminder
         */
        Reminder set(String name, ReminderSchedule schedule, String payload);

        /**
         * Registers a periodic reminder, building its schedule inside the actor.
         * @param name its name
         * @param period its period
         * @return the reminder
         */
        Reminder setEvery(String name, Duration period);

        /**
         * Registers a cron reminder in UTC, building its schedule inside the actor.
         * @param name its name
         * @param expression the expression
         * @return the reminder
         */
        Reminder setCron(String name, String expression);

        /**
         * Unregisters a reminder.
         * @param name its name
         * @return whether there was one
         */
        boolean cancel(String name);

        /**
         * Lists the actor's reminders.
         * @return the reminders
         */
        List<Reminder> reminders();
    }

    /**
     * Records every tick it receives.
     */
    public static class ContractAlarmActor extends AbstractActor implements ContractAlarm, Remindable {

        private final List<Delivery> deliveries;

        private final List<String> activations;

        private final BiConsumer<String, ReminderStatus> duringTick;

        /**
         * Creates the actor.
         * @param deliveries where ticks are recorded
         * @param activations where activations are recorded, by actor id
         */
        public ContractAlarmActor(List<Delivery> deliveries, List<String> activations) {
            this(deliveries, activations, (name, status) -> {
            });
        }

        /**
         * Creates the actor, whose ticks do more than being recorded.
         * @param deliveries where ticks are recorded
         * @param activations where activations are recorded, by actor id
         * @param duringTick what a tick does once it is recorded, given the reminder's name and the tick
         */
        public ContractAlarmActor(List<Delivery> deliveries, List<String> activations,
                BiConsumer<String, ReminderStatus> duringTick) {
            this.deliveries = deliveries;
            this.activations = activations;
            this.duringTick = duringTick;
        }

        @Override
        protected void onActivate() {
            this.activations.add(actorId());
        }

        @Override
        public Reminder set(String name, ReminderSchedule schedule, String payload) {
            return registerReminder(name, schedule, payload.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public Reminder setEvery(String name, Duration period) {
            return registerReminder(name, ReminderSchedule.every(period));
        }

        @Override
        public Reminder setCron(String name, String expression) {
            return registerReminder(name, ReminderSchedule.cron(expression, ZoneOffset.UTC));
        }

        @Override
        public boolean cancel(String name) {
            return unregisterReminder(name);
        }

        @Override
        public List<Reminder> reminders() {
            return listReminders();
        }

        @Override
        public void receiveReminder(String name, ReminderStatus status) {
            this.deliveries.add(new Delivery(actorId(), name, status.scheduledAt(), status.firedAt(),
                    status.payloadAsString(), status.attempt()));
            this.duringTick.accept(name, status);
        }
    }
}
