package dev.quark.durabletasks.store.jdbc;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.history.EventRaised;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.OrchestratorStarted;
import dev.quark.durabletasks.history.TaskCompleted;
import dev.quark.durabletasks.history.TaskScheduled;
import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.NewActivity;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.store.OrchestrationWorkItem;
import dev.quark.durabletasks.store.ReceivedMessage;
import dev.quark.durabletasks.store.TaskMessage;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseLostException;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The PostgreSQL store's {@linkplain JdbcDurableTaskStore#rowLeases() row leases}: one claim finds, leases and
 * stamps due work; leased work is skipped until its lease is freed or expires; the write that ends the work frees it;
 * a taken-over worker records nothing. Each test has tables of its own (emptied before it), so that a claim sees only
 * the test's work.
 */
class JdbcRowLeasesTests {

    private static final TablePrefix PREFIX = new TablePrefix("rowlease_");

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private static final Duration LEASE = Duration.ofSeconds(30);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcDurableTaskStore store;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcRowLeasesTests.class);
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

    @BeforeEach
    void empty() {
        JdbcClient.create(dataSource).sql("truncate " + String.join(", ", store.tables())).update();
    }

    @Test
    void aClaimLeasesDueInstancesWithTheirMessagesAndSkipsThemUntilTheLeaseExpires() {
        for (int i = 0; i < 3; i++) {
            store.create(new NewInstance("order-" + i, "order", "\"" + i + "\"", null, NOW, NOW));
        }
        List<OrchestrationWorkItem> first = store.claimInstances("node-a", NOW, LEASE, 10);
        assertThat(first).extracting((item) -> item.instance().instanceId())
            .containsExactly("order-0", "order-1", "order-2");
        assertThat(first).allSatisfy((item) -> {
            assertThat(item.history()).isEmpty();
            assertThat(item.messages()).hasSize(1);
        });
        assertThat(first).extracting(OrchestrationWorkItem::token).doesNotHaveDuplicates();

        assertThat(store.claimInstances("node-b", NOW, LEASE, 10)).as("leased").isEmpty();
        expireLeases("durable_instance", Duration.ZERO);
        List<OrchestrationWorkItem> taken = store.claimInstances("node-b", NOW, LEASE, 10);
        assertThat(taken).as("expired").hasSize(3);
        OrchestrationWorkItem stale = first.get(0);
        OrchestrationWorkItem current = taken.stream()
            .filter((item) -> item.instance().instanceId().equals("order-0"))
            .findFirst()
            .orElseThrow();
        assertThat(current.token().isNewerThan(stale.token())).isTrue();
        assertThatExceptionOfType(LeaseLostException.class).isThrownBy(() -> store.commit(start(stale, List.of())));
        store.commit(start(current, List.of()));
    }

    @Test
    void theCommitFreesTheInstanceWhichIsClaimedAgainWithItsNextMessage() {
        store.create(new NewInstance("order", "order", null, null, NOW, NOW));
        OrchestrationWorkItem item = store.claimInstances("node-a", NOW, LEASE, 10).get(0);
        NewActivity call = new NewActivity("order", 1, 1, "charge", "\"card\"", ActivityOptions.DEFAULTS, NOW);
        store.commit(start(item, List.of(call)));
        assertThat(store.claimInstances("node-a", NOW, LEASE, 10)).as("no message").isEmpty();
        store.send(new TaskMessage("order", 1, new EventRaised(NOW, "approved", null), NOW));

        List<OrchestrationWorkItem> next = store.claimInstances("node-b", NOW, LEASE, 10);
        assertThat(next).hasSize(1);
        assertThat(next.get(0).history()).hasSize(3);
        assertThat(next.get(0).messages()).extracting(ReceivedMessage::message)
            .extracting(TaskMessage::event)
            .hasOnlyElementsOfType(EventRaised.class);
        assertThat(next.get(0).token().isNewerThan(item.token())).isTrue();
    }

    @Test
    void anActivityCallIsLeasedUntilItsCompletionRetryOrReleaseFreesIt() {
        store.create(new NewInstance("order", "order", null, null, NOW, NOW));
        OrchestrationWorkItem item = store.claimInstances("node-a", NOW, LEASE, 10).get(0);
        store.commit(start(item, List.of(new NewActivity("order", 1, 1, "charge", "1", ActivityOptions.DEFAULTS, NOW),
                new NewActivity("order", 1, 2, "ship", "2", ActivityOptions.DEFAULTS, NOW))));

        List<ActivityWorkItem> calls = store.claimActivities("node-a", NOW, LEASE, 10);
        assertThat(calls).extracting(ActivityWorkItem::taskId).containsExactlyInAnyOrder(1, 2);
        assertThat(store.claimActivities("node-b", NOW, LEASE, 10)).isEmpty();
        ActivityWorkItem charge = calls.stream().filter((call) -> call.taskId() == 1).findFirst().orElseThrow();
        ActivityWorkItem ship = calls.stream().filter((call) -> call.taskId() == 2).findFirst().orElseThrow();

        assertThat(store.renewActivities(Map.of(charge.id(), charge.token(), ship.id(), new FencingToken(1)),
                Duration.ofHours(1)))
            .as("only the current token renews").containsExactly(charge.id());
        expireLeases("durable_activity", Duration.ofMinutes(1));
        assertThat(store.claimActivities("node-b", NOW, LEASE, 10))
            .as("the renewed call stays leased, the other expired")
            .extracting(ActivityWorkItem::id)
            .containsExactly(ship.id());

        assertThat(store.retryActivity(charge.id(), charge.token(), 2, NOW)).isTrue();
        assertThat(store.renewActivities(Map.of(charge.id(), charge.token()), LEASE))
            .as("a freed lease is not renewed").isEmpty();
        ActivityWorkItem again = store.claimActivities("node-c", NOW, LEASE, 10).get(0);
        assertThat(again.attempt()).isEqualTo(2);
        store.releaseActivity(again.id(), again.token());
        ActivityWorkItem released = store.claimActivities("node-d", NOW, LEASE, 10).get(0);
        assertThat(released.token().isNewerThan(again.token())).isTrue();

        TaskMessage outcome = new TaskMessage("order", 1, new TaskCompleted(NOW, 1, "\"ok\""), NOW);
        assertThat(store.completeActivity(released.id(), again.token(), outcome)).as("stale").isFalse();
        assertThat(store.completeActivity(released.id(), released.token(), outcome)).isTrue();
        expireLeases("durable_activity", Duration.ofHours(2));
        assertThat(store.claimActivities("node-d", NOW.plus(Duration.ofHours(1)), LEASE, 10))
            .as("the completed call is gone")
            .extracting(ActivityWorkItem::id)
            .containsExactly(ship.id());
    }

    @Test
    void aCommitLeasesTheCallsItQueuesUpToItsLimitAndLeavesTheRestForClaims() {
        store.create(new NewInstance("order", "order", null, null, NOW, NOW));
        OrchestrationWorkItem item = store.claimInstances("node-a", NOW, LEASE, 10).get(0);
        List<NewActivity> calls = List.of(new NewActivity("order", 1, 1, "reserve", "1", ActivityOptions.DEFAULTS, NOW),
                new NewActivity("order", 1, 2, "charge", "2", ActivityOptions.DEFAULTS, NOW),
                new NewActivity("order", 1, 3, "ship", "3", ActivityOptions.DEFAULTS, NOW));

        List<ActivityWorkItem> leased = store.commitLeasingActivities(start(item, calls), "node-a", LEASE, 2);
        assertThat(leased).extracting(ActivityWorkItem::taskId).containsExactly(1, 2);
        assertThat(leased).allSatisfy((call) -> {
            assertThat(call.attempt()).isEqualTo(1);
            assertThat(call.instanceId()).isEqualTo("order");
            assertThat(call.heartbeatDetails()).isNull();
        });
        assertThat(leased.get(0).input()).isEqualTo("1");
        assertThat(leased.get(1).name()).isEqualTo("charge");
        assertThat(leased).extracting(ActivityWorkItem::token).doesNotHaveDuplicates();
        assertThat(leased.get(0).token().isNewerThan(item.token())).isTrue();
        assertThat(store.claimActivities("node-b", NOW, LEASE, 10)).as("only the call past the limit is free")
            .extracting(ActivityWorkItem::taskId)
            .containsExactly(3);

        ActivityWorkItem reserve = leased.get(0);
        assertThat(store.renewActivities(Map.of(reserve.id(), reserve.token()), LEASE)).containsExactly(reserve.id());
        TaskMessage outcome = new TaskMessage("order", 1, new TaskCompleted(NOW, 1, "\"ok\""), NOW);
        assertThat(store.completeActivity(reserve.id(), reserve.token(), outcome)).isTrue();
        expireLeases("durable_activity", Duration.ZERO);
        ActivityWorkItem charge = store.claimActivities("node-b", NOW, LEASE, 10).get(0);
        assertThat(charge.taskId()).as("a leased call whose lease expired is taken over").isEqualTo(2);
        assertThat(charge.token().isNewerThan(leased.get(1).token())).isTrue();
        assertThat(store.completeActivity(charge.id(), leased.get(1).token(), outcome)).as("stale").isFalse();
    }

    @Test
    void aRefusedCommitLeasesNothingAndAPlainCommitLeavesEveryCallFree() {
        store.create(new NewInstance("order", "order", null, null, NOW, NOW));
        OrchestrationWorkItem item = store.claimInstances("node-a", NOW, LEASE, 10).get(0);
        NewActivity call = new NewActivity("order", 1, 1, "reserve", "1", ActivityOptions.DEFAULTS, NOW);
        OrchestrationCommit stale = start(new OrchestrationWorkItem(item.instance(),
                new FencingToken(item.token().value() - 1), item.history(), item.messages()), List.of(call));
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> store.commitLeasingActivities(stale, "node-a", LEASE, 5));
        assertThat(store.claimActivities("node-b", NOW, LEASE, 10)).as("nothing queued").isEmpty();

        assertThat(store.commitLeasingActivities(start(item, List.of(call)), "node-a", LEASE, 0)).isEmpty();
        assertThat(store.claimActivities("node-b", NOW, LEASE, 10)).extracting(ActivityWorkItem::taskId)
            .containsExactly(1);
        assertThatExceptionOfType(IllegalArgumentException.class)
            .isThrownBy(() -> store.commitLeasingActivities(start(item, List.of()), "node-a", LEASE, -1))
            .withMessageContaining("-1");
    }

    @Test
    void anUnreadableInstanceIsLeftOutAndFreedWithoutHoldingTheRestOfItsBatch() {
        store.create(new NewInstance("bad", "order", null, null, NOW, NOW));
        store.create(new NewInstance("good", "order", null, null, NOW, NOW));
        JdbcClient jdbc = JdbcClient.create(dataSource);
        jdbc.sql("update " + PREFIX.table("durable_message")
                + " set event = '{\"type\":\"Nope\",\"timestamp\":\"2026-01-01T00:00:00Z\"}' "
                + "where instance_id = 'bad'")
            .update();

        assertThat(store.claimInstances("node-a", NOW, LEASE, 2)).as("the readable instance is handed over")
            .extracting((item) -> item.instance().instanceId())
            .containsExactly("good");
        assertThat(jdbc.sql("select lease_expires_at is null from " + PREFIX.table("durable_instance")
                + " where instance_id = 'bad'").query(Boolean.class).single())
            .as("the unreadable instance's lease is freed").isTrue();
        assertThat(jdbc.sql("select count(*) from " + PREFIX.table("durable_message") + " where instance_id = 'bad'")
            .query(Long.class)
            .single()).as("its message stays for the next step").isEqualTo(1);
        assertThat(store.claimInstances("node-b", NOW, LEASE, 2)).as("claimed, unreadable again, freed")
            .isEmpty();
    }

    @Test
    void aStepThatWroteNothingReleasesTheInstanceForTheNextClaim() {
        store.create(new NewInstance("order", "order", null, null, NOW, NOW));
        OrchestrationWorkItem item = store.claimInstances("node-a", NOW, LEASE, 10).get(0);
        assertThat(store.renewInstances(Map.of("order", item.token()), LEASE)).containsExactly("order");
        store.releaseInstance("order", new FencingToken(item.token().value() - 1));
        assertThat(store.claimInstances("node-b", NOW, LEASE, 10)).as("a stale release frees nothing")
            .isEmpty();
        store.releaseInstance("order", item.token());
        assertThat(store.claimInstances("node-b", NOW, LEASE, 10)).hasSize(1);
    }

    @Test
    void concurrentClaimsNeverTakeTheSameCall() throws Exception {
        store.create(new NewInstance("fan-out", "fan-out", null, null, NOW, NOW));
        OrchestrationWorkItem item = store.claimInstances("node-a", NOW, LEASE, 10).get(0);
        List<NewActivity> calls = new ArrayList<>();
        for (int task = 1; task <= 60; task++) {
            calls.add(new NewActivity("fan-out", 1, task, "add", "1", ActivityOptions.DEFAULTS, NOW));
        }
        store.commit(start(item, calls));
        List<Callable<List<String>>> claimers = new ArrayList<>();
        for (int node = 0; node < 4; node++) {
            String owner = "node-" + node;
            claimers.add(() -> {
                List<String> mine = new ArrayList<>();
                for (int round = 0; round < 60; round++) {
                    List<ActivityWorkItem> claimed = store.claimActivities(owner, NOW, LEASE, 4);
                    if (claimed.isEmpty()) {
                        break;
                    }
                    claimed.forEach((call) -> mine.add(call.id()));
                }
                return mine;
            });
        }
        List<String> all = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<List<String>> claimed : threads.invokeAll(claimers, 60, TimeUnit.SECONDS)) {
                all.addAll(claimed.get());
            }
        }
        assertThat(all).hasSize(60).doesNotHaveDuplicates();
    }

    @Test
    void aWorkerWhoseClockRunsFarAheadDoesNotTakeOverALiveLease() {
        store.create(new NewInstance("order", "order", null, null, NOW, NOW));
        OrchestrationWorkItem item = store.claimInstances("node-a", NOW, LEASE, 10).get(0);
        store.commit(start(item, List.of(new NewActivity("order", 1, 1, "charge", "1", ActivityOptions.DEFAULTS, NOW))));
        store.send(new TaskMessage("order", 1, new EventRaised(NOW, "approved", null), NOW));
        assertThat(store.claimInstances("node-a", NOW, LEASE, 10)).hasSize(1);
        assertThat(store.claimActivities("node-a", NOW, LEASE, 10)).hasSize(1);

        Instant skewed = NOW.plus(Duration.ofDays(365));
        assertThat(store.claimInstances("node-b", skewed, LEASE, 10)).as("a clock a year ahead: the instance").isEmpty();
        assertThat(store.claimActivities("node-b", skewed, LEASE, 10)).as("a clock a year ahead: the call").isEmpty();
        expireLeases("durable_instance", Duration.ZERO);
        expireLeases("durable_activity", Duration.ZERO);
        assertThat(store.claimInstances("node-b", NOW, LEASE, 10)).as("expired on the server's clock").hasSize(1);
        assertThat(store.claimActivities("node-b", NOW, LEASE, 10)).as("expired on the server's clock").hasSize(1);
    }

    /**
     * Expires the leases in a table that would otherwise expire within a lease duration plus a margin from now: leases
     * expire on the server's clock, which a test cannot move.
     */
    private static void expireLeases(String table, Duration within) {
        JdbcClient.create(dataSource)
            .sql("update " + PREFIX.table(table) + " set lease_expires_at = clock_timestamp() - interval '1 millisecond' "
                    + "where lease_expires_at <= clock_timestamp() + ?::bigint * interval '1 millisecond'")
            .param(within.plus(LEASE).toMillis())
            .update();
    }

    private static OrchestrationCommit start(OrchestrationWorkItem item, List<NewActivity> calls) {
        String id = item.instance().instanceId();
        List<HistoryEvent> events = new ArrayList<>();
        events.add(new OrchestratorStarted(NOW));
        item.messages().forEach((message) -> events.add(message.message().event()));
        calls.forEach((call) -> events.add(new TaskScheduled(NOW, call.taskId(), call.name(), call.input())));
        return new OrchestrationCommit(id, item.token(), item.instance().historyLength(), events,
                item.messages().stream().map(ReceivedMessage::id).toList(), OrchestrationStatus.RUNNING, null, null,
                false, null, List.of(), List.of(), calls, NOW);
    }
}
