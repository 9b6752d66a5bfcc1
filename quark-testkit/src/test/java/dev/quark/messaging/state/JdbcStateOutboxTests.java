package dev.quark.messaging.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.jdbc.TablePrefix;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.DefaultStateOutbox;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.messaging.store.jdbc.JdbcOutboxStore;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.JsonStateSerializer;
import dev.quark.state.PersistentState;
import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreException;
import dev.quark.state.internal.StoreBackedState;
import dev.quark.state.jdbc.JdbcStateStore;
import dev.quark.state.memory.InMemoryStateStore;
import dev.quark.testkit.server.BoundCallerTransaction;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * An actor's state kept in PostgreSQL and its outbox messages written in one transaction: both, or neither.
 */
class JdbcStateOutboxTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcStateStore states;

    private static JdbcOutboxStore messages;

    private static StateOutbox stateOutbox;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcStateOutboxTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(4);
        JdbcStateStore.migration(PREFIX).apply(dataSource);
        JdbcOutboxStore.migration(PREFIX).apply(dataSource);
        states = new JdbcStateStore(dataSource, PREFIX);
        messages = new JdbcOutboxStore(dataSource, PREFIX);
        stateOutbox = new DefaultStateOutbox(new DefaultOutbox(messages,
                new Destinations(List.of(MessagePublisher.of("ledger", (message) -> {
                }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC()));
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

    static PersistentState<Long> balance(StateStore store, String account) {
        StoreBackedState<Long> state = new StoreBackedState<>(new StateKey("Account", account, "balance"), "test",
                store, new JsonStateSerializer(), Long.class);
        state.reload();
        return state;
    }

    @Test
    void theStateAndItsMessagesCommitTogether() {
        PersistentState<Long> balance = balance(states, "alice");
        balance.set(70L);
        List<MessageId> ids = stateOutbox.save(balance, (outbox) -> {
            outbox.enqueue("ledger", "alice", "withdrawn 30");
            outbox.enqueue("ledger", "alice", "balance 70");
        });
        assertThat(balance(states, "alice").get()).isEqualTo(70L);
        StoredMessage first = messages.find(ids.get(0)).orElseThrow();
        StoredMessage second = messages.find(ids.get(1)).orElseThrow();
        assertThat(first.sequence()).isLessThan(second.sequence());
    }

    @Test
    void aStaleVersionWritesNeitherTheStateNorTheMessages() {
        PersistentState<Long> mine = balance(states, "bob");
        PersistentState<Long> theirs = balance(states, "bob");
        theirs.set(5L);
        theirs.save();
        mine.set(10L);
        List<MessageId> enqueued = new ArrayList<>();
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> stateOutbox.save(mine,
                (outbox) -> enqueued.add(outbox.enqueue("ledger", "bob", "deposited 10"))));
        assertThat(messages.find(enqueued.getFirst())).isEmpty();
        assertThat(balance(states, "bob").get()).isEqualTo(5L);
    }

    @Test
    void aMessageTheDatabaseRefusesAfterTheStateWasWrittenRollsTheStateBack() {
        PersistentState<Long> balance = balance(states, "gina");
        balance.set(8L);
        assertThatExceptionOfType(StateStoreException.class)
            .isThrownBy(() -> stateOutbox.save(balance,
                    (outbox) -> outbox.enqueue("ledger", "gina", "opened", Map.of("trace", "nul \u0000 in jsonb"))))
            .havingRootCause()
            .withMessageContaining("\\u0000");
        assertThat(balance(states, "gina").exists()).as("the state's row went with the refused insert").isFalse();
    }

    @Test
    void inTheCallersTransactionBothRollBackWithIt() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        PersistentState<Long> balance = balance(states, "carol");
        balance.set(1L);
        List<MessageId> enqueued = new ArrayList<>();
        assertThatIllegalStateException().isThrownBy(() -> transactions.executeWithoutResult((status) -> {
            enqueued.addAll(stateOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", "carol", "opened")));
            assertThat(JdbcClient.create(dataSource).sql("select count(*) from quark_outbox_message where id = ?")
                .param(enqueued.getFirst().value()).query(Long.class).single()).as("held until the transaction commits")
                .isZero();
            throw new IllegalStateException("the caller's later work failed");
        }));
        assertThat(balance(states, "carol").exists()).isFalse();
        assertThat(messages.find(enqueued.getFirst())).isEmpty();
    }

    @Test
    void aNestedSaveThatFailsLeavesNeitherStateNorMessagesThoughTheOuterTransactionEnqueuedNothingAndCommits() {
        DataSourceTransactionManager manager = new DataSourceTransactionManager(dataSource);
        TransactionTemplate outer = new TransactionTemplate(manager);
        TransactionTemplate nested = new TransactionTemplate(manager);
        nested.setPropagationBehavior(TransactionDefinition.PROPAGATION_NESTED);
        PersistentState<Long> balance = balance(states, "hana");
        balance.set(3L);
        List<MessageId> enqueued = new ArrayList<>();
        outer.executeWithoutResult((status) -> assertThatIllegalStateException()
            .isThrownBy(() -> nested.executeWithoutResult((inner) -> {
                enqueued.addAll(stateOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", "hana", "opened")));
                throw new IllegalStateException("the nested call's later work failed");
            })));
        assertThat(enqueued).hasSize(1);
        assertThat(balance(states, "hana").exists()).as("rolled back to the savepoint").isFalse();
        assertThat(messages.find(enqueued.getFirst())).isEmpty();
    }

    @Test
    void inACallersTransactionBoundTheWayJpaBindsItBothAreTheCallersWork() throws Exception {
        PersistentState<Long> balance = balance(states, "erin");
        balance.set(4L);
        List<MessageId> ids;
        try (BoundCallerTransaction caller = BoundCallerTransaction.begin(dataSource)) {
            ids = stateOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", "erin", "opened"));
            assertThat(count(caller.connection(), ids.getFirst())).as("in the caller's transaction").isOne();
            try (Connection other = dataSource.getConnection()) {
                assertThat(count(other, ids.getFirst())).as("not committed on its own").isZero();
            }
        }
        assertThat(messages.find(ids.getFirst())).as("rolled back with the caller").isEmpty();
        assertThat(balance(states, "erin").exists()).isFalse();
    }

    private static long count(Connection connection, MessageId id) throws SQLException {
        try (PreparedStatement select = connection
            .prepareStatement("select count(*) from quark_outbox_message where id = ?::uuid")) {
            select.setString(1, id.toString());
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    @Test
    void aStateKeptOutsidePostgresIsRefusedNamingItsStore() {
        PersistentState<Long> balance = balance(new InMemoryStateStore(), "dave");
        balance.set(3L);
        assertThatExceptionOfType(UnsupportedOperationException.class)
            .isThrownBy(() -> stateOutbox.save(balance, (outbox) -> outbox.enqueue("ledger", "dave", "x")))
            .withMessageContaining("InMemoryStateStore");
        assertThat(balance.version()).isZero();
    }
}
