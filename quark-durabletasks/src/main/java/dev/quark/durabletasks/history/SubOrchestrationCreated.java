package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import dev.quark.durabletasks.ParentClosePolicy;
import org.jspecify.annotations.Nullable;

/**
 * The code started a sub-orchestration.
 *
 * @param timestamp when it was recorded
 * @param taskId the task's number
 * @param name the orchestration's name
 * @param instanceId the child's instance id
 * @param input the input as JSON
 * @param parentClosePolicy what happens to the child when the parent closes first; {@code null} in histories
 * recorded before policies existed, which leave the child running ({@link ParentClosePolicy#ABANDON})
 */
public record SubOrchestrationCreated(Instant timestamp, int taskId, String name, String instanceId, @Nullable String input,
        @Nullable ParentClosePolicy parentClosePolicy) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public SubOrchestrationCreated {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(instanceId, "instanceId must not be null");
    }

    /**
     * Returns what happens to the child when the parent closes first.
     * @return the recorded policy, {@link ParentClosePolicy#ABANDON} when none was recorded
     */
    public ParentClosePolicy effectiveParentClosePolicy() {
        return (this.parentClosePolicy != null) ? this.parentClosePolicy : ParentClosePolicy.ABANDON;
    }
}
