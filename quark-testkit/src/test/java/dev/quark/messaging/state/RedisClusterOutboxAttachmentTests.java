package dev.quark.messaging.state;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.redis.RedisEventStore;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.DefaultStateOutbox;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.messaging.store.redis.RedisOutboxStaging;
import dev.quark.messaging.store.redis.RedisOutboxStore;
import dev.quark.messaging.store.redis.StagingTestStores;
import dev.quark.redis.RedisSlotTags;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.JsonStateSerializer;
import dev.quark.state.PersistentState;
import dev.quark.state.StateKey;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.internal.StoreBackedState;
import dev.quark.state.redis.RedisStateAttachment;
import dev.quark.state.redis.RedisStateStore;
import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A state's save or an event append with outbox messages on a Redis Cluster, where the state's (or stream's) key and
 * the outbox's {@code {outbox}} keys lie in different hash slots: the save's script stages the messages in the
 * state's slot, and they are moved to the outbox right after the save, or by the sweep when that move failed or never
 * ran; the sweep appends again, past the grace period, a moved message the outbox lost; a save refused by its version
 * check stages nothing.
 */
class RedisClusterOutboxAttachmentTests {

    /** The longest a moved message may be appended again, in most tests: past any test's run. */
    private static final Duration WEEK = Duration.ofDays(7);

    @AutoClose
    private static RedisTestArea area;

    /** The current test's key prefix, under the class's: a sweep sweeps only the staging areas of its own test. */
    private static String prefix;

    private static RedisStateStore states;

    private static RedisEventStore events;

    private static RedisOutboxStore messages;

    private static StateOutbox stateOutbox;

    @BeforeAll
    static void connect() {
        area = RedisTestArea.onCluster(RedisClusterOutboxAttachmentTests.class);
    }

    @BeforeEach
    void useTheTestsOwnPrefix(TestInfo test) {
        prefix = area.prefix() + test.getTestMethod().orElseThrow().getName() + ":";
        states = new RedisStateStore(area.connectionFactory(), prefix);
        events = new RedisEventStore(area.connectionFactory(), prefix);
        messages = new RedisOutboxStore(area.connectionFactory(), prefix);
        stateOutbox = stateOutbox(messages);
    }

    @Test
    void aStateSavedWithMessagesIsStoredAndItsMessagesArePendingInEnqueueOrder() {
        String account = outsideTheOutboxSlot("saved");
        PersistentState<Long> balance = balance(states, account);
        balance.set(70L);

        List<MessageId> ids = stateOutbox.save(balance, (outbox) -> {
            outbox.enqueue("ledger", account, "withdrawn 30");
            outbox.enqueue("ledger", account, "balance 70");
            outbox.enqueue("ledger", account, "statement");
        });

        assertThat(balance(states, account).get()).isEqualTo(70L);
        assertPendingInOrder(ids);
        assertThat(messages.staging().staged(tagOf(account))).as("messages left staged").isZero();
    }

    @Test
    void aSaveRefusedByItsVersionCheckStagesAndEnqueuesNothing() {
        String account = outsideTheOutboxSlot("refused");
        PersistentState<Long> mine = balance(states, account);
        PersistentState<Long> theirs = balance(states, account);
        theirs.set(1L);
        theirs.save();
        mine.set(2L);
        List<MessageId> enqueued = new ArrayList<>();

        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> stateOutbox.save(mine,
                (outbox) -> enqueued.add(outbox.enqueue("ledger", account, "deposited 2"))));

        assertThat(enqueued).hasSize(1);
        assertThat(messages.find(enqueued.getFirst())).as("the message of the refused save").isEmpty();
        assertThat(messages.staging().staged(tagOf(account))).as("messages staged").isZero();
        assertThat(balance(states, account).get()).isEqualTo(1L);
    }

    @Test
    void aStateSavedWithNoMessagesIsWritten() {
        PersistentState<Long> balance = balance(states, "bob");
        balance.set(5L);

        assertThat(stateOutbox.save(balance, (outbox) -> {
        })).isEmpty();

        assertThat(balance(states, "bob").get()).isEqualTo(5L);
    }

    @Test
    void eventsAppendedWithMessagesAreAppendedAndTheirMessagesPendingInEnqueueOrder() {
        String stream = "Wallet/" + outsideTheOutboxSlot("wallet", (id) -> events.redisKey("Wallet/" + id));
        List<MessageId> ids = new ArrayList<>();
        StateWriteAttachment attachment = stateOutbox.withMessages((outbox) -> {
            ids.add(outbox.enqueue("ledger", "w", "opened"));
            ids.add(outbox.enqueue("ledger", "w", "funded"));
        });

        assertThat(events.append(stream, List.of(newEvent()), 0, attachment).version()).isOne();

        assertThat(events.version(stream)).isOne();
        assertPendingInOrder(ids);
    }

    @Test
    void eventsRefusedByTheVersionCheckStageAndEnqueueNothing() {
        String stream = "Wallet/" + outsideTheOutboxSlot("conflict", (id) -> events.redisKey("Wallet/" + id));
        events.append(stream, List.of(newEvent()), 0);
        List<MessageId> ids = new ArrayList<>();
        StateWriteAttachment attachment = stateOutbox
            .withMessages((outbox) -> ids.add(outbox.enqueue("ledger", "w", "late")));

        assertThatExceptionOfType(dev.quark.eventsourcing.ConcurrencyException.class)
            .isThrownBy(() -> events.append(stream, List.of(newEvent()), 0, attachment));

        assertThat(messages.find(ids.getFirst())).isEmpty();
        assertThat(messages.staging().staged(RedisSlotTags.tagOf(RedisSlotTags.slotOf(events.redisKey(stream)))))
            .isZero();
    }

    @Test
    void eventsAppendedWithNoMessagesAreWritten() {
        String stream = "Wallet/" + UUID.randomUUID();

        events.append(stream, List.of(newEvent()), 0, stateOutbox.withMessages((outbox) -> {
        }));

        assertThat(events.version(stream)).isOne();
    }

    @Test
    void aSaveWhoseMoveFailsSucceedsAndTheSweepMovesItsStagedMessages() {
        RedisOutboxStore failing = storeWhoseMovesFail();
        String account = outsideTheOutboxSlot("failing");
        PersistentState<Long> balance = balance(states, account);
        balance.set(40L);

        List<MessageId> ids = stateOutbox(failing).save(balance, (outbox) -> {
            outbox.enqueue("ledger", account, "withdrawn 60");
            outbox.enqueue("ledger", account, "balance 40");
        });

        assertThat(balance(states, account).get()).as("the saved state").isEqualTo(40L);
        ids.forEach((id) -> assertThat(messages.find(id)).as("a message before the sweep").isEmpty());
        RedisOutboxStaging staging = messages.staging();
        String tag = tagOf(account);
        assertThat(staging.staged(tag)).isEqualTo(2);
        assertThat(staging.indexed()).contains(tag);

        assertThat(staging.sweep(Duration.ofMinutes(1), WEEK)).isGreaterThanOrEqualTo(2);

        assertPendingInOrder(ids);
        assertThat(staging.staged(tag)).isZero();
        assertThat(staging.moved(tag)).as("moved messages kept for the re-check").isEqualTo(2);
        assertThat(staging.indexed()).as("an entry within its grace period").contains(tag);
        staging.sweep(Duration.ZERO, WEEK);
        assertThat(staging.moved(tag)).as("moved messages past the grace period").isZero();
        assertThat(staging.indexed()).as("an empty area's entry past its grace period").doesNotContain(tag);
        assertPendingInOrder(ids);
    }

    @Test
    void aMovedMessageTheOutboxLostIsAppendedAgainByTheSweepPastTheGracePeriod() {
        String account = outsideTheOutboxSlot("lost");
        PersistentState<Long> balance = balance(states, account);
        balance.set(10L);
        List<MessageId> ids = stateOutbox.save(balance, (outbox) -> {
            outbox.enqueue("ledger", account, "kept");
            outbox.enqueue("ledger", account, "lost in a failover");
        });
        StoredMessage lost = messages.find(ids.get(1)).orElseThrow();
        forget(lost);
        RedisOutboxStaging staging = messages.staging();

        assertThat(staging.sweep(Duration.ofMinutes(1), WEEK)).as("appended within the grace period").isZero();
        assertThat(messages.find(lost.id())).isEmpty();
        assertThat(staging.sweep(Duration.ZERO, WEEK)).as("appended past the grace period").isOne();

        assertPendingInOrder(ids);
        assertThat(messages.find(lost.id()).orElseThrow().sequence()).isGreaterThan(lost.sequence());
        assertThat(staging.moved(tagOf(account))).isZero();
    }

    /** Deletes a pending message from the outbox, as a failover of the outbox's master before it replicated it. */
    private static void forget(StoredMessage message) {
        StringRedisTemplate redis = new StringRedisTemplate(area.connectionFactory());
        String outbox = prefix + "{outbox}:";
        redis.delete(messages.messageKey(message.id()));
        redis.opsForZSet().remove(outbox + "pending:" + message.partition(), message.id().toString());
        redis.opsForHash().delete(outbox + "keys:" + message.partition(), message.id().toString());
        redis.opsForZSet().remove(outbox + "pending", message.id().toString());
    }

    @Test
    void theMessagesOfAProcessThatDiedBeforeItsMoveAreMovedOnceAndInOrderByMoversAndTheSweepAtOnce() throws Exception {
        RedisOutboxStore dying = storeThatDiesBeforeMoving();
        StateOutbox diesBeforeMoving = stateOutbox(dying);
        String account = outsideTheOutboxSlot("crashed");
        PersistentState<Long> balance = balance(states, account);
        List<MessageId> ids = new ArrayList<>();
        for (int save = 1; save <= 50; save++) {
            balance.set((long) save);
            int n = save;
            ids.addAll(diesBeforeMoving.save(balance, (outbox) -> {
                for (int i = 0; i < 5; i++) {
                    outbox.enqueue("ledger", account, "save " + n + " message " + i);
                }
            }));
        }
        RedisOutboxStaging staging = messages.staging();
        String tag = tagOf(account);
        assertThat(staging.staged(tag)).isEqualTo(ids.size());
        long lastSequence = messages.lastSequence();

        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Void>> movers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Consumer<RedisOutboxStaging> mover = (i % 2 == 0) ? (s) -> s.move(tag)
                        : (s) -> s.sweep(Duration.ofMinutes(1), WEEK);
                movers.add(CompletableFuture.runAsync(() -> {
                    await(start);
                    for (int round = 0; round < 3; round++) {
                        mover.accept(staging);
                    }
                }, threads));
            }
            start.countDown();
            CompletableFuture.allOf(movers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
        finally {
            threads.shutdownNow();
        }

        assertThat(staging.staged(tag)).isZero();
        assertThat(messages.lastSequence() - lastSequence).as("messages appended, each once").isEqualTo(ids.size());
        assertPendingInOrder(ids);
    }

    @Test
    void aSaveReturnsOnlyOnceItsMessagesAreInTheOutboxWhileOtherMoversRunAndSavesToStatesInTwoSlotsKeepTheirOrder()
            throws Exception {
        String first = outsideTheOutboxSlot("first");
        String second = outsideTheOutboxSlot("second", (id) -> states.redisKey(new StateKey("Account", id, "balance")),
                RedisSlotTags.slotOf(states.redisKey(new StateKey("Account", first, "balance"))));
        List<PersistentState<Long>> balances = List.of(balance(states, first), balance(states, second));
        RedisOutboxStaging staging = messages.staging();
        List<String> tags = List.of(tagOf(first), tagOf(second));
        List<MessageId> ids = new ArrayList<>();
        CountDownLatch saved = new CountDownLatch(1);
        ExecutorService mover = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<Void> moving = CompletableFuture.runAsync(() -> {
                while (saved.getCount() > 0) {
                    tags.forEach(staging::move);
                    staging.sweep(Duration.ofMinutes(1), WEEK);
                }
            }, mover);
            for (int save = 0; save < 40; save++) {
                PersistentState<Long> balance = balances.get(save % 2);
                balance.set((long) save);
                int n = save;
                List<MessageId> savedIds = stateOutbox.save(balance, (outbox) -> {
                    outbox.enqueue("ledger", "one key", "save " + n + " first");
                    outbox.enqueue("ledger", "one key", "save " + n + " second");
                });
                savedIds.forEach((id) -> assertThat(messages.find(id)).as("a message of save " + n + " when it returned")
                    .isPresent());
                ids.addAll(savedIds);
            }
            saved.countDown();
            moving.get(30, TimeUnit.SECONDS);
        }
        finally {
            saved.countDown();
            mover.shutdownNow();
        }

        assertPendingInOrder(ids);
    }

    @Test
    void anAreaWhoseIndexEntryWasLostIsFoundAgainByTheFirstSweepOfAProcess() {
        RedisOutboxStore dying = storeThatDiesBeforeMoving();
        String account = outsideTheOutboxSlot("unindexed");
        PersistentState<Long> balance = balance(states, account);
        balance.set(3L);
        List<MessageId> ids = stateOutbox(dying).save(balance, (outbox) -> outbox.enqueue("ledger", account, "kept"));
        String tag = tagOf(account);
        unindex(tag);

        RedisOutboxStaging restarted = new RedisOutboxStore(area.connectionFactory(), prefix).staging();
        restarted.sweep(Duration.ofMinutes(1), WEEK);

        assertPendingInOrder(ids);
        assertThat(restarted.staged(tag)).isZero();
    }

    @Test
    void aSaveWhoseMoveFailsRecordsItsAreaInTheIndexAgain() {
        RedisOutboxStore failing = StagingTestStores.withAfterStagedSave(area.connectionFactory(), prefix,
                (tag) -> {
                    unindex(tag);
                    throw new DataAccessResourceFailureException("the outbox's master failed over");
                });
        String account = outsideTheOutboxSlot("failed-over");
        PersistentState<Long> balance = balance(states, account);
        balance.set(4L);

        List<MessageId> ids = stateOutbox(failing).save(balance, (outbox) -> outbox.enqueue("ledger", account, "kept"));

        assertThat(messages.staging().indexed()).contains(tagOf(account));
        assertThat(messages.staging().sweep(Duration.ofMinutes(1), WEEK)).isGreaterThanOrEqualTo(1);
        assertPendingInOrder(ids);
    }

    @Test
    void movedMessagesOlderThanTheMaximumAgeAreForgottenAndNotAppendedAgain() {
        String account = outsideTheOutboxSlot("old");
        PersistentState<Long> balance = balance(states, account);
        balance.set(10L);
        List<MessageId> ids = stateOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", account, "delivered"));
        StoredMessage deleted = messages.find(ids.getFirst()).orElseThrow();
        forget(deleted);
        RedisOutboxStaging staging = messages.staging();

        assertThat(staging.sweep(Duration.ZERO, Duration.ZERO)).as("appended again").isZero();

        assertThat(messages.find(deleted.id())).isEmpty();
        assertThat(staging.moved(tagOf(account))).isZero();
    }

    @Test
    void movedMessagesAreReCheckedEvenWhenTheMoveOfTheirAreaFails() {
        String account = outsideTheOutboxSlot("unmovable");
        PersistentState<Long> balance = balance(states, account);
        balance.set(10L);
        List<MessageId> ids = stateOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", account, "lost"));
        StoredMessage lost = messages.find(ids.getFirst()).orElseThrow();
        forget(lost);
        String tag = tagOf(account);
        StringRedisTemplate redis = new StringRedisTemplate(area.connectionFactory());
        String staged = prefix + "{" + tag + "}:outbox-staged";
        redis.opsForValue().set(prefix + "{outbox}:pending:blocked", "not a partition's sorted set");
        redis.opsForHash().put(staged, "blocking", "[\"blocking\",\"ledger\",\"k\",\"blocked\",\"t\",\"p\",\"{}\","
                + "\"2026-01-01T00:00:00Z\",\"0\"]");
        redis.opsForZSet().add(staged + "-order", "blocking", Long.MAX_VALUE);
        assertThat(messages.staging().sweep(Duration.ZERO, WEEK)).as("appended again").isOne();

        assertPendingInOrder(ids);
    }

    @Test
    void aStagedMessageThatCannotBeReadIsSetAsideAndTheMessagesBehindItMove() {
        RedisOutboxStore failing = storeWhoseMovesFail();
        String account = outsideTheOutboxSlot("unreadable");
        String tag = tagOf(account);
        StringRedisTemplate redis = new StringRedisTemplate(area.connectionFactory());
        String staged = prefix + "{" + tag + "}:outbox-staged";
        redis.opsForHash().put(staged, "bad-json", "not the arguments of an append");
        redis.opsForZSet().add(staged + "-order", "bad-json", 0);
        redis.opsForHash().put(staged, "wrong-count", "[\"an older format\"]");
        redis.opsForZSet().add(staged + "-order", "wrong-count", 0);
        PersistentState<Long> balance = balance(states, account);
        balance.set(10L);
        List<MessageId> ids = stateOutbox(failing).save(balance, (outbox) -> {
            outbox.enqueue("ledger", account, "behind the unreadable ones");
            outbox.enqueue("ledger", account, "and another");
        });

        messages.staging().sweep(Duration.ofMinutes(1), WEEK);

        assertPendingInOrder(ids);
        assertThat(messages.staging().staged(tag)).as("left staged").isZero();
        assertThat(redis.<String, String>opsForHash().entries(staged + "-unreadable")).as("set aside")
            .containsEntry("bad-json", "not the arguments of an append")
            .containsEntry("wrong-count", "[\"an older format\"]");
        assertThat(redis.opsForHash().hasKey(staged, "bad-json")).as("still in the area").isFalse();
    }

    @Test
    void aFailingRebuildOfTheIndexHoldsNoIndexedAreaUpAndIsTriedAgainAfterFewerAndFewerSweeps() {
        RedisOutboxStore failing = storeWhoseMovesFail();
        String account = outsideTheOutboxSlot("unscannable");
        PersistentState<Long> balance = balance(states, account);
        balance.set(5L);
        List<MessageId> ids = stateOutbox(failing).save(balance, (outbox) -> outbox.enqueue("ledger", account, "kept"));
        AtomicInteger scans = new AtomicInteger();
        RedisOutboxStaging staging = StagingTestStores.withFailingScans(area.connectionFactory(), prefix, scans);

        staging.sweep(Duration.ofMinutes(1), WEEK);

        assertPendingInOrder(ids);
        for (int i = 1; i < 8; i++) {
            staging.sweep(Duration.ofMinutes(1), WEEK);
        }
        assertThat(scans).as("rebuilds tried in 8 sweeps: the 1st, 2nd, 4th and 8th").hasValue(4);
    }

    @Test
    void aMoveStopsAtTheLastMessageStagedWhenItStartedAndLeavesLaterOnesStaged() {
        RedisOutboxStore dying = storeThatDiesBeforeMoving();
        String account = outsideTheOutboxSlot("bounded");
        String tag = tagOf(account);
        PersistentState<Long> balance = balance(states, account);
        balance.set(1L);
        List<MessageId> own = stateOutbox(dying).save(balance, (outbox) -> {
            outbox.enqueue("ledger", account, "own 1");
            outbox.enqueue("ledger", account, "own 2");
        });
        String lastStagedAtStart = new StringRedisTemplate(area.connectionFactory()).opsForValue()
            .get(prefix + "{" + tag + "}:outbox-staged-seq");
        balance.set(2L);
        List<MessageId> later = stateOutbox(dying).save(balance,
                (outbox) -> outbox.enqueue("ledger", account, "a later save's"));

        int appended = StagingTestStores.moveUpTo(messages.staging(), tag, lastStagedAtStart);

        assertThat(appended).isEqualTo(2);
        assertPendingInOrder(own);
        assertThat(messages.find(later.getFirst())).as("a later save's message").isEmpty();
        assertThat(messages.staging().staged(tag)).isOne();
        assertThat(messages.staging().move(tag)).as("the later save's own move").isOne();
        assertPendingInOrder(List.of(own.get(0), own.get(1), later.getFirst()));
    }

    @Test
    void movedMessagesTheOutboxLostAreAppendedAgainInStagingOrder() {
        String account = outsideTheOutboxSlot("reordered");
        PersistentState<Long> balance = balance(states, account);
        balance.set(10L);
        List<MessageId> ids = stateOutbox.save(balance, (outbox) -> {
            for (int i = 0; i < 40; i++) {
                outbox.enqueue("ledger", account, "message " + i);
            }
        });
        ids.forEach((id) -> forget(messages.find(id).orElseThrow()));

        messages.staging().sweep(Duration.ZERO, WEEK);

        assertPendingInOrder(ids);
    }

    @Test
    void aKeyPrefixWithABraceIsRefusedNamingTheStagedKey() {
        String odd = prefix + "odd{";
        RedisStateStore oddStates = new RedisStateStore(area.connectionFactory(), odd);
        StateOutbox oddOutbox = stateOutbox(new RedisOutboxStore(area.connectionFactory(), odd));
        PersistentState<Long> balance = balance(oddStates, "brace");
        balance.set(1L);

        assertThatThrownBy(() -> oddOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", "brace", "refused")))
            .hasMessageContaining("a '{' in the key prefix moves a key's hash tag")
            .hasMessageContaining("Nothing was written");
    }

    @Test
    void anAttachmentThatCannotBeStagedIsRefusedNamingBothKeysAndNothingIsWritten() {
        StateKey key = new StateKey("Account", outsideTheOutboxSlot("unstageable"), "balance");
        String foreign = prefix + "{outbox}:foreign";
        RedisStateAttachment unstageable = new RedisStateAttachment() {

            @Override
            public String script() {
                return "redis.call('SET', attached_keys[1], 'written') return nil";
            }

            @Override
            public List<String> keys() {
                return List.of(foreign);
            }

            @Override
            public List<String> arguments() {
                return List.of();
            }

            @Override
            public RedisConnectionFactory connectionFactory() {
                return area.connectionFactory();
            }

            @Override
            public String description() {
                return "a write of another slot";
            }
        };

        assertThatExceptionOfType(UnsupportedOperationException.class)
            .isThrownBy(() -> states.save(key, "1", 0, unstageable))
            .withMessageStartingWith("Cannot save state " + key + " with a write of another slot on a Redis Cluster")
            .withMessageContaining("the state's key " + states.redisKey(key))
            .withMessageContaining("the attachment's key " + foreign)
            .withMessageEndingWith("Nothing was written");
        assertThat(states.load(key)).isEmpty();
        assertThat(new StringRedisTemplate(area.connectionFactory()).hasKey(foreign)).isFalse();
    }

    /** A store whose moves fail after the save, as when the outbox's master is down. */
    private static RedisOutboxStore storeWhoseMovesFail() {
        return StagingTestStores.withAfterStagedSave(area.connectionFactory(), prefix, (tag) -> {
            throw new DataAccessResourceFailureException("the outbox's master is down");
        });
    }

    /** A store that does not move after the save, as a process that died right after it. */
    private static RedisOutboxStore storeThatDiesBeforeMoving() {
        return StagingTestStores.withAfterStagedSave(area.connectionFactory(), prefix, (tag) -> {
        });
    }

    /** Removes a staging area's index entry, as a failover of the outbox's master before it replicated it. */
    private static void unindex(String tag) {
        new StringRedisTemplate(area.connectionFactory()).opsForZSet().remove(prefix + "{outbox}:staged", tag);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never started");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Asserts that messages are pending with increasing sequences in the given order, and that the dispatcher's
     * batch of their partition offers them in that order.
     */
    private static void assertPendingInOrder(List<MessageId> ids) {
        List<StoredMessage> stored = ids.stream()
            .map((id) -> messages.find(id).orElseThrow(() -> new AssertionError("message " + id + " not enqueued")))
            .toList();
        assertThat(stored).extracting(StoredMessage::status).containsOnly(MessageStatus.PENDING);
        assertThat(stored).extracting(StoredMessage::sequence).isSorted().doesNotHaveDuplicates();
        assertThat(stored).extracting(StoredMessage::partition).containsOnly(stored.getFirst().partition());
        List<MessageId> offered = messages.nextBatch(stored.getFirst().partition(), Instant.now(), 10_000)
            .stream()
            .map(StoredMessage::id)
            .filter(ids::contains)
            .toList();
        assertThat(offered).as("the dispatcher's batch").containsExactlyElementsOf(ids);
    }

    private static String tagOf(String account) {
        return RedisSlotTags.tagOf(RedisSlotTags.slotOf(states.redisKey(new StateKey("Account", account, "balance"))));
    }

    private static String outsideTheOutboxSlot(String name) {
        return outsideTheOutboxSlot(name, (id) -> states.redisKey(new StateKey("Account", id, "balance")));
    }

    /**
     * Returns an id whose key lies in another hash slot than the outbox's, so that the staging does not depend on
     * where a random prefix puts the key (one slot in 16,384 is the outbox's).
     */
    private static String outsideTheOutboxSlot(String name, Function<String, String> keyOf) {
        return outsideTheOutboxSlot(name, keyOf, -1);
    }

    private static String outsideTheOutboxSlot(String name, Function<String, String> keyOf, int otherSlot) {
        int outbox = RedisSlotTags.slotOf(messages.messageKey(MessageId.next(Clock.systemUTC())));
        for (int i = 0; i < 100; i++) {
            String id = name + "-" + i;
            int slot = RedisSlotTags.slotOf(keyOf.apply(id));
            if (slot != outbox && slot != otherSlot) {
                return id;
            }
        }
        throw new AssertionError("100 ids in a row in the outbox's slot " + outbox);
    }

    private static StateOutbox stateOutbox(RedisOutboxStore store) {
        return new DefaultStateOutbox(new DefaultOutbox(store, new Destinations(List.of(MessagePublisher.of("ledger",
                (message) -> {
                }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC()));
    }

    private static PersistentState<Long> balance(RedisStateStore store, String account) {
        StoreBackedState<Long> state = new StoreBackedState<>(new StateKey("Account", account, "balance"), "test",
                store, new JsonStateSerializer(), Long.class);
        state.reload();
        return state;
    }

    private static NewEvent newEvent() {
        return new NewEvent(UUID.randomUUID(), "Opened", 1, "{}");
    }
}
