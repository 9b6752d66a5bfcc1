package dev.quark.durabletasks.store;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.stream.Stream;

import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.lease.FencingToken;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of an instance's step, written atomically by {@link DurableTaskStore#commit}: events appended to the
 * history at an expected sequence number, the messages the step took removed, the instance updated, and the work the
 * step started queued (activity calls, timers and other messages, sub-orchestrations).
 *
 * @param instanceId the instance
 * @param token the fencing token the instance was claimed with
 * @param expectedHistoryLength the history's length when the step read it: the sequence number of the first event
 * appended
 * @param events the events to append
 * @param consumedMessages the ids of the messages the step took
 * @param status the instance's new status
 * @param output the output, when it completed
 * @param failure the failure, when it failed
 * @param continueAsNew whether the execution ended with {@code continueAsNew}: the history is then deleted instead
 * of appended to ({@code events} must be empty), the execution number goes up by one and the input becomes
 * {@code nextInput}
 * @param nextInput the next execution's input, with {@code continueAsNew}
 * @param messages messages to queue, to this instance or others (after the children are created, so a message may go
 * to a child of this commit); a message to an instance that does not exist is dropped
 * @param children sub-orchestrations to create
 * @param activities activity calls to queue
 * @param updatedAt when the step ran
 * @param customStatus the custom status the step set, as JSON; {@code null} leaves it as it is
 */
public record OrchestrationCommit(String instanceId, FencingToken token, int expectedHistoryLength,
        List<HistoryEvent> events, List<Long> consumedMessages, OrchestrationStatus status, @Nullable String output,
        @Nullable FailureDetails failure, boolean continueAsNew, @Nullable String nextInput, List<TaskMessage> messages,
        List<ChildInstance> children, List<NewActivity> activities, Instant updatedAt, @Nullable String customStatus) {

    /**
     * Creates a commit that leaves the custom status as it is.
     * @param instanceId the instance
     * @param token the fencing token the instance was claimed with
     * @param expectedHistoryLength the history's length when the step read it
     * @param events the events to append
     * @param consumedMessages the ids of the messages the step took
     * @param status the instance's new status
     * @param output the output, when it completed
     * @param failure the failure, when it failed
     * @param continueAsNew whether the execution ended with {@code continueAsNew}
     * @param nextInput the next execution's input, with {@code continueAsNew}
     * @param messages messages to queue, to this instance or others, after the children are created
     * @param children sub-orchestrations to create
     * @param activities activity calls to queue
     * @param updatedAt when the step ran
     */
    public OrchestrationCommit(String instanceId, FencingToken token, int expectedHistoryLength,
            List<HistoryEvent> events, List<Long> consumedMessages, OrchestrationStatus status, @Nullable String output,
            @Nullable FailureDetails failure, boolean continueAsNew, @Nullable String nextInput,
            List<TaskMessage> messages, List<ChildInstance> children, List<NewActivity> activities, Instant updatedAt) {
        this(instanceId, token, expectedHistoryLength, events, consumedMessages, status, output, failure, continueAsNew,
                nextInput, messages, children, activities, updatedAt, null);
    }

    /**
     * Validates the commit and copies the lists.
     * @throws IllegalArgumentException when a continue-as-new commit has events
     */
    public OrchestrationCommit {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        Objects.requireNonNull(token, "token must not be null");
        Objects.requireNonNull(status, "status must not be null");
        Objects.requireNonNull(updatedAt, "updatedAt must not be null");
        events = List.copyOf(events);
        consumedMessages = List.copyOf(consumedMessages);
        messages = List.copyOf(messages);
        children = List.copyOf(children);
        activities = List.copyOf(activities);
        if (continueAsNew && !events.isEmpty()) {
            throw new IllegalArgumentException("A continue-as-new commit deletes the history; it cannot append "
                    + events.size() + " events to it");
        }
    }

    /**
     * Returns the version of the execution this commit starts, which the instance's record takes: that of the
     * {@link ExecutionStarted} among its events, if any; for a continue-as-new commit, that of the start it queues
     * for the instance's next execution, so that the record never keeps the version of the execution it ends.
     * @return the version, empty when the commit starts no execution
     */
    public OptionalInt startedVersion() {
        Stream<HistoryEvent> starts = this.continueAsNew
                ? this.messages.stream()
                    .filter((message) -> message.instanceId().equals(this.instanceId))
                    .map(TaskMessage::event)
                : this.events.stream();
        return starts.filter(ExecutionStarted.class::isInstance)
            .mapToInt((event) -> ((ExecutionStarted) event).version())
            .reduce((first, last) -> last);
    }
}
