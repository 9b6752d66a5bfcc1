package dev.quark.durabletasks.replay;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.NonDeterministicOrchestrationException;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.ScheduleOptions;
import dev.quark.durabletasks.client.InstanceUpdates;
import dev.quark.durabletasks.history.EventRaised;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.OrchestratorStarted;
import dev.quark.durabletasks.history.TaskCompleted;
import dev.quark.durabletasks.history.TaskScheduled;
import dev.quark.durabletasks.history.TimerCreated;
import dev.quark.durabletasks.client.StoreDurableTaskClient;
import dev.quark.durabletasks.payload.JacksonPayloadConverter;
import dev.quark.durabletasks.store.memory.InMemoryDurableTaskStore;
import dev.quark.durabletasks.worker.DurableTaskWorker;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import dev.quark.testkit.durabletasks.HistoryReplay;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class OrchestrationReplayerTests {

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler scheduler = new ManualScheduler(this.clock);

    private final InMemoryDurableTaskStore store = new InMemoryDurableTaskStore();

    private final JacksonPayloadConverter converter = new JacksonPayloadConverter();

    @AutoClose
    private DurableTaskWorker worker;

    @Test
    void aHistoryRecordedToAFileReplaysWithItsCodeAndReportsBothSidesWithChangedCode(@TempDir Path dir) {
        DurableTaskClient client = start(code((ctx) -> ctx.callActivity("echo", "a", String.class).await()));
        String id = client.schedule("flow", null, ScheduleOptions.instanceId("flow-1"));
        this.scheduler.runDueTasks();
        client.raiseEvent(id, "go", "!");
        this.scheduler.runDueTasks();
        assertThat(client.getState(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
        Path file = dir.resolve("histories/flow-1.json");
        RecordedHistory recorded = HistoryReplay.record(this.store, id, file);
        assertThat(HistoryReplay.read(file)).isEqualTo(recorded);
        assertThat(recorded.events()).isEqualTo(this.store.history(id));

        List<ReplayResult> same = HistoryReplay.assertDeterministic(
                new OrchestrationReplayer(code((ctx) -> ctx.callActivity("echo", "a", String.class).await()), this.converter),
                file);
        assertThat(same).singleElement().satisfies((result) -> {
            assertThat(result.isDeterministic()).isTrue();
            assertThat(result.replayedEvents()).isEqualTo(recorded.events().size());
            assertThat(result.orchestration()).isEqualTo("flow");
        });

        OrchestrationReplayer changed = new OrchestrationReplayer(
                code((ctx) -> ctx.callActivity("other", "a", String.class).await()), this.converter);
        ReplayResult result = changed.replay(HistoryReplay.read(file));
        assertThat(result.isDeterministic()).isFalse();
        assertThatExceptionOfType(NonDeterministicOrchestrationException.class).isThrownBy(result::requireDeterministic)
            .withMessageContaining("instance 'flow-1' is not deterministic at task 1")
            .withMessageContaining("the history has activity 'echo'")
            .withMessageContaining("the code started activity 'other'");
        assertThatExceptionOfType(AssertionError.class).isThrownBy(() -> HistoryReplay.assertDeterministic(changed, file))
            .withMessageStartingWith("1 of 1 histories do not replay with this code:");
    }

    @Test
    void aCompletedHistoryWhoseCodeNowWaitsForMoreDiverges() {
        DurableTaskClient client = start(code((ctx) -> ctx.callActivity("echo", "a", String.class).await()));
        String id = client.schedule("flow", null, ScheduleOptions.instanceId("flow-2"));
        this.scheduler.runDueTasks();
        client.raiseEvent(id, "go", "!");
        this.scheduler.runDueTasks();
        OrchestrationReplayer waitsMore = new OrchestrationReplayer(code((ctx) -> {
            String first = ctx.callActivity("echo", "a", String.class).await();
            return first + ctx.waitForExternalEvent("again", String.class).await();
        }), this.converter);
        ReplayResult result = waitsMore.replay(this.store, id);
        assertThat(Objects.requireNonNull(result.divergence()).getMessage())
            .contains("at the end of the execution: the history has the execution completed (event")
            .endsWith("the code waits for a task there");
    }

    @Test
    void instancesInFlightAreCheckedInAStoreAndAGetVersionGuardKeepsThemReplayable() {
        DurableTaskClient client = start(code((ctx) -> ctx.callActivity("echo", "a", String.class).await()));
        for (int i = 0; i < 3; i++) {
            client.schedule("flow", null, ScheduleOptions.instanceId("running-" + i));
        }
        this.scheduler.runDueTasks();
        OrchestrationQuery running = OrchestrationQuery.of(2, OrchestrationStatus.RUNNING);
        OrchestrationReplayer unguarded = new OrchestrationReplayer(code((ctx) -> {
            ctx.callActivity("other", "first", String.class).await();
            return ctx.callActivity("echo", "a", String.class).await();
        }), this.converter);
        assertThat(unguarded.replayAll(this.store, running)).hasSize(3).noneMatch(ReplayResult::isDeterministic);
        OrchestrationReplayer guarded = new OrchestrationReplayer(code((ctx) -> {
            if (ctx.getVersion("first-other", OrchestrationContext.DEFAULT_VERSION, 1) >= 1) {
                ctx.callActivity("other", "first", String.class).await();
            }
            return ctx.callActivity("echo", "a", String.class).await();
        }), this.converter);
        assertThat(HistoryReplay.assertDeterministic(guarded, this.store, running)).hasSize(3);
    }

    @Test
    void aTimerPastTheYear9999RecordedByOlderCodeStillReplaysWhileANewOneIsRefused() {
        Instant at = Instant.parse("2026-05-01T08:00:00Z");
        Instant tooLate = Instant.parse("+10000-01-01T00:00:00Z");
        Duration tooLong = Duration.between(at, tooLate);
        RecordedHistory recorded = new RecordedHistory("far-1", 1, List.of(new OrchestratorStarted(at),
                new ExecutionStarted(at, "flow", null, null, 0), new TimerCreated(at, 1, tooLate),
                new TimerCreated(at, 2, tooLate), new OrchestratorStarted(at.plusSeconds(60)),
                new EventRaised(at.plusSeconds(60), "go", "\"!\"")));
        OrchestrationReplayer replayer = new OrchestrationReplayer(code((ctx) -> {
            ctx.createTimer(tooLate);
            ctx.createTimer(tooLong);
            return "late";
        }), this.converter);
        ReplayResult result = replayer.replay(recorded);
        assertThat(result.divergence()).isNull();
        assertThat(result.failure()).isNull();

        RecordedHistory fresh = new RecordedHistory("far-2", 1, List.of(new OrchestratorStarted(at),
                new ExecutionStarted(at, "flow", null, null, 0)));
        ReplayResult refused = replayer.replay(fresh);
        assertThat(refused.isDeterministic()).isTrue();
        assertThat(refused.failure()).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(tooLate.toString())
            .hasMessageContaining("9999-12-31T23:59:59Z");
    }

    @Test
    void anActivityCallWithATimeoutPastTheYear9999RecordedByOlderCodeStillReplaysWhileANewOneIsRefused() {
        Instant at = Instant.parse("2026-05-01T08:00:00Z");
        Duration tooLong = Duration.ofDays(3_000_000);
        ActivityOptions far = ActivityOptions.DEFAULTS.withScheduleToCloseTimeout(tooLong);
        RecordedHistory recorded = new RecordedHistory("far-calls-1", 1, List.of(new OrchestratorStarted(at),
                new ExecutionStarted(at, "flow", null, null, 0), new TaskScheduled(at, 1, "echo", "\"a\""),
                new OrchestratorStarted(at.plusSeconds(60)), new TaskCompleted(at.plusSeconds(60), 1, "\"a:\"")));
        OrchestrationReplayer replayer = new OrchestrationReplayer(code((ctx) -> ctx.callActivity("echo", "a",
                String.class, far).await()), this.converter);
        ReplayResult result = replayer.replay(recorded);
        assertThat(result.divergence()).isNull();
        assertThat(result.failure()).isNull();

        RecordedHistory fresh = new RecordedHistory("far-calls-2", 1, List.of(new OrchestratorStarted(at),
                new ExecutionStarted(at, "flow", null, null, 0)));
        ReplayResult refused = replayer.replay(fresh);
        assertThat(refused.isDeterministic()).isTrue();
        assertThat(refused.failure()).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(tooLong.toString())
            .hasMessageContaining("9999-12-31T23:59:59Z");
    }

    private DurableTaskClient start(DurableTaskRegistry registry) {
        this.worker = DurableTaskWorker.builder(this.store, new InMemoryLeaseStore(this.clock), registry)
            .clock(this.clock)
            .scheduler((at, task) -> this.scheduler.schedule(at, task)::cancel)
            .pollInterval(Duration.ofSeconds(10))
            .build();
        this.worker.start();
        return new StoreDurableTaskClient(this.store, this.converter, this.clock, registry, this.worker::wake,
                new InstanceUpdates());
    }

    private DurableTaskRegistry code(Function<OrchestrationContext, String> first) {
        return DurableTaskRegistry.builder(this.converter)
            .activity("echo", String.class, (ActivityContext ctx, String input) -> input + ":")
            .activity("other", String.class, (ActivityContext ctx, String input) -> input + "!")
            .orchestration("flow", String.class, () -> (ctx, input) -> {
                String result = first.apply(ctx);
                return result + ctx.waitForExternalEvent("go", String.class).await();
            })
            .build();
    }
}
