package dev.quark.messaging.store.jdbc;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.NewMessage;

import static org.assertj.core.api.Assertions.assertThat;

class TransactionAppendsTests {

    private final Object connection = new Object();

    private final List<List<NewMessage>> inserts = new ArrayList<>();

    @BeforeEach
    void beginTransaction() {
        TransactionSynchronizationManager.initSynchronization();
        TransactionSynchronizationManager.setActualTransactionActive(true);
    }

    @AfterEach
    void endTransaction() {
        TransactionSynchronizationManager.clear();
    }

    @Test
    void aSecondBeforeCommitOfSharedSynchronizationsDoesNotInsertTheMessagesAgain() {
        NewMessage message = new NewMessage(MessageId.next(Clock.systemUTC()), "orders", "o-1", 3, "java.lang.String",
                "\"x\"", Map.of(), Instant.now());
        TransactionAppends appends = TransactionAppends.current(this, this.inserts::add, () -> this.connection);
        appends.add(List.of(message));

        for (TransactionSynchronization synchronization : TransactionSynchronizationManager.getSynchronizations()) {
            synchronization.beforeCommit(false);
        }
        for (TransactionSynchronization synchronization : TransactionSynchronizationManager.getSynchronizations()) {
            synchronization.beforeCommit(false);
        }

        assertThat(this.inserts).containsExactly(List.of(message));
    }
}
