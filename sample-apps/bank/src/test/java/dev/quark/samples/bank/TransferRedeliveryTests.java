package dev.quark.samples.bank;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.quark.actor.ActorRefFactory;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StoredMessage;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * At-least-once delivery of a transfer's outbox messages, made visible: the dispatcher is off and the test
 * delivers every pending message itself, each one at least twice (the store keeps them pending, as after a
 * dispatcher that died before marking them delivered). The credit is applied once and each ledger entry recorded once.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = "quark.messaging.dispatcher.enabled=false")
class TransferRedeliveryTests {

    @Autowired
    private ActorRefFactory actors;

    @Autowired
    private OutboxStore outbox;

    @Autowired
    private Destinations destinations;

    @Autowired
    private Partitioner partitioner;

    @Test
    void aTransferDeliveredAgainMovesTheMoneyOnceAndEveryLedgerShowsItOnce() throws Exception {
        Account alice = this.actors.get(Account.class, "redelivered-alice");
        Account bob = this.actors.get(Account.class, "redelivered-bob");
        alice.deposit(100);
        bob.deposit(5);
        Transfer transfer = alice.transfer("redelivered-bob", 30);
        assertThat(transfer.balance()).isEqualTo(70);
        assertThat(bob.balance()).as("the credit waits for its delivery").isEqualTo(5);

        int deliveries = deliverEveryPendingMessageAtLeastTwice();

        assertThat(deliveries).as("deliveries of the 5 messages (2 deposits, transfer credit, 2 transfer entries)")
            .isGreaterThanOrEqualTo(10);
        assertThat(alice.balance()).isEqualTo(70);
        assertThat(bob.balance()).as("credited once").isEqualTo(35);
        LedgerView aliceLedger = this.actors.get(Ledger.class, "redelivered-alice").latest();
        assertThat(aliceLedger.version()).isEqualTo(2);
        assertThat(aliceLedger.state()).isEqualTo(new LedgerState(70, 2, 100, 30, 1));
        LedgerView bobLedger = this.actors.get(Ledger.class, "redelivered-bob").latest();
        assertThat(bobLedger.version()).isEqualTo(2);
        assertThat(bobLedger.state()).isEqualTo(new LedgerState(35, 2, 35, 0, 1));
    }

    /**
     * Delivers, round after round, every message pending in the outbox (none is marked delivered), until a round
     * finds no message it had not seen: each message is delivered in the round it appears and again in the last.
     * @return how many deliveries were made
     */
    private int deliverEveryPendingMessageAtLeastTwice() throws Exception {
        Set<MessageId> seen = new HashSet<>();
        int deliveries = 0;
        for (int round = 0; round < 10; round++) {
            List<StoredMessage> pending = new ArrayList<>();
            for (int partition = 0; partition < this.partitioner.partitions(); partition++) {
                pending.addAll(this.outbox.nextBatch(partition, Instant.now(), 1000));
            }
            boolean anyNew = false;
            for (StoredMessage message : pending) {
                anyNew |= seen.add(message.id());
                this.destinations.require(message.destination()).publish(message.toDelivery());
                deliveries++;
            }
            if (!anyNew) {
                return deliveries;
            }
        }
        throw new AssertionError("new outbox messages still appeared after 10 rounds");
    }
}
