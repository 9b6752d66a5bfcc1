package dev.quark.samples.bank;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.quark.actor.ActorRefFactory;
import dev.quark.eventsourcing.EventStore;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StoredMessage;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Receivers with {@code bank.receivers.delay-after-apply}: a delivery is applied and saved first, and answered only
 * after the delay, so a dispatcher dying meanwhile leaves an applied message pending; a message recognised as applied
 * already is answered without the delay. The dispatcher is off: the test delivers the pending messages itself, to
 * receivers activated beforehand, and times each delivery from its start.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = { "quark.messaging.dispatcher.enabled=false", "bank.receivers.delay-after-apply=2s" })
class SlowReceiverTests {

    private static final Duration DELAY = Duration.ofSeconds(2);

    /** Shorter than the delay: what is saved before the answer is seen within it, counted from the delivery's start. */
    private static final Duration SEEN_WITHIN = Duration.ofMillis(1500);

    /** Well under the delay: how long a recognised redelivery may take to be answered. */
    private static final Duration RECOGNISED_WITHIN = DELAY.dividedBy(2);

    @Autowired
    private ActorRefFactory actors;

    @Autowired
    private OutboxStore outbox;

    @Autowired
    private Destinations destinations;

    @Autowired
    private EventStore events;

    @Autowired
    private Partitioner partitioner;

    @Test
    void aLedgerEntryIsRecordedBeforeTheDelayAndItsRedeliveryIsAnsweredWithoutIt() {
        this.actors.get(Account.class, "slow-ledger").deposit(100);
        this.actors.get(Ledger.class, "slow-ledger").latest();
        StoredMessage entry = onlyPending(BankDestinations.LEDGER, "slow-ledger");

        long started = System.nanoTime();
        CompletableFuture<Duration> delivery = deliverAsync(entry, started);
        await("the entry recorded while its delivery waits").atMost(SEEN_WITHIN.minus(sinceStart(started)))
            .until(() -> this.events.version("Ledger/slow-ledger") == 1);
        assertThat(delivery).as("the delivery, answered only after the delay").isNotDone();
        await("the delivery answered").atMost(DELAY.multipliedBy(3)).until(delivery::isDone);
        assertThat(delivery.join()).as("the delivery, answered no earlier than the delay")
            .isGreaterThanOrEqualTo(DELAY);

        long again = System.nanoTime();
        assertThat(deliverAsync(entry, again).join()).as("a redelivery, recognised").isLessThan(RECOGNISED_WITHIN);
        assertThat(this.events.version("Ledger/slow-ledger")).as("the entry recorded once").isEqualTo(1);
    }

    @Test
    void aCreditIsSavedWithItsLedgerEntryBeforeTheDelay() {
        this.actors.get(Account.class, "slow-from").deposit(100);
        this.actors.get(Account.class, "slow-to").deposit(1);
        this.actors.get(Account.class, "slow-from").transfer("slow-to", 30);
        StoredMessage credit = onlyPending(BankDestinations.CREDITS, "slow-to");

        long started = System.nanoTime();
        CompletableFuture<Duration> delivery = deliverAsync(credit, started);
        await("the credit saved, with the ledger entry it enqueues, while its delivery waits")
            .atMost(SEEN_WITHIN.minus(sinceStart(started)))
            .until(() -> pending(BankDestinations.LEDGER, "slow-to").size() == 2);
        assertThat(delivery).as("the delivery, answered only after the delay").isNotDone();
        await("the delivery answered").atMost(DELAY.multipliedBy(3)).until(delivery::isDone);
        assertThat(delivery.join()).as("the delivery, answered no earlier than the delay")
            .isGreaterThanOrEqualTo(DELAY);
        assertThat(this.actors.get(Account.class, "slow-to").balance()).isEqualTo(31);
    }

    private static Duration sinceStart(long started) {
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /**
     * Delivers a message on a virtual thread, the way the dispatcher would, and completes with how long it took from
     * {@code started} until it was answered.
     */
    private CompletableFuture<Duration> deliverAsync(StoredMessage message, long started) {
        CompletableFuture<Duration> delivery = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                this.destinations.require(message.destination()).publish(message.toDelivery());
                delivery.complete(sinceStart(started));
            }
            catch (Exception ex) {
                delivery.completeExceptionally(ex);
            }
        });
        return delivery;
    }

    private StoredMessage onlyPending(String destination, String key) {
        List<StoredMessage> found = pending(destination, key);
        assertThat(found).as("pending messages of %s for %s", destination, key).hasSize(1);
        return found.getFirst();
    }

    private List<StoredMessage> pending(String destination, String key) {
        List<StoredMessage> found = new ArrayList<>();
        for (StoredMessage message : this.outbox.nextBatch(this.partitioner.partition(key), Instant.now(), 1000)) {
            if (message.destination().equals(destination) && message.key().equals(key)) {
                found.add(message);
            }
        }
        return found;
    }
}
