package dev.quark.testkit.durabletasks;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.ParentClosePolicy;
import dev.quark.durabletasks.RetryOptions;
import dev.quark.durabletasks.history.ContinuedAsNew;
import dev.quark.durabletasks.history.EventRaised;
import dev.quark.durabletasks.history.ExecutionCancelRequested;
import dev.quark.durabletasks.history.ExecutionCompleted;
import dev.quark.durabletasks.history.ExecutionFailed;
import dev.quark.durabletasks.history.ExecutionResumed;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.ExecutionSuspended;
import dev.quark.durabletasks.history.ExecutionTerminated;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.OrchestratorStarted;
import dev.quark.durabletasks.history.ParentInstance;
import dev.quark.durabletasks.history.SubOrchestrationCompleted;
import dev.quark.durabletasks.history.SubOrchestrationCreated;
import dev.quark.durabletasks.history.SubOrchestrationFailed;
import dev.quark.durabletasks.history.TaskCompleted;
import dev.quark.durabletasks.history.TaskFailed;
import dev.quark.durabletasks.history.TaskScheduled;
import dev.quark.durabletasks.history.TimerCreated;
import dev.quark.durabletasks.history.TimerFired;
import dev.quark.durabletasks.history.VersionMarker;
import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.ChildInstance;
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
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The behaviour every {@link DurableTaskStore} must have, so that the in-memory and PostgreSQL stores (and yours) are
 * interchangeable: idempotent creation, messages in order once visible, atomic commits at an expected sequence
 * number, fencing by token of instances and activity calls, activity outcomes recorded once, continue-as-new,
 * sub-orchestrations, purge and listing, and every history event kept as it was written.
 * <p>
 * Subclass it and return the store under test; every test uses instance ids of its own, so one store may serve all
 * tests of the class:
 * <pre>{@code
 * class MyDurableTaskStoreTests extends DurableTaskStoreContractTests {
 *     private final DurableTaskStore store = new MyDurableTaskStore(...);
 *
 *     protected DurableTaskStore store() { return this.store; }
 * }
 * }</pre>
 */
public abstract class DurableTaskStoreContractTests {

    /** The instant tests run at; stores compare visibility with the instants callers pass. */
    protected static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private static final AtomicLong ids = new AtomicLong();

    private static final AtomicLong tokens = new AtomicLong(1_000);

    private final String run = Long.toHexString(System.nanoTime());

    /**
     * Returns the store under test.
     * @return the store
     */
    protected abstract DurableTaskStore store();

    /**
     * Returns an instance id no other test uses.
     * @param name what the instance is for
     * @return the id
     */
    protected String newInstanceId(String name) {
        return "contract-" + this.run + "-" + name + "-" + ids.incrementAndGet();
    }

    @Test
    void createStoresAPendingInstanceWithItsStartMessage() {
        String id = newInstanceId("created");
        assertThat(store().create(new NewInstance(id, "order", "{\"id\":7}", null, NOW, NOW))).isEmpty();
        InstanceRecord record = store().instance(id).orElseThrow();
        assertThat(record.name()).isEqualTo("order");
        assertThat(record.status()).isEqualTo(OrchestrationStatus.PENDING);
        assertThat(record.execution()).isEqualTo(1);
        assertThat(record.historyLength()).isZero();
        assertThat(record.input()).isEqualTo("{\"id\":7}");
        assertThat(record.createdAt()).isEqualTo(NOW);
        assertThat(record.output()).isNull();
        assertThat(record.failure()).isNull();
        assertThat(store().history(id)).isEmpty();
        assertThat(store().dueInstances(NOW, 10_000)).contains(id);
        OrchestrationWorkItem item = store().claimInstance(id, nextToken(), NOW).orElseThrow();
        assertThat(item.history()).isEmpty();
        assertThat(item.messages()).hasSize(1);
        assertThat(item.messages().get(0).message().execution()).isEqualTo(1);
        assertThat(item.messages().get(0).message().event())
            .isEqualTo(new ExecutionStarted(NOW, "order", "{\"id\":7}", null));
    }

    @Test
    void createIsIdempotentOnTheIdAndReturnsTheInstanceThatHasIt() {
        String id = newInstanceId("idempotent");
        assertThat(store().create(new NewInstance(id, "order", "1", null, NOW, NOW))).isEmpty();
        Optional<InstanceRecord> again = store().create(new NewInstance(id, "other", "2", null, NOW.plusSeconds(1),
                NOW.plusSeconds(1)));
        assertThat(again).hasValueSatisfying((existing) -> {
            assertThat(existing.name()).isEqualTo("order");
            assertThat(existing.input()).isEqualTo("1");
        });
        assertThat(store().claimInstance(id, nextToken(), NOW.plusSeconds(1)).orElseThrow().messages()).hasSize(1);
    }

    @Test
    void anInstanceIsNotDueBeforeItsStartTimeEvenWithEventsWaiting() {
        String id = newInstanceId("delayed");
        Instant start = NOW.plus(Duration.ofHours(1));
        store().create(new NewInstance(id, "order", null, null, NOW, start));
        assertThat(store().send(event(id, "early", NOW))).isTrue();
        assertThat(store().dueInstances(NOW, 10_000)).doesNotContain(id);
        assertThat(store().dueInstances(start, 10_000)).contains(id);
        List<ReceivedMessage> messages = store().claimInstance(id, nextToken(), start).orElseThrow().messages();
        assertThat(messages).extracting((message) -> message.message().event().getClass().getSimpleName())
            .containsExactly("ExecutionStarted", "EventRaised");
    }

    @Test
    void messagesAreHandedOutInTheOrderTheyWereStoredOnceVisible() {
        String id = newInstanceId("ordered");
        store().create(new NewInstance(id, "order", null, null, NOW, NOW));
        Instant later = NOW.plus(Duration.ofMinutes(5));
        assertThat(store().send(new TaskMessage(id, 1, new TimerFired(later, 1, later), later))).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(store().send(event(id, "e" + i, NOW))).isTrue();
        }
        List<ReceivedMessage> now = store().claimInstance(id, nextToken(), NOW).orElseThrow().messages();
        assertThat(now).extracting((message) -> describe(message.message().event()))
            .containsExactly("ExecutionStarted", "e0", "e1", "e2", "e3", "e4");
        assertThat(now).extracting(ReceivedMessage::id).isSorted();
        List<ReceivedMessage> atLater = store().claimInstance(id, nextToken(), later).orElseThrow().messages();
        assertThat(atLater).extracting((message) -> describe(message.message().event()))
            .containsExactly("ExecutionStarted", "TimerFired", "e0", "e1", "e2", "e3", "e4");
    }

    @Test
    void aCommitAppendsTheHistoryConsumesMessagesAndQueuesWorkAtomically() {
        String id = newInstanceId("committed");
        store().create(new NewInstance(id, "order", "\"in\"", null, NOW, NOW));
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        List<HistoryEvent> events = List.of(new OrchestratorStarted(NOW), item.messages().get(0).message().event(),
                new TaskScheduled(NOW, 1, "charge", "\"card\""), new TimerCreated(NOW, 2, NOW.plusSeconds(60)));
        Instant fire = NOW.plusSeconds(60);
        NewActivity charge = new NewActivity(id, 1, 1, "charge", "\"card\"", ActivityOptions.DEFAULTS, NOW);
        store().commit(new OrchestrationCommit(id, token, 0, events, ids(item), OrchestrationStatus.RUNNING, null, null,
                false, null, List.of(new TaskMessage(id, 1, new TimerFired(fire, 2, fire), fire)), List.of(),
                List.of(charge), NOW.plusSeconds(1)));
        assertThat(store().history(id)).containsExactlyElementsOf(events);
        InstanceRecord record = store().instance(id).orElseThrow();
        assertThat(record.status()).isEqualTo(OrchestrationStatus.RUNNING);
        assertThat(record.historyLength()).isEqualTo(4);
        assertThat(record.updatedAt()).isEqualTo(NOW.plusSeconds(1));
        assertThat(record.input()).isEqualTo("\"in\"");
        assertThat(store().dueInstances(NOW, 10_000)).doesNotContain(id);
        assertThat(store().claimInstance(id, token, NOW).orElseThrow().messages()).isEmpty();
        assertThat(store().dueInstances(fire, 10_000)).contains(id);
        assertThat(store().dueActivities(NOW, 10_000)).contains(charge.id());
    }

    @Test
    void twoCommitsAtTheSameSequenceNumberCannotBothAppend() {
        String id = newInstanceId("conflict");
        store().create(new NewInstance(id, "order", null, null, NOW, NOW));
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        store().commit(running(id, token, 0, List.of(new OrchestratorStarted(NOW)), ids(item)));
        assertThatExceptionOfType(HistoryConflictException.class)
            .isThrownBy(() -> store().commit(running(id, token, 0, List.of(new OrchestratorStarted(NOW)), List.of())))
            .withMessageContaining(id)
            .withMessageContaining("has 1 events");
        assertThat(store().history(id)).hasSize(1);
        store().commit(running(id, token, 1, List.of(new OrchestratorStarted(NOW.plusSeconds(1))), List.of()));
        assertThat(store().history(id)).hasSize(2);
    }

    @Test
    void aCommitWithAStaleTokenIsRefusedOnceANewerTokenStampedTheInstance() {
        String id = newInstanceId("fenced");
        store().create(new NewInstance(id, "order", null, null, NOW, NOW));
        FencingToken stale = nextToken();
        FencingToken current = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, stale, NOW).orElseThrow();
        assertThat(store().claimInstance(id, current, NOW)).isPresent();
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> store().commit(running(id, stale, 0, List.of(new OrchestratorStarted(NOW)), ids(item))))
            .withMessageContaining(id);
        assertThat(store().claimInstance(id, stale, NOW)).isEmpty();
        assertThat(store().history(id)).isEmpty();
        assertThat(store().claimInstance(id, current, NOW).orElseThrow().messages()).hasSize(1);
        store().commit(running(id, current, 0, List.of(new OrchestratorStarted(NOW)), ids(item)));
        assertThat(store().history(id)).hasSize(1);
    }

    @Test
    void aCommitForAnInstanceThatIsGoneIsAConflict() {
        assertThatExceptionOfType(HistoryConflictException.class)
            .isThrownBy(() -> store().commit(running(newInstanceId("gone"), nextToken(), 0, List.of(), List.of())))
            .withMessageContaining("no longer exists");
    }

    @Test
    void everyHistoryEventIsKeptAsItWasWritten() {
        String id = newInstanceId("events");
        store().create(new NewInstance(id, "order", null, null, NOW, NOW));
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        FailureDetails failure = new FailureDetails("java.lang.IllegalStateException", "no \"stock\"\nleft",
                "java.lang.IllegalStateException: no stock\n\tat x.y(Z.java:1)");
        FailureDetails bare = new FailureDetails("terminated", null, null);
        Instant at = NOW.plusMillis(123);
        List<HistoryEvent> events = List.of(new OrchestratorStarted(at),
                new ExecutionStarted(at, "order", "{\"a\":[1,2]}", new ParentInstance("parent-1", 3, 7)),
                new ExecutionStarted(at, "order", null, null), new TaskScheduled(at, 1, "charge", "\"x\""),
                new TaskScheduled(at, 2, "charge", null), new TaskCompleted(at, 1, "42"), new TaskCompleted(at, 2, null),
                new TaskFailed(at, 3, failure), new TimerCreated(at, 4, at.plusSeconds(30)),
                new TimerFired(at, 4, at.plusSeconds(30)), new EventRaised(at, "approved", "{\"by\":\"ann\"}"),
                new EventRaised(at, "poke", null), new SubOrchestrationCreated(at, 5, "child", id + ":1:5", "[]",
                        ParentClosePolicy.REQUEST_CANCEL),
                new SubOrchestrationCreated(at, 8, "child", "chosen-id", null, null),
                new SubOrchestrationCompleted(at, 5, "\"done\""), new SubOrchestrationFailed(at, 6, bare),
                new VersionMarker(at, "add-fraud-check", 2), new ExecutionCompleted(at, "{\"total\":9.5}"),
                new ExecutionFailed(at, failure), new ExecutionTerminated(at, "stop \"it\""),
                new ExecutionTerminated(at, null),
                new ExecutionTerminated(at, "closed", new ParentInstance("parent-1", 2, 9)),
                new ExecutionCancelRequested(at, "undo \"it\""),
                new ExecutionCancelRequested(at, null, new ParentInstance("parent-1", 2, 9)),
                new ExecutionCancelRequested(at, null), new ExecutionSuspended(at, "audit"),
                new ExecutionResumed(at, null), new ContinuedAsNew(at, "7"));
        store().commit(running(id, token, 0, events, ids(item)));
        assertThat(store().history(id)).containsExactlyElementsOf(events);
    }

    @Test
    void finishingRecordsTheOutputOrTheFailure() {
        String completed = newInstanceId("completed");
        store().create(new NewInstance(completed, "order", null, null, NOW, NOW));
        FencingToken token = nextToken();
        store().claimInstance(completed, token, NOW);
        store().commit(new OrchestrationCommit(completed, token, 0, List.of(new ExecutionCompleted(NOW, "\"out\"")),
                List.of(), OrchestrationStatus.COMPLETED, "\"out\"", null, false, null, List.of(), List.of(), List.of(),
                NOW));
        assertThat(store().instance(completed).orElseThrow()).satisfies((record) -> {
            assertThat(record.status()).isEqualTo(OrchestrationStatus.COMPLETED);
            assertThat(record.output()).isEqualTo("\"out\"");
        });
        String failed = newInstanceId("failed");
        store().create(new NewInstance(failed, "order", null, null, NOW, NOW));
        store().claimInstance(failed, token, NOW);
        FailureDetails failure = new FailureDetails("java.lang.RuntimeException", "boom", "trace");
        store().commit(new OrchestrationCommit(failed, token, 0, List.of(new ExecutionFailed(NOW, failure)), List.of(),
                OrchestrationStatus.FAILED, null, failure, false, null, List.of(), List.of(), List.of(), NOW));
        assertThat(store().instance(failed).orElseThrow().failure()).isEqualTo(failure);
    }

    @Test
    void continueAsNewDeletesTheHistoryAndStartsTheNextExecution() {
        String id = newInstanceId("continued");
        store().create(new NewInstance(id, "loop", "1", null, NOW, NOW));
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        store().commit(running(id, token, 0, List.of(new OrchestratorStarted(NOW), new ExecutionStarted(NOW, "loop", "1",
                null)), ids(item)));
        store().commit(new OrchestrationCommit(id, token, 2, List.of(), List.of(), OrchestrationStatus.CONTINUED_AS_NEW,
                null, null, true, "2", List.of(new TaskMessage(id, 2, new ExecutionStarted(NOW, "loop", "2", null), NOW)),
                List.of(), List.of(), NOW));
        InstanceRecord record = store().instance(id).orElseThrow();
        assertThat(record.status()).isEqualTo(OrchestrationStatus.CONTINUED_AS_NEW);
        assertThat(record.execution()).isEqualTo(2);
        assertThat(record.historyLength()).isZero();
        assertThat(record.input()).isEqualTo("2");
        assertThat(store().history(id)).isEmpty();
        OrchestrationWorkItem next = store().claimInstance(id, token, NOW).orElseThrow();
        assertThat(next.messages()).extracting((message) -> message.message().execution()).containsExactly(2);
        store().commit(running(id, token, 0, List.of(new OrchestratorStarted(NOW)), ids(next)));
        assertThat(store().history(id)).containsExactly(new OrchestratorStarted(NOW));
    }

    @Test
    void theVersionAnInstanceIsCreatedWithIsInItsRecordAndItsStartAndStaysAcrossExecutions() {
        String id = newInstanceId("versioned");
        String child = newInstanceId("versioned-child");
        store().create(new NewInstance(id, "loop", "1", null, NOW, NOW, 3));
        assertThat(store().instance(id).orElseThrow().version()).isEqualTo(3);
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        ExecutionStarted start = new ExecutionStarted(NOW, "loop", "1", null, 3);
        assertThat(item.messages()).extracting((message) -> message.message().event()).containsExactly(start);
        FailureDetails exists = new FailureDetails("exists", "taken", null);
        store().commit(new OrchestrationCommit(id, token, 0, List.of(new OrchestratorStarted(NOW), start), ids(item),
                OrchestrationStatus.RUNNING, null, null, false, null, List.of(),
                List.of(new ChildInstance(new NewInstance(child, "child", null, new ParentInstance(id, 1, 1), NOW, NOW, 5),
                        new TaskMessage(id, 1, new SubOrchestrationFailed(NOW, 1, exists), NOW))),
                List.of(), NOW));
        assertThat(store().history(id)).containsExactly(new OrchestratorStarted(NOW), start);
        assertThat(store().instance(child).orElseThrow().version()).isEqualTo(5);
        store().commit(new OrchestrationCommit(id, token, 2, List.of(), List.of(), OrchestrationStatus.CONTINUED_AS_NEW,
                null, null, true, "2", List.of(), List.of(), List.of(), NOW));
        assertThat(store().instance(id).orElseThrow().version()).as("every execution keeps it").isEqualTo(3);
        String unversioned = newInstanceId("unversioned");
        store().create(new NewInstance(unversioned, "order", null, null, NOW, NOW));
        assertThat(store().instance(unversioned).orElseThrow().version()).isZero();
    }

    @Test
    void childrenAreCreatedUnlessTheirIdIsTakenWhenTheParentIsToldInstead() {
        String parent = newInstanceId("parent");
        String child = newInstanceId("child");
        String taken = newInstanceId("taken");
        store().create(new NewInstance(parent, "parent", null, null, NOW, NOW));
        store().create(new NewInstance(taken, "other", null, null, NOW, NOW));
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(parent, token, NOW).orElseThrow();
        FailureDetails exists = new FailureDetails("exists", "taken", null);
        store().commit(new OrchestrationCommit(parent, token, 0, List.of(new OrchestratorStarted(NOW)), ids(item),
                OrchestrationStatus.RUNNING, null, null, false, null, List.of(),
                List.of(new ChildInstance(new NewInstance(child, "child", "3", new ParentInstance(parent, 1, 1), NOW, NOW),
                        new TaskMessage(parent, 1, new SubOrchestrationFailed(NOW, 1, exists), NOW)),
                        new ChildInstance(new NewInstance(taken, "child", "4", new ParentInstance(parent, 1, 2), NOW, NOW),
                                new TaskMessage(parent, 1, new SubOrchestrationFailed(NOW, 2, exists), NOW))),
                List.of(), NOW));
        InstanceRecord created = store().instance(child).orElseThrow();
        assertThat(created.parent()).isEqualTo(new ParentInstance(parent, 1, 1));
        assertThat(created.input()).isEqualTo("3");
        assertThat(created.status()).isEqualTo(OrchestrationStatus.PENDING);
        assertThat(store().instance(taken).orElseThrow().name()).isEqualTo("other");
        assertThat(store().claimInstance(parent, token, NOW).orElseThrow().messages())
            .extracting((message) -> message.message().event())
            .containsExactly(new SubOrchestrationFailed(NOW, 2, exists));
    }

    @Test
    void messagesFromACommitToInstancesThatDoNotExistAreDropped() {
        String id = newInstanceId("orphan");
        store().create(new NewInstance(id, "child", null, null, NOW, NOW));
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        String missing = newInstanceId("missing-parent");
        store().commit(new OrchestrationCommit(id, token, 0, List.of(new ExecutionCompleted(NOW, null)), ids(item),
                OrchestrationStatus.COMPLETED, null, null, false, null,
                List.of(new TaskMessage(missing, 1, new SubOrchestrationCompleted(NOW, 1, null), NOW)), List.of(),
                List.of(), NOW));
        assertThat(store().instance(id).orElseThrow().status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(store().instance(missing)).isEmpty();
    }

    @Test
    void aSuspendedInstanceIsDueOnlyForAResumptionOrATermination() {
        String id = runningInstance("suspended");
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        store().commit(new OrchestrationCommit(id, token, item.instance().historyLength(),
                List.of(new ExecutionSuspended(NOW, "audit")), List.of(), OrchestrationStatus.SUSPENDED, null, null,
                false, null, List.of(), List.of(), List.of(), NOW));
        assertThat(store().send(event(id, "waits", NOW))).isTrue();
        assertThat(store().dueInstances(NOW, 10_000)).doesNotContain(id);
        assertThat(store().send(new TaskMessage(id, TaskMessage.ANY_EXECUTION, new ExecutionResumed(NOW, null), NOW)))
            .isTrue();
        assertThat(store().dueInstances(NOW, 10_000)).contains(id);
        String terminated = runningInstance("suspended-terminated");
        FencingToken other = nextToken();
        OrchestrationWorkItem second = store().claimInstance(terminated, other, NOW).orElseThrow();
        store().commit(new OrchestrationCommit(terminated, other, second.instance().historyLength(), List.of(),
                List.of(), OrchestrationStatus.SUSPENDED, null, null, false, null, List.of(), List.of(), List.of(), NOW));
        assertThat(store().dueInstances(NOW, 10_000)).doesNotContain(terminated);
        store().send(new TaskMessage(terminated, TaskMessage.ANY_EXECUTION, new ExecutionTerminated(NOW, null), NOW));
        assertThat(store().dueInstances(NOW, 10_000)).contains(terminated);
    }

    @Test
    void sendIsRefusedForInstancesThatDoNotExistOrHaveFinished() {
        assertThat(store().send(event(newInstanceId("unknown"), "e", NOW))).isFalse();
        String id = finishedInstance("finished-send");
        assertThat(store().send(event(id, "e", NOW))).isFalse();
        assertThat(store().dueInstances(NOW, 10_000)).doesNotContain(id);
    }

    @Test
    void anActivityCallIsDueClaimedAndItsOutcomeRecordedOnce() {
        String id = runningInstance("activity");
        NewActivity call = queueActivity(id, 1, ActivityOptions.DEFAULTS);
        assertThat(store().dueActivities(NOW, 10_000)).contains(call.id());
        FencingToken token = nextToken();
        ActivityWorkItem item = store().claimActivity(call.id(), token, NOW).orElseThrow();
        assertThat(item.name()).isEqualTo("charge");
        assertThat(item.attempt()).isEqualTo(1);
        assertThat(item.input()).isEqualTo("\"card\"");
        assertThat(item.instanceId()).isEqualTo(id);
        assertThat(item.taskId()).isEqualTo(1);
        assertThat(item.scheduledAt()).isEqualTo(NOW);
        TaskMessage outcome = new TaskMessage(id, 1, new TaskCompleted(NOW, 1, "\"receipt\""), NOW);
        assertThat(store().completeActivity(call.id(), token, outcome)).isTrue();
        assertThat(store().completeActivity(call.id(), token, outcome)).isFalse();
        assertThat(store().dueActivities(NOW, 10_000)).doesNotContain(call.id());
        assertThat(store().claimActivity(call.id(), nextToken(), NOW)).isEmpty();
        assertThat(store().claimInstance(id, nextToken(), NOW).orElseThrow().messages())
            .extracting((message) -> message.message().event())
            .containsExactly(new TaskCompleted(NOW, 1, "\"receipt\""));
    }

    @Test
    void aStaleTokenCannotCompleteOrRetryAnActivityCall() {
        String id = runningInstance("activity-fenced");
        NewActivity call = queueActivity(id, 1, ActivityOptions.DEFAULTS);
        FencingToken stale = nextToken();
        FencingToken current = nextToken();
        store().claimActivity(call.id(), stale, NOW).orElseThrow();
        store().claimActivity(call.id(), current, NOW).orElseThrow();
        assertThat(store().claimActivity(call.id(), stale, NOW)).isEmpty();
        assertThat(store().retryActivity(call.id(), stale, 2, NOW.plusSeconds(1))).isFalse();
        assertThat(store().completeActivity(call.id(), stale,
                new TaskMessage(id, 1, new TaskCompleted(NOW, 1, "\"stale\""), NOW))).isFalse();
        assertThat(store().completeActivity(call.id(), current,
                new TaskMessage(id, 1, new TaskCompleted(NOW, 1, "\"current\""), NOW))).isTrue();
        assertThat(store().claimInstance(id, nextToken(), NOW).orElseThrow().messages())
            .extracting((message) -> message.message().event())
            .containsExactly(new TaskCompleted(NOW, 1, "\"current\""));
    }

    @Test
    void aRetriedActivityCallIsDueAgainAtItsTimeWithItsNextAttempt() {
        String id = runningInstance("activity-retried");
        RetryOptions retry = RetryOptions.of(3, Duration.ofSeconds(2)).withDoNotRetry(IllegalArgumentException.class);
        ActivityOptions options = new ActivityOptions(retry, Duration.ofSeconds(5), Duration.ofMinutes(1))
            .withHeartbeatTimeout(Duration.ofSeconds(3));
        NewActivity call = queueActivity(id, 2, options);
        FencingToken token = nextToken();
        assertThat(store().claimActivity(call.id(), token, NOW).orElseThrow().options()).isEqualTo(options);
        Instant next = NOW.plusSeconds(2);
        assertThat(store().retryActivity(call.id(), token, 2, next)).isTrue();
        assertThat(store().dueActivities(NOW, 10_000)).doesNotContain(call.id());
        assertThat(store().claimActivity(call.id(), nextToken(), NOW)).isEmpty();
        assertThat(store().dueActivities(next, 10_000)).contains(call.id());
        ActivityWorkItem again = store().claimActivity(call.id(), nextToken(), next).orElseThrow();
        assertThat(again.attempt()).isEqualTo(2);
        assertThat(again.options()).isEqualTo(options);
        assertThat(again.scheduledAt()).isEqualTo(NOW);
    }

    @Test
    void heartbeatDetailsAreRecordedUnderTheCurrentTokenOnlyAndHandedToTheNextClaim() {
        String id = runningInstance("activity-details");
        NewActivity call = queueActivity(id, 3, ActivityOptions.DEFAULTS);
        FencingToken stale = nextToken();
        ActivityWorkItem first = store().claimActivity(call.id(), stale, NOW).orElseThrow();
        assertThat(first.heartbeatDetails()).isNull();
        assertThat(store().recordHeartbeat(call.id(), stale, "{\"done\":4}")).isTrue();
        FencingToken current = nextToken();
        ActivityWorkItem taken = store().claimActivity(call.id(), current, NOW).orElseThrow();
        assertThat(taken.heartbeatDetails()).isEqualTo("{\"done\":4}");
        assertThat(store().recordHeartbeat(call.id(), stale, "{\"done\":5}")).as("a stale token").isFalse();
        assertThat(store().recordHeartbeat(call.id(), current, "{\"done\":7}")).isTrue();
        assertThat(store().retryActivity(call.id(), current, 2, NOW)).isTrue();
        assertThat(store().claimActivity(call.id(), nextToken(), NOW).orElseThrow().heartbeatDetails())
            .isEqualTo("{\"done\":7}");
        assertThat(store().recordHeartbeat("nobody#1#1", current, "{}")).as("no such call").isFalse();
    }

    @Test
    void theOutcomeOfAnActivityCallOfAFinishedInstanceIsDropped() {
        String id = runningInstance("activity-late");
        NewActivity call = queueActivity(id, 1, ActivityOptions.DEFAULTS);
        FencingToken token = nextToken();
        store().claimActivity(call.id(), token, NOW).orElseThrow();
        finish(id);
        assertThat(store().completeActivity(call.id(), token,
                new TaskMessage(id, 1, new TaskCompleted(NOW, 1, "\"late\""), NOW))).isTrue();
        assertThat(store().dueInstances(NOW, 10_000)).doesNotContain(id);
    }

    @Test
    void purgeDeletesOnlyFinishedInstancesWithEverythingOfThem() {
        String running = runningInstance("purge-running");
        assertThat(store().purge(running)).isFalse();
        assertThat(store().instance(running)).isPresent();
        String finished = runningInstance("purge-finished");
        NewActivity call = queueActivity(finished, 1, ActivityOptions.DEFAULTS);
        finish(finished);
        assertThat(store().purge(finished)).isTrue();
        assertThat(store().instance(finished)).isEmpty();
        assertThat(store().history(finished)).isEmpty();
        assertThat(store().dueActivities(NOW, 10_000)).doesNotContain(call.id());
        assertThat(store().purge(finished)).isFalse();
        assertThat(store().purge(newInstanceId("never"))).isFalse();
        assertThat(store().create(new NewInstance(finished, "again", null, null, NOW, NOW))).isEmpty();
    }

    @Test
    void listPagesThroughInstancesByIdAndFiltersByStatus() {
        Map<OrchestrationStatus, Long> before = store().countByStatus();
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = newInstanceId("listed");
            store().create(new NewInstance(id, "order", null, null, NOW, NOW));
            created.add(id);
        }
        finish(created.get(1));
        finish(created.get(3));
        List<String> pending = new ArrayList<>();
        List<String> completed = new ArrayList<>();
        collect(OrchestrationQuery.of(2, OrchestrationStatus.PENDING), created, pending);
        collect(OrchestrationQuery.of(2, OrchestrationStatus.COMPLETED, OrchestrationStatus.FAILED), created, completed);
        assertThat(pending).containsExactly(created.get(0), created.get(2), created.get(4));
        assertThat(completed).containsExactly(created.get(1), created.get(3));
        Map<OrchestrationStatus, Long> after = store().countByStatus();
        assertThat(after.getOrDefault(OrchestrationStatus.PENDING, 0L)
                - before.getOrDefault(OrchestrationStatus.PENDING, 0L)).isEqualTo(3);
        assertThat(after.getOrDefault(OrchestrationStatus.COMPLETED, 0L)
                - before.getOrDefault(OrchestrationStatus.COMPLETED, 0L)).isEqualTo(2);
    }

    @Test
    void aCommitSetsTheCustomStatusAndACommitWithoutOneLeavesIt() {
        String id = runningInstance("custom-status");
        assertThat(store().instance(id).orElseThrow().customStatus()).isNull();
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        store().commit(new OrchestrationCommit(id, token, item.instance().historyLength(), List.of(), ids(item),
                OrchestrationStatus.RUNNING, null, null, false, null, List.of(), List.of(), List.of(), NOW,
                "{\"stage\":\"packing\"}"));
        assertThat(store().instance(id).orElseThrow().customStatus()).isEqualTo("{\"stage\":\"packing\"}");
        finish(id);
        InstanceRecord finished = store().instance(id).orElseThrow();
        assertThat(finished.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(finished.customStatus()).isEqualTo("{\"stage\":\"packing\"}");
        assertThat(store().claimInstance(id, nextToken(), NOW).orElseThrow().instance().customStatus())
            .isEqualTo("{\"stage\":\"packing\"}");
    }

    @Test
    void listFiltersByOrchestrationNameAndCreationTime() {
        String name = "query-" + this.run;
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String id = newInstanceId("by-name");
            store().create(new NewInstance(id, name, null, null, NOW.plusSeconds(i), NOW));
            created.add(id);
            store().create(new NewInstance(newInstanceId("other-name"), name + "-other", null, null, NOW.plusSeconds(i),
                    NOW));
        }
        List<String> all = new ArrayList<>();
        collect(OrchestrationQuery.of(3).withName(name), created, all);
        assertThat(all).containsExactlyInAnyOrderElementsOf(created);
        assertThat(store().list(OrchestrationQuery.of(1000).withName(name)))
            .extracting(InstanceRecord::instanceId)
            .containsExactlyInAnyOrderElementsOf(created);
        assertThat(store().list(OrchestrationQuery.of(1000, OrchestrationStatus.PENDING)
            .withName(name)
            .createdBetween(NOW.plusSeconds(1), NOW.plusSeconds(3)))).extracting(InstanceRecord::instanceId)
            .containsExactlyInAnyOrder(created.get(1), created.get(2));
        assertThat(store().list(OrchestrationQuery.of(1000).withName(name).createdBetween(NOW.plusSeconds(3), null)))
            .extracting(InstanceRecord::instanceId)
            .containsExactly(created.get(3));
        assertThat(store().list(OrchestrationQuery.of(1000, OrchestrationStatus.RUNNING).withName(name))).isEmpty();
    }

    private void collect(OrchestrationQuery first, List<String> mine, List<String> into) {
        OrchestrationQuery query = first;
        for (int page = 0; page < 100_000; page++) {
            List<InstanceRecord> records = store().list(query);
            assertThat(records.size()).isLessThanOrEqualTo(query.limit());
            assertThat(records).extracting(InstanceRecord::instanceId).isSorted();
            OrchestrationQuery asked = query;
            records.forEach((record) -> assertThat(asked.matches(record)).isTrue());
            records.stream().map(InstanceRecord::instanceId).filter(mine::contains).forEach(into::add);
            if (records.size() < query.limit()) {
                return;
            }
            query = query.after(records.get(records.size() - 1).instanceId());
        }
        throw new AssertionError("Too many pages");
    }

    /**
     * Creates an instance and commits its first step, so that it is running.
     * @param name what the instance is for
     * @return its id
     */
    protected String runningInstance(String name) {
        String id = newInstanceId(name);
        store().create(new NewInstance(id, "order", null, null, NOW, NOW));
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        store().commit(running(id, token, 0, List.of(new OrchestratorStarted(NOW)), ids(item)));
        return id;
    }

    private String finishedInstance(String name) {
        String id = runningInstance(name);
        finish(id);
        return id;
    }

    private void finish(String id) {
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        store().commit(new OrchestrationCommit(id, token, item.instance().historyLength(),
                List.of(new ExecutionCompleted(NOW, null)), ids(item), OrchestrationStatus.COMPLETED, null, null, false,
                null, List.of(), List.of(), List.of(), NOW));
    }

    private NewActivity queueActivity(String id, int taskId, ActivityOptions options) {
        FencingToken token = nextToken();
        OrchestrationWorkItem item = store().claimInstance(id, token, NOW).orElseThrow();
        NewActivity call = new NewActivity(id, 1, taskId, "charge", "\"card\"", options, NOW);
        store().commit(new OrchestrationCommit(id, token, item.instance().historyLength(),
                List.of(new TaskScheduled(NOW, taskId, "charge", "\"card\"")), ids(item), OrchestrationStatus.RUNNING,
                null, null, false, null, List.of(), List.of(), List.of(call), NOW));
        return call;
    }

    private static OrchestrationCommit running(String id, FencingToken token, int expected, List<HistoryEvent> events,
            List<Long> consumed) {
        return new OrchestrationCommit(id, token, expected, events, consumed, OrchestrationStatus.RUNNING, null, null,
                false, null, List.of(), List.of(), List.of(), NOW);
    }

    private static TaskMessage event(String id, String name, Instant at) {
        return new TaskMessage(id, TaskMessage.ANY_EXECUTION, new EventRaised(at, name, null), at);
    }

    private static List<Long> ids(OrchestrationWorkItem item) {
        return item.messages().stream().map(ReceivedMessage::id).toList();
    }

    private static String describe(HistoryEvent event) {
        return (event instanceof EventRaised raised) ? raised.name() : event.getClass().getSimpleName();
    }

    /**
     * Returns a fencing token greater than every one returned before.
     * @return the token
     */
    protected static FencingToken nextToken() {
        return new FencingToken(tokens.incrementAndGet());
    }
}
