package dev.quark.durabletasks.store.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.OrchestratorStarted;
import dev.quark.durabletasks.history.TaskCompleted;
import dev.quark.durabletasks.history.TaskScheduled;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.NewActivity;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.store.OrchestrationWorkItem;
import dev.quark.durabletasks.store.ReceivedMessage;
import dev.quark.durabletasks.store.TaskMessage;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseLostException;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.jdbc.TablePrefix;
import dev.quark.testkit.durabletasks.DurableTaskStoreContractTests;
import dev.quark.testkit.server.BoundCallerTransaction;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DelegatingDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class JdbcDurableTaskStoreTests extends DurableTaskStoreContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcDurableTaskStore store;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcDurableTaskStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(10);
        JdbcDurableTaskStore.migration(PREFIX).apply(dataSource);
        store = new JdbcDurableTaskStore(dataSource, PREFIX);
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
    protected DurableTaskStore store() {
        return store;
    }

    /**
     * JPA's and Hibernate's managers bind their connection without marking it as a JDBC transaction: the store's
     * private DataSourceTransactionManager took that connection over and committed the caller's work with its own.
     */
    @Test
    void aScheduleInsideAJpaStyleTransactionCommitsOnItsOwnAndLeavesTheCallersWorkUncommitted() throws Exception {
        JdbcClient jdbc = JdbcClient.create(dataSource);
        jdbc.sql("create table if not exists caller_record (id text primary key)").update();
        String id = newInstanceId("jpa");
        try (BoundCallerTransaction caller = BoundCallerTransaction.begin(dataSource)) {
            caller.execute("insert into caller_record (id) values ('" + id + "')");
            assertThat(store.create(new NewInstance(id, "order", null, null, NOW, NOW))).isEmpty();
            assertThat(caller.connection().getAutoCommit()).isFalse();
        }
        assertThat(jdbc.sql("select count(*) from caller_record where id = ?").param(id).query(Long.class).single())
            .as("the caller's rolled-back row").isZero();
        assertThat(store.instance(id)).as("the store's own write").isPresent();
    }

    @Test
    void theChangelogCreatesTheDocumentedTables() {
        assertThat(store.tables()).containsExactly("quark_durable_instance", "quark_durable_history",
                "quark_durable_message", "quark_durable_activity");
        List<String> tables = JdbcClient.create(dataSource)
            .sql("select table_name from information_schema.tables where table_schema = current_schema() "
                    + "and table_name like 'quark_durable%' order by table_name")
            .query(String.class)
            .list();
        assertThat(tables).containsExactly("quark_durable_activity", "quark_durable_history", "quark_durable_instance",
                "quark_durable_message");
    }

    @Test
    void applyingTheChangelogAgainChangesNothingAndAnotherPrefixGetsItsOwnTables() {
        String id = runningInstance("kept");
        JdbcDurableTaskStore.migration(PREFIX).apply(dataSource);
        assertThat(store.instance(id)).isPresent();
        TablePrefix other = new TablePrefix("other_");
        JdbcDurableTaskStore.migration(other).apply(dataSource);
        JdbcDurableTaskStore otherStore = new JdbcDurableTaskStore(dataSource, other);
        assertThat(otherStore.tables()).first().isEqualTo("other_durable_instance");
        assertThat(otherStore.instance(id)).isEmpty();
    }

    /**
     * The hot paths were one statement per row in explicit transactions (a 100-wide fan-out's first commit alone was
     * about 200 inserts); each is now one statement, with no {@code BEGIN}/{@code COMMIT} of its own.
     */
    @Test
    void aFanOutStepTheActivityCallsAndTheirOutcomesTakeOneStatementEach() {
        StatementCounter counter = new StatementCounter(dataSource);
        JdbcDurableTaskStore counted = new JdbcDurableTaskStore(counter, PREFIX);
        String id = newInstanceId("counted");
        assertThat(counter.during(() -> counted.create(new NewInstance(id, "fan-out", "1", null, NOW, NOW))))
            .as("create").isEqualTo(new Counts(1, 0));
        FencingToken token = nextToken();
        List<OrchestrationWorkItem> claimed = new ArrayList<>();
        assertThat(counter.during(() -> claimed.add(counted.claimInstance(id, token, NOW).orElseThrow())))
            .as("claim").isEqualTo(new Counts(2, 0));
        List<HistoryEvent> events = new ArrayList<>(List.of(new OrchestratorStarted(NOW),
                claimed.get(0).messages().get(0).message().event()));
        List<NewActivity> calls = new ArrayList<>();
        for (int task = 1; task <= 100; task++) {
            events.add(new TaskScheduled(NOW, task, "add", Integer.toString(task)));
            calls.add(new NewActivity(id, 1, task, "add", Integer.toString(task), ActivityOptions.DEFAULTS, NOW));
        }
        List<Long> consumed = claimed.get(0).messages().stream().map(ReceivedMessage::id).toList();
        assertThat(counter.during(() -> counted.commit(new OrchestrationCommit(id, token, 0, events, consumed,
                OrchestrationStatus.RUNNING, null, null, false, null, List.of(), List.of(), calls, NOW))))
            .as("commit").isEqualTo(new Counts(1, 0));
        List<String> due = counted.dueActivities(NOW, 100_000)
            .stream()
            .filter((call) -> call.startsWith(id + "#"))
            .toList();
        assertThat(due).hasSize(100);
        for (String call : due) {
            FencingToken callToken = nextToken();
            assertThat(counter.during(() -> counted.claimActivity(call, callToken, NOW).orElseThrow()))
                .as("claim of a call").isEqualTo(new Counts(1, 0));
            TaskMessage outcome = new TaskMessage(id, 1, new TaskCompleted(NOW, 1, "2"), NOW);
            assertThat(counter.during(() -> assertThat(counted.completeActivity(call, callToken, outcome)).isTrue()))
                .as("completion").isEqualTo(new Counts(1, 0));
            assertThat(counted.completeActivity(call, callToken, outcome)).as("a second completion").isFalse();
        }
        OrchestrationWorkItem next = counted.claimInstance(id, nextToken(), NOW.plusSeconds(1)).orElseThrow();
        assertThat(next.history()).containsExactlyElementsOf(events);
        assertThat(next.messages()).hasSize(100);
        assertThat(IntStream.range(1, 100)
            .allMatch((i) -> next.messages().get(i).id() > next.messages().get(i - 1).id())).isTrue();
    }

    /**
     * Activity completions that arrive while one is written are written together, in one statement (one WAL flush),
     * each still fenced by its own token; one completion alone is written at once. Before, each was a statement of
     * its own: 21 here.
     */
    @Test
    void completionsThatQueueWhileOneIsWrittenAreWrittenInOneStatement() throws Exception {
        StatementCounter counter = new StatementCounter(dataSource);
        JdbcDurableTaskStore counted = new JdbcDurableTaskStore(counter, PREFIX);
        String id = newInstanceId("grouped");
        counted.create(new NewInstance(id, "fan-out", "1", null, NOW, NOW));
        OrchestrationWorkItem claimed = counted.claimInstance(id, nextToken(), NOW).orElseThrow();
        List<HistoryEvent> events = new ArrayList<>(List.of(new OrchestratorStarted(NOW),
                claimed.messages().get(0).message().event()));
        List<NewActivity> calls = new ArrayList<>();
        for (int task = 1; task <= 22; task++) {
            events.add(new TaskScheduled(NOW, task, "add", Integer.toString(task)));
            calls.add(new NewActivity(id, 1, task, "add", Integer.toString(task), ActivityOptions.DEFAULTS, NOW));
        }
        counted.commit(new OrchestrationCommit(id, claimed.token(), 0, events,
                claimed.messages().stream().map(ReceivedMessage::id).toList(), OrchestrationStatus.RUNNING, null, null,
                false, null, List.of(), List.of(), calls, NOW));
        List<String> due = counted.dueActivities(NOW, 100_000)
            .stream()
            .filter((call) -> call.startsWith(id + "#"))
            .sorted(Comparator.reverseOrder())
            .toList();
        assertThat(due).hasSize(22);
        Map<String, FencingToken> tokens = new LinkedHashMap<>();
        for (String call : due) {
            FencingToken token = nextToken();
            counted.claimActivity(call, token, NOW).orElseThrow();
            tokens.put(call, token);
        }
        String taken = due.get(21);
        FencingToken stale = tokens.get(taken);
        FencingToken newer = nextToken();
        counted.claimActivity(taken, newer, NOW).orElseThrow();
        Map<String, Future<Boolean>> completed = new LinkedHashMap<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            counter.holdConnections();
            String first = due.get(0);
            completed.put(first, threads.submit(() -> counted.completeActivity(first, tokens.get(first), outcome(id))));
            await().atMost(Duration.ofSeconds(10)).until(() -> counter.held() == 1);
            for (String call : due.subList(1, 22)) {
                completed.put(call, threads.submit(() -> counted.completeActivity(call, tokens.get(call), outcome(id))));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> counted.queuedCompletions() == 21);
            assertThat(counter.during(() -> {
                counter.releaseConnections();
                completed.values().forEach((result) -> assertThat(result).succeedsWithin(Duration.ofSeconds(10)));
            })).isEqualTo(new Counts(2, 0));
        }
        for (Map.Entry<String, Future<Boolean>> each : completed.entrySet()) {
            assertThat(each.getValue().get()).as(each.getKey()).isEqualTo(!each.getKey().equals(taken));
        }
        assertThat(counted.dueActivities(NOW, 100_000)).filteredOn((call) -> call.startsWith(id + "#"))
            .containsExactly(taken);
        OrchestrationWorkItem next = counted.claimInstance(id, nextToken(), NOW.plusSeconds(1)).orElseThrow();
        assertThat(next.messages()).hasSize(21);
    }

    /**
     * Steps' commits that arrive while one is written are written together, in one statement, each as if alone: a
     * commit whose token is stale is refused and writes nothing, the others of its batch are written. Before, each
     * commit was a statement of its own: 11 here, and the refusal's read.
     */
    @Test
    void commitsThatQueueWhileOneIsWrittenAreWrittenInOneStatementEachFenced() throws Exception {
        StatementCounter counter = new StatementCounter(dataSource);
        JdbcDurableTaskStore counted = new JdbcDurableTaskStore(counter, PREFIX);
        List<OrchestrationCommit> commits = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            String id = newInstanceId("grouped-commit-" + i);
            counted.create(new NewInstance(id, "sequence", "1", null, NOW, NOW));
            OrchestrationWorkItem claimed = counted.claimInstance(id, nextToken(), NOW).orElseThrow();
            commits.add(new OrchestrationCommit(id, claimed.token(), 0,
                    List.of(new OrchestratorStarted(NOW), claimed.messages().get(0).message().event(),
                            new TaskScheduled(NOW, 1, "add", "1")),
                    claimed.messages().stream().map(ReceivedMessage::id).toList(), OrchestrationStatus.RUNNING, null,
                    null, false, null, List.of(), List.of(),
                    List.of(new NewActivity(id, 1, 1, "add", "1", ActivityOptions.DEFAULTS, NOW)), NOW));
        }
        OrchestrationCommit stale = commits.get(10);
        counted.claimInstance(stale.instanceId(), nextToken(), NOW).orElseThrow();
        List<Future<?>> written = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            counter.holdConnections();
            written.add(threads.submit(() -> counted.commit(commits.get(0))));
            await().atMost(Duration.ofSeconds(10)).until(() -> counter.held() == 1);
            for (OrchestrationCommit commit : commits.subList(1, 11)) {
                written.add(threads.submit(() -> counted.commit(commit)));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> counted.queuedCommits() == 10);
            assertThat(counter.during(() -> {
                counter.releaseConnections();
                written.forEach((result) -> await().atMost(Duration.ofSeconds(10)).until(result::isDone));
            })).as("the first alone, the ten others together, the refusal's read").isEqualTo(new Counts(3, 0));
        }
        for (int i = 0; i < 10; i++) {
            assertThat(written.get(i).get()).isNull();
            assertThat(counted.instance(commits.get(i).instanceId()).orElseThrow().historyLength()).isEqualTo(3);
            assertThat(counted.history(commits.get(i).instanceId())).containsExactlyElementsOf(commits.get(i).events());
        }
        assertThat(written.get(10)).failsWithin(Duration.ofSeconds(10))
            .withThrowableOfType(ExecutionException.class)
            .withCauseInstanceOf(LeaseLostException.class);
        assertThat(counted.history(stale.instanceId())).isEmpty();
        assertThat(counted.dueActivities(NOW, 100_000)).contains(commits.get(0).activities().get(0).id(),
                commits.get(9).activities().get(0).id()).doesNotContain(stale.activities().get(0).id());
    }

    private static TaskMessage outcome(String instanceId) {
        return new TaskMessage(instanceId, 1, new TaskCompleted(NOW, 1, "2"), NOW);
    }

    private record Counts(int statements, int commits) {
    }

    /** Counts the statements prepared and the transactions committed on its connections. */
    private static final class StatementCounter extends DelegatingDataSource {

        private final AtomicInteger statements = new AtomicInteger();

        private final AtomicInteger commits = new AtomicInteger();

        private final AtomicInteger held = new AtomicInteger();

        private volatile CountDownLatch gate = new CountDownLatch(0);

        StatementCounter(HikariDataSource target) {
            super(target);
        }

        /** Holds every connection asked for from now on until {@link #releaseConnections()}. */
        void holdConnections() {
            this.gate = new CountDownLatch(1);
        }

        void releaseConnections() {
            this.gate.countDown();
        }

        int held() {
            return this.held.get();
        }

        Counts during(Runnable work) {
            this.statements.set(0);
            this.commits.set(0);
            work.run();
            return new Counts(this.statements.get(), this.commits.get());
        }

        @Override
        public Connection getConnection() throws SQLException {
            this.held.incrementAndGet();
            try {
                if (!this.gate.await(30, TimeUnit.SECONDS)) {
                    throw new SQLException("The test held the connection too long");
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new SQLException(ex);
            }
            finally {
                this.held.decrementAndGet();
            }
            Connection connection = obtainTargetDataSource().getConnection();
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Connection.class },
                    (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "prepareStatement", "prepareCall", "createStatement" ->
                                this.statements.incrementAndGet();
                            case "commit" -> this.commits.incrementAndGet();
                            default -> {
                            }
                        }
                        try {
                            return method.invoke(connection, args);
                        }
                        catch (InvocationTargetException ex) {
                            throw ex.getCause();
                        }
                    });
        }
    }
}
