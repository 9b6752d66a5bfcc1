package dev.quark.durabletasks.store.memory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.history.ExecutionResumed;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.ExecutionTerminated;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.ChildInstance;
import dev.quark.durabletasks.store.DurableTaskResources;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.HistoryConflictException;
import dev.quark.durabletasks.store.InstanceRecord;
import dev.quark.durabletasks.store.NewActivity;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.store.OrchestrationWorkItem;
import dev.quark.durabletasks.store.ReceivedMessage;
import dev.quark.durabletasks.store.TaskMessage;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseLostException;
import org.jspecify.annotations.Nullable;

/**
 * Keeps instances, histories and queues in maps of this JVM, behind one lock: nothing survives the process. For
 * single-process applications and tests; a new store on the same process starts empty.
 */
public class InMemoryDurableTaskStore implements DurableTaskStore {

    private final Object lock = new Object();

    private final Map<String, Instance> instances = new HashMap<>();

    private final Map<String, List<HistoryEvent>> histories = new HashMap<>();

    private final TreeMap<Long, TaskMessage> messages = new TreeMap<>();

    private final Map<String, QueuedActivity> activities = new HashMap<>();

    private long nextMessageId = 1;

    private long nextActivitySequence = 1;

    @Override
    public Optional<InstanceRecord> create(NewInstance instance) {
        synchronized (this.lock) {
            Instance existing = this.instances.get(instance.instanceId());
            if (existing != null) {
                return Optional.of(existing.record);
            }
            insert(instance);
            return Optional.empty();
        }
    }

    private void insert(NewInstance instance) {
        this.instances.put(instance.instanceId(), new Instance(new InstanceRecord(instance.instanceId(), instance.name(),
                OrchestrationStatus.PENDING, 1, 0, instance.input(), null, null, instance.parent(), instance.createdAt(),
                instance.createdAt(), instance.startAt(), null, instance.version())));
        this.histories.put(instance.instanceId(), new ArrayList<>());
        add(new TaskMessage(instance.instanceId(), 1,
                new ExecutionStarted(instance.createdAt(), instance.name(), instance.input(), instance.parent(),
                        instance.version()),
                instance.startAt()));
    }

    @Override
    public Optional<InstanceRecord> instance(String instanceId) {
        synchronized (this.lock) {
            Instance instance = this.instances.get(instanceId);
            return (instance != null) ? Optional.of(instance.record) : Optional.empty();
        }
    }

    @Override
    public List<HistoryEvent> history(String instanceId) {
        synchronized (this.lock) {
            return List.copyOf(this.histories.getOrDefault(instanceId, List.of()));
        }
    }

    @Override
    public List<InstanceRecord> list(OrchestrationQuery query) {
        synchronized (this.lock) {
            String after = query.afterInstanceId();
            return this.instances.values()
                .stream()
                .map((instance) -> instance.record)
                .filter(query::matches)
                .filter((record) -> after == null || record.instanceId().compareTo(after) > 0)
                .sorted(Comparator.comparing(InstanceRecord::instanceId))
                .limit(query.limit())
                .toList();
        }
    }

    @Override
    public Map<OrchestrationStatus, Long> countByStatus() {
        synchronized (this.lock) {
            Map<OrchestrationStatus, Long> counts = new EnumMap<>(OrchestrationStatus.class);
            this.instances.values().forEach((instance) -> counts.merge(instance.record.status(), 1L, Long::sum));
            return counts;
        }
    }

    @Override
    public boolean send(TaskMessage message) {
        synchronized (this.lock) {
            Instance instance = this.instances.get(message.instanceId());
            if (instance == null || instance.record.status().isFinal()) {
                return false;
            }
            add(message);
            return true;
        }
    }

    @Override
    public boolean purge(String instanceId) {
        synchronized (this.lock) {
            Instance instance = this.instances.get(instanceId);
            if (instance == null || !instance.record.status().isFinal()) {
                return false;
            }
            this.instances.remove(instanceId);
            this.histories.remove(instanceId);
            this.messages.values().removeIf((message) -> message.instanceId().equals(instanceId));
            this.activities.values().removeIf((activity) -> activity.call.instanceId().equals(instanceId));
            return true;
        }
    }

    @Override
    public List<String> dueInstances(Instant now, int limit) {
        synchronized (this.lock) {
            Set<String> due = new LinkedHashSet<>();
            for (TaskMessage message : this.messages.values()) {
                if (due.size() >= limit) {
                    break;
                }
                Instance instance = this.instances.get(message.instanceId());
                if (!message.visibleAt().isAfter(now) && instance != null && !instance.record.startAt().isAfter(now)
                        && (instance.record.status() != OrchestrationStatus.SUSPENDED
                                || message.event() instanceof ExecutionResumed
                                || message.event() instanceof ExecutionTerminated)) {
                    due.add(message.instanceId());
                }
            }
            return List.copyOf(due);
        }
    }

    @Override
    public Optional<Instant> nextVisibleAfter(Instant now) {
        synchronized (this.lock) {
            Instant earliest = null;
            for (TaskMessage message : this.messages.values()) {
                Instance instance = this.instances.get(message.instanceId());
                Instant at = (instance != null && instance.record.startAt().isAfter(message.visibleAt()))
                        ? instance.record.startAt() : message.visibleAt();
                if (at.isAfter(now) && (earliest == null || at.isBefore(earliest))) {
                    earliest = at;
                }
            }
            for (QueuedActivity activity : this.activities.values()) {
                if (activity.visibleAt.isAfter(now) && (earliest == null || activity.visibleAt.isBefore(earliest))) {
                    earliest = activity.visibleAt;
                }
            }
            return Optional.ofNullable(earliest);
        }
    }

    @Override
    public Optional<OrchestrationWorkItem> claimInstance(String instanceId, FencingToken token, Instant now) {
        synchronized (this.lock) {
            Instance instance = this.instances.get(instanceId);
            if (instance == null || !stamp(instance.token, token)) {
                return Optional.empty();
            }
            instance.token = token;
            List<ReceivedMessage> visible = new ArrayList<>();
            this.messages.forEach((id, message) -> {
                if (message.instanceId().equals(instanceId) && !message.visibleAt().isAfter(now)) {
                    visible.add(new ReceivedMessage(id, message));
                }
            });
            return Optional.of(new OrchestrationWorkItem(instance.record, token,
                    this.histories.getOrDefault(instanceId, List.of()), visible));
        }
    }

    @Override
    public void commit(OrchestrationCommit commit) {
        synchronized (this.lock) {
            Instance instance = this.instances.get(commit.instanceId());
            if (instance == null) {
                throw new HistoryConflictException(commit.instanceId(), commit.expectedHistoryLength(), -1);
            }
            if (!commit.token().equals(instance.token)) {
                throw new LeaseLostException(DurableTaskResources.instance(commit.instanceId()), commit.token(), null);
            }
            InstanceRecord current = instance.record;
            if (current.historyLength() != commit.expectedHistoryLength()) {
                throw new HistoryConflictException(commit.instanceId(), commit.expectedHistoryLength(),
                        current.historyLength());
            }
            List<HistoryEvent> history = this.histories.computeIfAbsent(commit.instanceId(), (id) -> new ArrayList<>());
            if (commit.continueAsNew()) {
                history.clear();
            }
            else {
                history.addAll(commit.events());
            }
            commit.consumedMessages().forEach(this.messages::remove);
            instance.record = new InstanceRecord(current.instanceId(), current.name(), commit.status(),
                    commit.continueAsNew() ? current.execution() + 1 : current.execution(), history.size(),
                    commit.continueAsNew() ? commit.nextInput() : current.input(), commit.output(), commit.failure(),
                    current.parent(), current.createdAt(), commit.updatedAt(), current.startAt(),
                    (commit.customStatus() != null) ? commit.customStatus() : current.customStatus(),
                    commit.startedVersion().orElse(current.version()));
            for (ChildInstance child : commit.children()) {
                if (this.instances.containsKey(child.instance().instanceId())) {
                    add(child.ifExists());
                }
                else {
                    insert(child.instance());
                }
            }
            for (TaskMessage message : commit.messages()) {
                if (this.instances.containsKey(message.instanceId())) {
                    add(message);
                }
            }
            for (NewActivity activity : commit.activities()) {
                this.activities.putIfAbsent(activity.id(),
                        new QueuedActivity(activity, this.nextActivitySequence++, activity.scheduledAt()));
            }
        }
    }

    @Override
    public List<String> dueActivities(Instant now, int limit) {
        synchronized (this.lock) {
            return this.activities.entrySet()
                .stream()
                .filter((entry) -> !entry.getValue().visibleAt.isAfter(now))
                .sorted(Comparator.comparing((Map.Entry<String, QueuedActivity> entry) -> entry.getValue().visibleAt)
                    .thenComparingLong((entry) -> entry.getValue().sequence))
                .limit(limit)
                .map(Map.Entry::getKey)
                .toList();
        }
    }

    @Override
    public Optional<ActivityWorkItem> claimActivity(String activityId, FencingToken token, Instant now) {
        synchronized (this.lock) {
            QueuedActivity activity = this.activities.get(activityId);
            if (activity == null || activity.visibleAt.isAfter(now) || !stamp(activity.token, token)) {
                return Optional.empty();
            }
            activity.token = token;
            NewActivity call = activity.call;
            return Optional.of(new ActivityWorkItem(activityId, token, call.instanceId(), call.execution(), call.taskId(),
                    call.name(), call.input(), call.options(), activity.attempt, call.scheduledAt(),
                    activity.heartbeatDetails));
        }
    }

    @Override
    public boolean completeActivity(String activityId, FencingToken token, TaskMessage outcome) {
        synchronized (this.lock) {
            QueuedActivity activity = this.activities.get(activityId);
            if (activity == null || !token.equals(activity.token)) {
                return false;
            }
            this.activities.remove(activityId);
            Instance instance = this.instances.get(outcome.instanceId());
            if (instance != null && !instance.record.status().isFinal()) {
                add(outcome);
            }
            return true;
        }
    }

    @Override
    public boolean retryActivity(String activityId, FencingToken token, int nextAttempt, Instant visibleAt) {
        synchronized (this.lock) {
            QueuedActivity activity = this.activities.get(activityId);
            if (activity == null || !token.equals(activity.token)) {
                return false;
            }
            activity.attempt = nextAttempt;
            activity.visibleAt = visibleAt;
            return true;
        }
    }

    @Override
    public boolean recordHeartbeat(String activityId, FencingToken token, String details) {
        synchronized (this.lock) {
            QueuedActivity activity = this.activities.get(activityId);
            if (activity == null || !token.equals(activity.token)) {
                return false;
            }
            activity.heartbeatDetails = details;
            return true;
        }
    }

    private void add(TaskMessage message) {
        this.messages.put(this.nextMessageId++, message);
    }

    private static boolean stamp(@Nullable FencingToken current, FencingToken token) {
        return current == null || !current.isNewerThan(token);
    }

    @Override
    public String toString() {
        return "InMemoryDurableTaskStore";
    }

    private static final class Instance {

        private InstanceRecord record;

        private @Nullable FencingToken token;

        Instance(InstanceRecord record) {
            this.record = record;
        }
    }

    private static final class QueuedActivity {

        private final NewActivity call;

        private final long sequence;

        private Instant visibleAt;

        private int attempt = 1;

        private @Nullable FencingToken token;

        private @Nullable String heartbeatDetails;

        QueuedActivity(NewActivity call, long sequence, Instant visibleAt) {
            this.call = call;
            this.sequence = sequence;
            this.visibleAt = visibleAt;
        }
    }
}
