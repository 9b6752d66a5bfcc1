package dev.quark.messaging.runtime;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Level;
import dev.quark.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.lease.FencingToken;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.MessageSerializationException;
import dev.quark.messaging.OutboxMessage;
import dev.quark.messaging.UnknownDestinationException;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.messaging.store.memory.InMemoryOutboxStore;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class OutboxDispatcherTests {

    private static final Duration LEASE = Duration.ofSeconds(30);

    private final ManualClock clock = new ManualClock();

    private final InMemoryOutboxStore store = new InMemoryOutboxStore();

    private final InMemoryLeaseStore leases = new InMemoryLeaseStore(this.clock);

    private final RecordingPublisher orders = new RecordingPublisher("orders");

    private final Partitioner partitioner = new Partitioner(8);

    private final DefaultOutbox outbox = new DefaultOutbox(this.store, new Destinations(List.of(this.orders)),
            new MessageCodec(JsonMapper.shared()), this.partitioner, this.clock);

    private final List<OutboxDispatcher> dispatchers = new ArrayList<>();

    @AfterEach
    void close() {
        this.dispatchers.forEach(OutboxDispatcher::close);
    }

    private OutboxDispatcher dispatcher(String owner, MessagePublisher... publishers) {
        return register(builder(this.store, owner, publishers).build());
    }

    private OutboxDispatcher.Builder builder(OutboxStore store, String owner, MessagePublisher... publishers) {
        return OutboxDispatcher.builder(store, this.leases, new Destinations(List.of(publishers)))
            .partitioner(this.partitioner)
            .owner(owner)
            .clock(this.clock)
            .scheduler((at, task) -> new ManualScheduler(this.clock).schedule(at, task)::cancel)
            .leaseDuration(LEASE)
            .maxAttempts(3)
            .backoff(new RetryBackoff(Duration.ofSeconds(1), 2.0, Duration.ofMinutes(1)));
    }

    private OutboxDispatcher register(OutboxDispatcher dispatcher) {
        this.dispatchers.add(dispatcher);
        return dispatcher;
    }

    @Test
    void aDispatcherDeliversEveryMessageOnceInEnqueueOrderPerKey() {
        for (int i = 0; i < 30; i++) {
            this.outbox.enqueue("orders", "key-" + (i % 5), "m" + i, Map.of("n", Integer.toString(i)));
        }
        OutboxDispatcher dispatcher = dispatcher("node-a", this.orders);
        assertThat(dispatcher.runOnce()).isEqualTo(30);
        assertThat(dispatcher.partitions()).hasSize(8);
        assertThat(this.orders.received()).hasSize(30).allSatisfy((message) -> assertThat(message.attempt()).isOne());
        assertThat(this.orders.received()).extracting(OutboxMessage::id).doesNotHaveDuplicates();
        assertInKeyOrder(this.orders.received());
        assertThat(this.store.count(MessageStatus.DELIVERED)).isEqualTo(30);
        assertThat(dispatcher.runOnce()).isZero();
    }

    @Test
    void whileAMessageRetriesTheLaterMessagesOfItsKeyWaitAndOtherKeysGoOn() {
        MessageId failing = this.outbox.enqueue("orders", "k", "k1");
        this.outbox.enqueue("orders", "k", "k2");
        this.outbox.enqueue("orders", "j", "j1");
        this.orders.failWhile((message) -> message.id().equals(failing));
        OutboxDispatcher dispatcher = dispatcher("node-a", this.orders);

        dispatcher.runOnce();
        assertThat(this.orders.payloads()).containsExactly("\"k1\"", "\"j1\"");
        StoredMessage retrying = this.store.find(failing).orElseThrow();
        assertThat(retrying.attempts()).isOne();
        assertThat(retrying.retryAt()).isEqualTo(this.clock.instant().plusSeconds(1));
        assertThat(retrying.lastError()).isEqualTo("java.io.IOException: broker refused \"k1\"");

        this.clock.advance(Duration.ofMillis(999));
        assertThat(dispatcher.runOnce()).as("not due yet: k2 waits too").isZero();
        this.clock.advance(Duration.ofMillis(1));
        dispatcher.runOnce();
        assertThat(this.store.find(failing).orElseThrow().retryAt())
            .as("the second wait doubles").isEqualTo(this.clock.instant().plusSeconds(2));

        this.orders.failWhile((message) -> false);
        this.clock.advance(Duration.ofSeconds(2));
        dispatcher.runOnce();
        assertThat(this.orders.payloads()).containsExactly("\"k1\"", "\"j1\"", "\"k1\"", "\"k1\"", "\"k2\"");
        assertThat(this.orders.received().get(3).attempt()).isEqualTo(3);
        assertThat(this.store.count(MessageStatus.DELIVERED)).isEqualTo(3);
    }

    @Test
    void afterTheLastAttemptAMessageIsADeadLetterAndTheLaterMessagesOfItsKeyAreDelivered() {
        MessageId dead = this.outbox.enqueue("orders", "k", "k1");
        this.outbox.enqueue("orders", "k", "k2");
        this.orders.failWhile((message) -> message.id().equals(dead));
        OutboxDispatcher dispatcher = dispatcher("node-a", this.orders);
        for (int i = 0; i < 3; i++) {
            dispatcher.runOnce();
            this.clock.advance(Duration.ofMinutes(1));
        }
        StoredMessage letter = this.store.find(dead).orElseThrow();
        assertThat(letter.status()).isEqualTo(MessageStatus.DEAD);
        assertThat(letter.attempts()).isEqualTo(3);
        assertThat(this.store.deadLetters(10)).extracting(StoredMessage::id).containsExactly(dead);
        dispatcher.runOnce();
        assertThat(this.orders.payloads()).containsExactly("\"k1\"", "\"k1\"", "\"k1\"", "\"k2\"");
    }

    @Test
    void aResentDeadLetterIsDeliveredAgainWithItsIdAfterTheMessagesOfItsKeyPendingThen() {
        MessageId dead = this.outbox.enqueue("orders", "k", "k1");
        this.orders.failWhile((message) -> message.id().equals(dead));
        OutboxDispatcher dispatcher = dispatcher("node-a", this.orders);
        for (int i = 0; i < 3; i++) {
            dispatcher.runOnce();
            this.clock.advance(Duration.ofMinutes(1));
        }
        assertThat(this.store.find(dead).orElseThrow().status()).isEqualTo(MessageStatus.DEAD);
        MessageId pending = this.outbox.enqueue("orders", "k", "k2");
        this.orders.failWhile((message) -> false);
        DeadLetters deadLetters = new DeadLetters(this.store);
        assertThat(deadLetters.list(10)).extracting(StoredMessage::id).containsExactly(dead);

        assertThat(deadLetters.resend(dead)).isTrue();
        assertThat(deadLetters.resend(dead)).as("pending now, no dead letter").isFalse();
        dispatcher.runOnce();

        assertThat(this.orders.payloads()).containsExactly("\"k1\"", "\"k1\"", "\"k1\"", "\"k2\"", "\"k1\"");
        assertThat(this.orders.received().get(4).id()).isEqualTo(dead);
        assertThat(this.orders.received().get(4).attempt()).as("attempts start over").isEqualTo(1);
        assertThat(this.store.find(dead).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);
        assertThat(this.store.find(pending).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);
        assertThat(deadLetters.list(10)).isEmpty();
    }

    @Test
    void resendingADestinationResendsItsDeadLettersOnly() {
        this.orders.failWhile((message) -> true);
        RecordingPublisher refunds = new RecordingPublisher("refunds");
        refunds.failWhile((message) -> true);
        DefaultOutbox both = new DefaultOutbox(this.store, new Destinations(List.of(this.orders, refunds)),
                new MessageCodec(JsonMapper.shared()), this.partitioner, this.clock);
        MessageId first = both.enqueue("orders", "a", "a1");
        MessageId second = both.enqueue("orders", "b", "b1");
        MessageId refund = both.enqueue("refunds", "c", "r1");
        OutboxDispatcher dispatcher = dispatcher("node-a", this.orders, refunds);
        for (int i = 0; i < 3; i++) {
            dispatcher.runOnce();
            this.clock.advance(Duration.ofMinutes(1));
        }
        assertThat(this.store.count(MessageStatus.DEAD)).isEqualTo(3);
        this.orders.failWhile((message) -> false);

        assertThat(new DeadLetters(this.store).resendAll("orders")).containsExactly(first, second);
        dispatcher.runOnce();

        assertThat(this.store.find(first).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);
        assertThat(this.store.find(second).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);
        assertThat(this.store.find(refund).orElseThrow().status()).isEqualTo(MessageStatus.DEAD);
    }

    @Test
    void resendingADestinationResendsEachDeadLetterOnceThoughOneDiesAgainMeanwhileAndOthersAreDead() {
        RecordingPublisher refunds = new RecordingPublisher("refunds");
        DefaultOutbox both = new DefaultOutbox(this.store, new Destinations(List.of(this.orders, refunds)),
                new MessageCodec(JsonMapper.shared()), this.partitioner, this.clock);
        MessageId order = both.enqueue("orders", "a", "a1");
        List<MessageId> refundIds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            refundIds.add(both.enqueue("refunds", "r" + i, "r" + i));
        }
        FencingToken token = new FencingToken(1_000);
        for (int partition = 0; partition < 8; partition++) {
            assertThat(this.store.stamp(partition, token)).isTrue();
        }
        for (MessageId id : allOf(order, refundIds)) {
            assertThat(this.store.markDead(this.store.find(id).orElseThrow(), token, this.clock.instant(), "down"))
                .isTrue();
        }
        OutboxStore diesAgainAtOnce = (OutboxStore) Proxy.newProxyInstance(OutboxStore.class.getClassLoader(),
                new Class<?>[] { OutboxStore.class }, (proxy, method, arguments) -> {
                    Object result = method.invoke(this.store, arguments);
                    if (method.getName().equals("requeueDead")) {
                        for (Object id : (List<?>) result) {
                            StoredMessage requeued = this.store.find((MessageId) id).orElseThrow();
                            this.store.markDead(requeued, token, this.clock.instant(), "down again");
                        }
                    }
                    return result;
                });

        assertThat(new DeadLetters(diesAgainAtOnce).resendAll("orders")).containsExactly(order);

        assertThat(this.store.find(order).orElseThrow().status()).as("died again").isEqualTo(MessageStatus.DEAD);
        assertThat(refundIds).allSatisfy(
                (id) -> assertThat(this.store.find(id).orElseThrow().status()).isEqualTo(MessageStatus.DEAD));
        assertThat(new DeadLetters(this.store).resendAll("orders")).as("resendable again").containsExactly(order);
    }

    @Test
    void resendingADestinationGoesOnAfterABatchComesBackShort() {
        MessageId first = this.outbox.enqueue("orders", "a", "a1");
        MessageId second = this.outbox.enqueue("orders", "b", "b1");
        MessageId third = this.outbox.enqueue("orders", "c", "c1");
        FencingToken token = new FencingToken(1_000);
        for (int partition = 0; partition < 8; partition++) {
            assertThat(this.store.stamp(partition, token)).isTrue();
        }
        for (MessageId id : List.of(first, second, third)) {
            assertThat(this.store.markDead(this.store.find(id).orElseThrow(), token, this.clock.instant(), "down"))
                .isTrue();
        }
        AtomicInteger requeues = new AtomicInteger();
        OutboxStore shortOnce = (OutboxStore) Proxy.newProxyInstance(OutboxStore.class.getClassLoader(),
                new Class<?>[] { OutboxStore.class }, (proxy, method, arguments) -> {
                    if (method.getName().equals("requeueDead") && requeues.getAndIncrement() == 0) {
                        return this.store.requeueDead((String) arguments[0], (long) arguments[1], 1);
                    }
                    return method.invoke(this.store, arguments);
                });

        assertThat(new DeadLetters(shortOnce).resendAll("orders")).containsExactly(first, second, third);
        assertThat(this.store.count(MessageStatus.DEAD)).isZero();
    }

    private static List<MessageId> allOf(MessageId first, List<MessageId> rest) {
        List<MessageId> all = new ArrayList<>(rest);
        all.addFirst(first);
        return all;
    }

    @Test
    void aMessageForADestinationThatLostItsPublisherIsRetriedThenDeadLetteredNamingIt() {
        MessageId id = this.outbox.enqueue("orders", "k", "k1");
        OutboxDispatcher dispatcher = dispatcher("node-a");
        for (int i = 0; i < 3; i++) {
            dispatcher.runOnce();
            this.clock.advance(Duration.ofMinutes(1));
        }
        StoredMessage letter = this.store.find(id).orElseThrow();
        assertThat(letter.status()).isEqualTo(MessageStatus.DEAD);
        assertThat(letter.lastError()).contains(UnknownDestinationException.class.getName())
            .contains("No publisher serves the destination 'orders'");
        assertThat(letter.payload()).isEqualTo("\"k1\"");
    }

    @Test
    void enqueueingForAnUnknownDestinationFailsNamingItAndWritesNothing() {
        assertThatExceptionOfType(UnknownDestinationException.class)
            .isThrownBy(() -> this.outbox.enqueue("invoices", "k", "x"))
            .withMessage("No publisher serves the destination 'invoices'; known destinations: [orders]")
            .satisfies((ex) -> assertThat(ex.destination()).isEqualTo("invoices"));
        assertThat(this.store.count(MessageStatus.PENDING)).isZero();
    }

    @Test
    void enqueueingAMessageThatCannotBeWrittenFailsNamingItAndWritesNothing() {
        assertThatExceptionOfType(MessageSerializationException.class)
            .isThrownBy(() -> this.outbox.enqueue("orders", "k", new Unwritable()))
            .withMessageStartingWith("A message for the destination 'orders', a " + Unwritable.class.getName()
                    + ", cannot be written as JSON; nothing was enqueued");
        assertThat(this.store.count(MessageStatus.PENDING)).isZero();
    }

    @Test
    void blankAndOverlongKeysAreRefusedNamingThem() {
        assertThatExceptionOfType(IllegalArgumentException.class)
            .isThrownBy(() -> this.outbox.enqueue("orders", " ", "x"))
            .withMessageContaining("A message key is 1 to 255 characters");
        assertThatExceptionOfType(IllegalArgumentException.class)
            .isThrownBy(() -> this.outbox.enqueue("orders", "k".repeat(256), "x"))
            .withMessageContaining("destination 'orders'");
    }

    @Test
    void twoDispatchersShareThePartitionsAndDeliverEachMessageOnceInKeyOrder() {
        RecordingPublisher sharedA = this.orders;
        RecordingPublisher sharedB = new RecordingPublisher("orders");
        OutboxDispatcher a = dispatcher("node-a", sharedA);
        OutboxDispatcher b = dispatcher("node-b", sharedB);
        a.runOnce();
        assertThat(a.partitions()).hasSize(8);
        b.runOnce();
        a.runOnce();
        b.runOnce();
        assertThat(a.partitions()).hasSize(4);
        assertThat(b.partitions()).hasSize(4).doesNotContainAnyElementsOf(a.partitions());

        for (int i = 0; i < 200; i++) {
            this.outbox.enqueue("orders", "key-" + (i % 20), "m" + i);
            if (i % 25 == 0) {
                a.runOnce();
                b.runOnce();
            }
        }
        for (int i = 0; i < 5; i++) {
            a.runOnce();
            b.runOnce();
        }
        List<OutboxMessage> all = new ArrayList<>(sharedA.received());
        all.addAll(sharedB.received());
        assertThat(all).hasSize(200).extracting(OutboxMessage::id).doesNotHaveDuplicates();
        assertThat(sharedA.received()).isNotEmpty();
        assertThat(sharedB.received()).isNotEmpty();
        assertInKeyOrder(sharedA.received());
        assertInKeyOrder(sharedB.received());
    }

    @Test
    void aMessageWhoseDispatcherWasAbandonedMidDeliveryIsDeliveredByTheNextOwnerOnceTheLeaseExpired()
            throws Exception {
        MessageId id = this.outbox.enqueue("orders", "k", "k1");
        CountDownLatch inFlight = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        List<OutboxMessage> abandoned = new ArrayList<>();
        OutboxDispatcher a = dispatcher("node-a", MessagePublisher.of("orders", (message) -> {
            synchronized (abandoned) {
                abandoned.add(message);
            }
            inFlight.countDown();
            assertThat(resume.await(30, TimeUnit.SECONDS)).isTrue();
        }));
        CompletableFuture<Integer> stuck = CompletableFuture.supplyAsync(a::runOnce);
        assertThat(inFlight.await(30, TimeUnit.SECONDS)).isTrue();

        OutboxDispatcher b = dispatcher("node-b", this.orders);
        b.runOnce();
        assertThat(this.orders.received()).as("the lease of node-a still holds").isEmpty();
        this.clock.advance(LEASE.plusMillis(1));
        b.runOnce();
        assertThat(this.orders.received()).extracting(OutboxMessage::id).containsExactly(id);
        assertThat(this.store.find(id).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);

        resume.countDown();
        assertThat(stuck.get(30, TimeUnit.SECONDS)).isOne();
        assertThat(abandoned).extracting(OutboxMessage::id).containsExactly(id);
        StoredMessage delivered = this.store.find(id).orElseThrow();
        assertThat(delivered.attempts()).as("node-a's late write was fenced off").isOne();
        await().atMost(Duration.ofSeconds(10)).until(() -> a.partitions().isEmpty());
    }

    @Test
    void aRunningDispatcherDeliversTheOtherPartitionsWhileOnePartitionsDeliveryIsSlow() throws Exception {
        String slowKey = keyIn(7, "slow-");
        CountDownLatch inFlight = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MessageId slow = this.outbox.enqueue("orders", slowKey, "s0");
        OutboxDispatcher dispatcher = register(builder(this.store, "node-a", blockingOn(Set.of(slowKey), inFlight,
                release))
            .pollInterval(Duration.ofMillis(20))
            .build());
        dispatcher.start();
        try {
            assertThat(inFlight.await(30, TimeUnit.SECONDS)).isTrue();
            List<MessageId> others = new ArrayList<>();
            for (int partition = 0; partition < 7; partition++) {
                for (int i = 0; i < 3; i++) {
                    others.add(this.outbox.enqueue("orders", keyIn(partition, "other-" + i + "-"), "o" + i));
                }
            }
            await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(this.orders.received()).extracting(OutboxMessage::id)
                    .containsExactlyInAnyOrderElementsOf(others));
            assertThat(this.store.find(slow).orElseThrow().status()).as("still in flight")
                .isEqualTo(MessageStatus.PENDING);
        }
        finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.store.find(slow).orElseThrow().status() == MessageStatus.DELIVERED);
    }

    @Test
    void aRunningPartitionWithMoreThanABatchDueDeliversItAllWithoutWaitingForThePollAndThenWaits() {
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(this.outbox.enqueue("orders", "k", "m" + i));
        }
        int partition = this.partitioner.partition("k");
        AtomicInteger reads = new AtomicInteger();
        OutboxStore counting = (OutboxStore) Proxy.newProxyInstance(OutboxStore.class.getClassLoader(),
                new Class<?>[] { OutboxStore.class }, (proxy, method, arguments) -> {
                    if (method.getName().equals("nextBatch") && arguments[0].equals(partition)) {
                        reads.incrementAndGet();
                    }
                    return method.invoke(this.store, arguments);
                });
        OutboxDispatcher dispatcher = register(builder(counting, "node-a", this.orders).batchSize(3)
            .pollInterval(Duration.ofHours(1))
            .build());
        dispatcher.start();
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(this.orders.received()).extracting(OutboxMessage::id)
                .containsExactlyElementsOf(ids));
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(this.store.count(MessageStatus.DELIVERED)).isEqualTo(10));
        await().during(Duration.ofMillis(300))
            .atMost(Duration.ofSeconds(5))
            .untilAsserted(() -> assertThat(reads).as("3 full batches, then a short one: it waits for the poll")
                .hasValue(4));
    }

    @Test
    void aDispatcherJoiningNeverMakesARunningOneReleaseAPartitionInTheMiddleOfADelivery() throws Exception {
        Set<String> slowKeys = new HashSet<>();
        for (int partition = 3; partition < 8; partition++) {
            slowKeys.add(keyIn(partition, "slow-"));
        }
        List<MessageId> slow = slowKeys.stream().map((key) -> this.outbox.enqueue("orders", key, "s0")).toList();
        CountDownLatch inFlight = new CountDownLatch(slowKeys.size());
        CountDownLatch release = new CountDownLatch(1);
        RecordingPublisher toB = new RecordingPublisher("orders");
        OutboxDispatcher a = register(builder(this.store, "node-a", blockingOn(slowKeys, inFlight, release))
            .pollInterval(Duration.ofMillis(20))
            .build());
        a.start();
        OutboxDispatcher b = dispatcher("node-b", toB);
        try {
            assertThat(inFlight.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(a.partitions()).hasSize(8);
            b.runOnce();
            await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(a.partitions()).as("the idle ones given back, not those delivering")
                    .containsExactly(3, 4, 5, 6, 7));
            b.runOnce();
            assertThat(b.partitions()).containsExactly(0, 1, 2);
            assertThat(a.partitions()).containsExactly(3, 4, 5, 6, 7);
        }
        finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(a.partitions()).as("the last extra, once the deliveries ended")
                .hasSize(4));
        b.runOnce();
        assertThat(b.partitions()).hasSize(4).containsSubsequence(0, 1, 2).doesNotContainAnyElementsOf(a.partitions());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(this.orders.received()).extracting(OutboxMessage::id)
                .containsExactlyInAnyOrderElementsOf(slow);
            assertThat(slow).allSatisfy((id) -> assertThat(this.store.find(id).orElseThrow().status())
                .isEqualTo(MessageStatus.DELIVERED));
        });
        assertThat(toB.received()).isEmpty();
    }

    @Test
    void aBusyExtraPartitionWithBatchesOfOneIsGivenBackAfterItsBatchWhenADispatcherJoins() throws Exception {
        aBusyExtraPartitionIsGivenBackAfterItsMessageInFlight(1);
    }

    @Test
    void aBusyExtraPartitionIsGivenBackAfterItsMessageInFlightNotItsWholeBatchWhenADispatcherJoins() throws Exception {
        aBusyExtraPartitionIsGivenBackAfterItsMessageInFlight(100);
    }

    /**
     * Node a holds all 8 partitions, 3 to 7 delivering, when node b joins: a gives back 0 to 2 and retires 7, whose
     * delivery of its first message is in flight with two more messages of its key due. Its lane stops after that
     * message, and b delivers the other two.
     */
    private void aBusyExtraPartitionIsGivenBackAfterItsMessageInFlight(int batchSize) throws Exception {
        Set<String> slowKeys = new HashSet<>();
        for (int partition = 3; partition < 7; partition++) {
            slowKeys.add(keyIn(partition, "slow-"));
        }
        slowKeys.forEach((key) -> this.outbox.enqueue("orders", key, "s0"));
        String extraKey = keyIn(7, "extra-");
        List<MessageId> extra = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            extra.add(this.outbox.enqueue("orders", extraKey, "e" + i));
        }
        CountDownLatch inFlight = new CountDownLatch(slowKeys.size() + 1);
        CountDownLatch releaseExtra = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MessagePublisher blocking = MessagePublisher.of("orders", (message) -> {
            if (slowKeys.contains(message.key())) {
                inFlight.countDown();
                assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
            }
            else if (message.id().equals(extra.getFirst())) {
                inFlight.countDown();
                assertThat(releaseExtra.await(30, TimeUnit.SECONDS)).isTrue();
            }
            this.orders.publish(message);
        });
        RecordingPublisher toB = new RecordingPublisher("orders");
        OutboxDispatcher a = register(builder(this.store, "node-a", blocking).batchSize(batchSize)
            .pollInterval(Duration.ofMillis(20))
            .build());
        a.start();
        OutboxDispatcher b = dispatcher("node-b", toB);
        try {
            assertThat(inFlight.await(30, TimeUnit.SECONDS)).isTrue();
            b.runOnce();
            await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(a.partitions()).containsExactly(3, 4, 5, 6, 7));
            releaseExtra.countDown();
            await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(a.partitions()).as("7 given back once its message was delivered")
                    .containsExactly(3, 4, 5, 6));
            b.runOnce();
            assertThat(b.partitions()).containsExactly(0, 1, 2, 7);
            assertThat(this.orders.received()).extracting(OutboxMessage::id).containsExactly(extra.getFirst());
            assertThat(toB.received()).extracting(OutboxMessage::id).containsExactly(extra.get(1), extra.get(2));
        }
        finally {
            releaseExtra.countDown();
            release.countDown();
        }
    }

    @Test
    void aPartitionWhoseReadFailedDeliversAtTheNextPoll() {
        MessageId id = this.outbox.enqueue("orders", "k", "k1");
        int partition = this.partitioner.partition("k");
        AtomicInteger reads = new AtomicInteger();
        OutboxStore failingOnce = (OutboxStore) Proxy.newProxyInstance(OutboxStore.class.getClassLoader(),
                new Class<?>[] { OutboxStore.class }, (proxy, method, arguments) -> {
                    if (method.getName().equals("nextBatch") && arguments[0].equals(partition)
                            && reads.getAndIncrement() == 0) {
                        throw new IllegalStateException("store down");
                    }
                    return method.invoke(this.store, arguments);
                });
        OutboxDispatcher dispatcher = register(builder(failingOnce, "node-a", this.orders)
            .pollInterval(Duration.ofMillis(20))
            .build());
        dispatcher.start();
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(this.orders.received()).extracting(OutboxMessage::id).containsExactly(id));
        assertThat(reads).as("failed once, then read again").hasValueGreaterThanOrEqualTo(2);
    }

    @Test
    void closingARunningDispatcherStopsPartitionsGoingOnWithFullBatches() throws Exception {
        MessagePublisher endless = MessagePublisher.of("orders", (message) -> {
            this.orders.publish(message);
            this.outbox.enqueue("orders", message.key(), "next");
        });
        for (int partition = 0; partition < 8; partition++) {
            this.outbox.enqueue("orders", keyIn(partition, "endless-"), "first");
        }
        OutboxDispatcher dispatcher = register(builder(this.store, "node-a", endless).batchSize(1)
            .pollInterval(Duration.ofHours(1))
            .build());
        dispatcher.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.orders.received().size() >= 100);

        CompletableFuture.runAsync(dispatcher::close).get(5, TimeUnit.SECONDS);

        int delivered = this.orders.received().size();
        await().during(Duration.ofMillis(300))
            .atMost(Duration.ofSeconds(5))
            .untilAsserted(() -> assertThat(this.orders.received()).as("nothing after close() returned")
                .hasSize(delivered));
    }

    @Test
    void runOnceLeavesAPartitionWhoseDeliveryRunsToIt() throws Exception {
        String slowKey = keyIn(7, "slow-");
        MessageId slow = this.outbox.enqueue("orders", slowKey, "s0");
        AtomicInteger sends = new AtomicInteger();
        CountDownLatch inFlight = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MessagePublisher blocking = MessagePublisher.of("orders", (message) -> {
            sends.incrementAndGet();
            inFlight.countDown();
            assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
            this.orders.publish(message);
        });
        OutboxDispatcher dispatcher = register(builder(this.store, "node-a", blocking)
            .pollInterval(Duration.ofHours(1))
            .build());
        dispatcher.start();
        try {
            assertThat(inFlight.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(CompletableFuture.supplyAsync(dispatcher::runOnce).get(10, TimeUnit.SECONDS)).isZero();
            assertThat(sends).as("the message in flight is not sent again").hasValue(1);
        }
        finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.store.find(slow).orElseThrow().status() == MessageStatus.DELIVERED);
        assertThat(sends).hasValue(1);
    }

    /**
     * The poll interval is an hour: the rounds come once, at start, in real time, while the publisher moves the
     * manual clock past the first turn's end. The partition goes on in a new turn without waiting for a round.
     */
    @Test
    void aPartitionWhoseBatchesKeepComingBackFullGoesOnInANewTurnAfterAboutAPollIntervalWithoutWaitingForARound() {
        Duration pollInterval = Duration.ofHours(1);
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(this.outbox.enqueue("orders", "k", "m" + i));
        }
        List<Long> threads = new CopyOnWriteArrayList<>();
        MessagePublisher recordingThreads = MessagePublisher.of("orders", (message) -> {
            threads.add(Thread.currentThread().threadId());
            if (message.id().equals(ids.getFirst())) {
                this.clock.advance(pollInterval);
            }
            this.orders.publish(message);
        });
        OutboxDispatcher dispatcher = register(builder(this.store, "node-a", recordingThreads).batchSize(1)
            .pollInterval(pollInterval)
            .leaseDuration(Duration.ofDays(1))
            .build());
        dispatcher.start();
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(this.orders.received()).extracting(OutboxMessage::id)
                .containsExactlyElementsOf(ids));
        assertThat(threads.get(1)).as("a new turn after the first ran a poll interval")
            .isNotEqualTo(threads.getFirst());
        assertThat(threads.subList(1, 4)).as("which goes on while it lasts").containsOnly(threads.get(1));
    }

    /**
     * The first message's delivery outlasts the lane's turn and the partition's lease: the lane does not go on in a
     * new turn with a lease the dispatcher no longer holds, and the partition's next owner delivers the rest.
     */
    @Test
    void aPartitionWhoseLeaseExpiredByTheEndOfItsTurnDoesNotGoOnInANewTurn() {
        Duration pollInterval = Duration.ofHours(1);
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(this.outbox.enqueue("orders", "k", "m" + i));
        }
        RecordingPublisher toA = new RecordingPublisher("orders");
        MessagePublisher outlastingTheLease = MessagePublisher.of("orders", (message) -> {
            if (message.id().equals(ids.getFirst())) {
                this.clock.advance(pollInterval);
            }
            toA.publish(message);
        });
        OutboxDispatcher a = register(builder(this.store, "node-a", outlastingTheLease).batchSize(1)
            .pollInterval(pollInterval)
            .build());
        a.start();
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.store.find(ids.getFirst()).orElseThrow().status() == MessageStatus.DELIVERED);
        await().during(Duration.ofMillis(300))
            .atMost(Duration.ofSeconds(5))
            .untilAsserted(() -> assertThat(toA.received()).extracting(OutboxMessage::id)
                .as("nothing more with the expired lease")
                .containsExactly(ids.getFirst()));

        dispatcher("node-b", this.orders).runOnce();
        assertThat(this.orders.received()).extracting(OutboxMessage::id).containsExactlyElementsOf(ids.subList(1, 4));
    }

    @Test
    void aPartitionThatKeepsFailingIsLoggedAtWarnOnceUntilItDeliversAgain() {
        AtomicBoolean down = new AtomicBoolean(true);
        Map<Integer, AtomicInteger> failures = new ConcurrentHashMap<>();
        Set<Integer> read = ConcurrentHashMap.newKeySet();
        OutboxStore flaky = (OutboxStore) Proxy.newProxyInstance(OutboxStore.class.getClassLoader(),
                new Class<?>[] { OutboxStore.class }, (proxy, method, arguments) -> {
                    if (method.getName().equals("nextBatch")) {
                        int partition = (int) arguments[0];
                        if (down.get()) {
                            failures.computeIfAbsent(partition, (p) -> new AtomicInteger()).incrementAndGet();
                            throw new IllegalStateException("store down");
                        }
                        read.add(partition);
                    }
                    return method.invoke(this.store, arguments);
                });
        try (LogCapture logged = LogCapture.of(OutboxDispatcher.class)) {
            OutboxDispatcher dispatcher = register(builder(flaky, "node-a", this.orders)
                .pollInterval(Duration.ofMillis(10))
                .build());
            dispatcher.start();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(failures).hasSize(8)
                .allSatisfy((partition, count) -> assertThat(count).hasValueGreaterThanOrEqualTo(3)));
            assertThat(warnings(logged)).as("once per partition").hasSize(8);

            down.set(false);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(read).hasSize(8));
            failures.clear();
            down.set(true);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(failures).hasSize(8));
            dispatcher.close();
            assertThat(warnings(logged)).as("again once per partition after it delivered").hasSize(16);
        }
    }

    private static List<String> warnings(LogCapture logged) {
        return logged.messages(Level.WARN)
            .stream()
            .filter((message) -> message.contains("failed a delivery of partition"))
            .toList();
    }

    /**
     * Delivers to {@link #orders}, the messages of some keys only once released.
     */
    private MessagePublisher blockingOn(Set<String> keys, CountDownLatch inFlight, CountDownLatch release) {
        return MessagePublisher.of("orders", (message) -> {
            if (keys.contains(message.key())) {
                inFlight.countDown();
                assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
            }
            this.orders.publish(message);
        });
    }

    private String keyIn(int partition, String prefix) {
        for (int i = 0;; i++) {
            if (this.partitioner.partition(prefix + i) == partition) {
                return prefix + i;
            }
        }
    }

    @Test
    void aDispatcherClosedMidDeliveryLeavesTheMessagePendingWithoutSpendingAnAttempt() throws Exception {
        MessageId id = this.outbox.enqueue("orders", "k", "k1");
        CountDownLatch inFlight = new CountDownLatch(1);
        OutboxDispatcher a = dispatcher("node-a", MessagePublisher.of("orders", (message) -> {
            inFlight.countDown();
            new CountDownLatch(1).await();
        }));
        CompletableFuture<Integer> stopped = CompletableFuture.supplyAsync(a::runOnce);
        assertThat(inFlight.await(30, TimeUnit.SECONDS)).isTrue();
        a.close();
        stopped.get(30, TimeUnit.SECONDS);
        StoredMessage pending = this.store.find(id).orElseThrow();
        assertThat(pending.status()).isEqualTo(MessageStatus.PENDING);
        assertThat(pending.attempts()).as("the shutdown cost the message no attempt").isZero();
        dispatcher("node-b", this.orders).runOnce();
        assertThat(this.orders.received()).extracting(OutboxMessage::id).containsExactly(id);
    }

    @Test
    void retentionDeletesDeliveredMessagesAndDeadLettersPastTheirRetention() {
        MessageId delivered = this.outbox.enqueue("orders", "a", "a1");
        MessageId dead = this.outbox.enqueue("orders", "b", "b1");
        this.orders.failWhile((message) -> message.id().equals(dead));
        OutboxDispatcher dispatcher = dispatcher("node-a", this.orders);
        for (int i = 0; i < 3; i++) {
            dispatcher.runOnce();
            this.clock.advance(Duration.ofMinutes(1));
        }
        MessagingRetention retention = new MessagingRetention(this.store, null,
                new MessagingRetention.Retentions(Duration.ofHours(1), Duration.ofDays(1), Duration.ofDays(1)),
                this.clock);
        assertThat(retention.purge()).isZero();
        this.clock.advance(Duration.ofHours(1));
        assertThat(retention.purge()).isOne();
        assertThat(this.store.find(delivered)).isEmpty();
        assertThat(this.store.find(dead)).isPresent();
        this.clock.advance(Duration.ofDays(1));
        assertThat(retention.purge()).isOne();
        assertThat(this.store.find(dead)).isEmpty();
    }

    private static void assertInKeyOrder(List<OutboxMessage> received) {
        Map<String, List<Integer>> byKey = new java.util.HashMap<>();
        for (OutboxMessage message : received) {
            int n = Integer.parseInt(message.payload().replaceAll("[^0-9]", ""));
            byKey.computeIfAbsent(message.key(), (key) -> new ArrayList<>()).add(n);
        }
        byKey.forEach((key, numbers) -> assertThat(numbers).as(key).isSorted());
    }

    static final class Unwritable {

        public String getValue() {
            throw new IllegalStateException("cannot read me");
        }
    }
}
