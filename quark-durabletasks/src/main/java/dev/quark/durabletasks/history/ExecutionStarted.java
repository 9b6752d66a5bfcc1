package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * An execution started, with its input; the first event of every execution.
 *
 * @param timestamp when it was recorded
 * @param name the orchestration's name
 * @param input the input as JSON, {@code null} when none
 * @param parent the orchestration that started this one as a sub-orchestration, {@code null} when none
 * @param version the version of the orchestration's code the instance was scheduled with; 0 when it declares none,
 * and in histories recorded before versions were; {@link #UNKNOWN_VERSION} in the start message of an instance
 * scheduled by a client that does not have the orchestration registered, never in a history
 */
public record ExecutionStarted(Instant timestamp, String name, @Nullable String input, @Nullable ParentInstance parent,
        int version) implements HistoryEvent {

    /**
     * The version a client that does not have the orchestration registered schedules an instance with: the worker
     * that runs the instance's first step records the version registered there in its place, in the history and the
     * instance's record.
     */
    public static final int UNKNOWN_VERSION = -1;

    /**
     * Creates the start of an instance of version 0.
     * @param timestamp when it was recorded
     * @param name the orchestration's name
     * @param input the input as JSON, {@code null} when none
     * @param parent the orchestration that started this one, {@code null} when none
     */
    public ExecutionStarted(Instant timestamp, String name, @Nullable String input, @Nullable ParentInstance parent) {
        this(timestamp, name, input, parent, 0);
    }

    /**
     * Validates the event.
     */
    public ExecutionStarted {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(name, "name must not be null");
    }

    /**
     * Returns this start with a version.
     * @param version the version
     * @return the start
     */
    public ExecutionStarted withVersion(int version) {
        return new ExecutionStarted(this.timestamp, this.name, this.input, this.parent, version);
    }
}
