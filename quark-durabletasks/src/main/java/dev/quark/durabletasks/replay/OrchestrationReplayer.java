package dev.quark.durabletasks.replay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.NonDeterministicOrchestrationException;
import dev.quark.durabletasks.OrchestrationNotFoundException;
import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.history.ExecutionCompleted;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.internal.OrchestrationExecutor;
import dev.quark.durabletasks.internal.ReplayReport;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.InstanceRecord;
import org.jspecify.annotations.Nullable;

/**
 * Runs orchestration code against recorded histories and reports where it does not match them, so that a code
 * change is checked before it is deployed: the same replay a worker does, with no new events and nothing written.
 * Histories come from a store (the instances in flight) or from files recorded earlier ({@link RecordedHistory}).
 * <pre>{@code
 * OrchestrationReplayer replayer = new OrchestrationReplayer(registryOfTheNewCode, converter);
 * replayer.replay(RecordedHistory.fromJson(Files.readString(path))).requireDeterministic();
 * replayer.replayAll(store, OrchestrationQuery.of(1000, RUNNING))
 *     .forEach(ReplayResult::requireDeterministic);
 * }</pre>
 * A divergence is what a worker would fail the instance with ({@link NonDeterministicOrchestrationException}); a
 * history that completed but whose code now waits for more, or fails, or continues as new, diverges too.
 */
public final class OrchestrationReplayer {

    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

    private final OrchestrationExecutor executor;

    /**
     * Creates a replayer for some code.
     * @param registry the orchestrations (and activities) of the code to check
     * @param converter reads the recorded payloads
     */
    public OrchestrationReplayer(DurableTaskRegistry registry, PayloadConverter converter) {
        Objects.requireNonNull(registry, "registry must not be null");
        Objects.requireNonNull(converter, "converter must not be null");
        this.executor = new OrchestrationExecutor(registry, converter, STEP_TIMEOUT, Integer.MAX_VALUE - 1,
                Integer.MAX_VALUE);
    }

    /**
     * Replays one recorded history.
     * @param history the history
     * @return what the replay showed
     * @throws dev.quark.durabletasks.UnknownOrchestrationException when its orchestration is not registered
     */
    public ReplayResult replay(RecordedHistory history) {
        List<HistoryEvent> events = history.events();
        ReplayReport report = this.executor.replay(history.instanceId(), history.execution(), events);
        NonDeterministicOrchestrationException divergence =
                (report.failure() instanceof NonDeterministicOrchestrationException found) ? found
                        : endDivergence(history, report);
        Throwable failure = (divergence == null && report.outcome() == ReplayReport.Outcome.FAILED) ? report.failure()
                : null;
        return new ReplayResult(history.instanceId(), report.orchestration(), report.replayedEvents(), divergence,
                failure);
    }

    /**
     * Replays the current execution of an instance in a store.
     * @param store the store
     * @param instanceId the instance
     * @return what the replay showed
     * @throws OrchestrationNotFoundException when the instance does not exist
     */
    public ReplayResult replay(DurableTaskStore store, String instanceId) {
        InstanceRecord instance = store.instance(instanceId)
            .orElseThrow(() -> new OrchestrationNotFoundException(instanceId, "replay"));
        return replay(new RecordedHistory(instanceId, instance.execution(), store.history(instanceId)));
    }

    /**
     * Replays the instances of a store that a query finds (all its pages) and that have a history.
     * @param store the store
     * @param query which instances, for instance the running ones
     * @return what each replay showed
     */
    public List<ReplayResult> replayAll(DurableTaskStore store, OrchestrationQuery query) {
        List<ReplayResult> results = new ArrayList<>();
        OrchestrationQuery page = query;
        while (true) {
            List<InstanceRecord> instances = store.list(page);
            for (InstanceRecord instance : instances) {
                List<HistoryEvent> history = store.history(instance.instanceId());
                if (!history.isEmpty()) {
                    results.add(replay(new RecordedHistory(instance.instanceId(), instance.execution(), history)));
                }
            }
            if (instances.size() < page.limit()) {
                return results;
            }
            page = page.after(instances.get(instances.size() - 1).instanceId());
        }
    }

    /**
     * Checks the end: a history that completed must complete again.
     */
    private static @Nullable NonDeterministicOrchestrationException endDivergence(RecordedHistory history, ReplayReport report) {
        List<HistoryEvent> events = history.events();
        int last = events.size() - 1;
        if (last < 0 || !(events.get(last) instanceof ExecutionCompleted)
                || report.outcome() == ReplayReport.Outcome.COMPLETED) {
            return null;
        }
        String code = switch (report.outcome()) {
            case WAITING -> "waits for a task there";
            case FAILED -> "fails there with " + report.failure();
            case CONTINUED_AS_NEW -> "continues as new there";
            case COMPLETED -> "completes";
        };
        return new NonDeterministicOrchestrationException(report.orchestration(), history.instanceId(),
                "the end of the execution", "the execution completed (event " + last + ")", code);
    }
}
