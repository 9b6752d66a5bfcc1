package dev.quark.jobs;

import java.time.Clock;
import java.util.Objects;
import java.util.UUID;

/**
 * A workflow's identity: a UUID, drawn in the same time-ordered layout as a {@link JobId}.
 *
 * @param value the UUID
 */
public record WorkflowId(UUID value) implements Comparable<WorkflowId> {

    /**
     * Validates the id.
     */
    public WorkflowId {
        Objects.requireNonNull(value, "value must not be null");
    }

    /**
     * Draws a new id, time-ordered on a clock.
     * @param clock the clock
     * @return the id
     */
    public static WorkflowId next(Clock clock) {
        return new WorkflowId(JobId.next(clock).value());
    }

    /**
     * Reads an id from its text form.
     * @param text a UUID
     * @return the id
     * @throws IllegalArgumentException naming the text when it is not a UUID
     */
    public static WorkflowId parse(String text) {
        Objects.requireNonNull(text, "text must not be null");
        try {
            return new WorkflowId(JobId.parse(text).value());
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("'" + text + "' is not a workflow id: a workflow id is a UUID", ex);
        }
    }

    @Override
    public int compareTo(WorkflowId other) {
        return new JobId(this.value).compareTo(new JobId(other.value));
    }

    @Override
    public String toString() {
        return this.value.toString();
    }
}
