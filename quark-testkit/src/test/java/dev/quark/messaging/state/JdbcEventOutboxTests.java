package dev.quark.messaging.state;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.jdbc.JdbcEventStore;
import dev.quark.eventsourcing.memory.InMemoryEventStore;
import dev.quark.jdbc.TablePrefix;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.jdbc.JdbcOutboxStore;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.jdbc.JdbcStateAttachment;
import dev.quark.testkit.ActorTestKit;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Events in PostgreSQL and their outbox messages in one transaction: both commit, or neither.
 */
class JdbcEventOutboxTests extends EventOutboxTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcEventStore events;

    private static JdbcOutboxStore messages;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcEventOutboxTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(4);
        JdbcEventStore.migration(PREFIX).apply(dataSource);
        JdbcOutboxStore.migration(PREFIX).apply(dataSource);
        events = new JdbcEventStore(dataSource, PREFIX);
        messages = new JdbcOutboxStore(dataSource, PREFIX);
    }

    @AfterAll
    static void disconnect() {
        if (dataSource != null) {
            dataSource.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    @Override
    protected EventStore eventStore() {
        return events;
    }

    @Override
    protected OutboxStore outboxStore() {
        return messages;
    }

    @Test
    void aMessageTheDatabaseRefusesAfterTheEventsWereInsertedRollsTheEventsBack() {
        String id = walletId();
        try (ActorTestKit kit = kit(events, stateOutbox())) {
            Wallet wallet = kit.get(Wallet.class, id);
            assertThatExceptionOfType(RuntimeException.class)
                .isThrownBy(() -> wallet.withdraw(30, Map.of("trace", "nul \u0000 in jsonb")))
                .withStackTraceContaining("\\u0000");
            assertThat(wallet.balance()).isZero();
        }
        assertThat(events.version("Wallet/" + id)).as("the events went with the refused insert").isZero();
        assertThat(this.enqueued).hasSize(2).allSatisfy((messageId) -> assertThat(messages.find(messageId)).isEmpty());
    }

    @Test
    void aFailureBetweenTheAppendAndTheAttachedWritesCommitsNeither() {
        List<String> written = new java.util.ArrayList<>();
        StateWriteAttachment failing = new JdbcStateAttachment() {

            @Override
            public DataSource dataSource() {
                return dataSource;
            }

            @Override
            public void write() {
                written.add("messages");
                throw new IllegalStateException("the process failed between the events and the messages");
            }

            @Override
            public String description() {
                return "failing writes";
            }
        };
        String stream = "Wallet/" + walletId();
        assertThatIllegalStateException().isThrownBy(() -> events.append(stream, List.of(event()), 0, failing));
        assertThat(written).as("the attached writes ran after the insert").hasSize(1);
        assertThat(events.version(stream)).isZero();
    }

    @Test
    void attachedWritesThatFailUndoTheEventsBeforeTheCallersTransactionCommits() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        StateWriteAttachment failing = new JdbcStateAttachment() {

            @Override
            public DataSource dataSource() {
                return dataSource;
            }

            @Override
            public void write() {
                throw new IllegalStateException("the attached writes failed");
            }

            @Override
            public String description() {
                return "failing writes";
            }
        };
        String stream = "Wallet/" + walletId();
        String other = "Wallet/" + walletId();
        transactions.executeWithoutResult((status) -> {
            assertThatIllegalStateException().isThrownBy(() -> events.append(stream, List.of(event()), 0, failing));
            events.append(other, List.of(event()), 0);
        });
        assertThat(events.version(stream)).as("neither the events nor their attached writes").isZero();
        assertThat(events.version(other)).as("the caller's other work committed").isOne();
    }

    @Test
    void inTheCallersTransactionTheEventsAndTheMessagesRollBackWithIt() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        String stream = "Wallet/" + walletId();
        assertThatIllegalStateException().isThrownBy(() -> transactions.executeWithoutResult((status) -> {
            events.append(stream, List.of(event()), 0, stateOutbox().withMessages(
                    (outbox) -> this.enqueued.add(outbox.enqueue("ledger", "w", "opened"))));
            assertThat(events.version(stream)).as("written in the transaction").isOne();
            assertThat(messages.find(this.enqueued.getFirst())).as("held until the transaction commits").isEmpty();
            throw new IllegalStateException("the caller's later work failed");
        }));
        assertThat(events.version(stream)).isZero();
        assertThat(messages.find(this.enqueued.getFirst())).isEmpty();
    }

    @Test
    void aDuplicateAppendWritesNoSecondMessage() {
        String stream = "Wallet/" + walletId();
        NewEvent event = event();
        events.append(stream, List.of(event), 0,
                stateOutbox().withMessages((outbox) -> this.enqueued.add(outbox.enqueue("ledger", "w", "first"))));
        assertThat(events.append(stream, List.of(event), 0,
                stateOutbox().withMessages((outbox) -> this.enqueued.add(outbox.enqueue("ledger", "w", "retry"))))
            .duplicate()).isTrue();
        assertThat(messages.find(this.enqueued.get(0))).isPresent();
        assertThat(messages.find(this.enqueued.get(1))).isEmpty();
    }

    @Test
    void anEventStoreOutsidePostgresIsRefusedNamingItBeforeAnythingIsWritten() {
        InMemoryEventStore inMemory = new InMemoryEventStore();
        String id = walletId();
        try (ActorTestKit kit = kit(inMemory, stateOutbox())) {
            Wallet wallet = kit.get(Wallet.class, id);
            assertThatExceptionOfType(UnsupportedOperationException.class).isThrownBy(() -> wallet.deposit(10))
                .withMessageContaining("InMemoryEventStore");
        }
        assertThat(inMemory.version("Wallet/" + id)).isZero();
        assertThat(messages.find(this.enqueued.getFirst())).isEmpty();
    }

    private static NewEvent event() {
        return new NewEvent(UUID.randomUUID(), "Deposited", 1, "{\"cents\":1}");
    }
}
