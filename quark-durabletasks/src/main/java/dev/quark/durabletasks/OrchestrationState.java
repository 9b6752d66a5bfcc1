package dev.quark.durabletasks;

import java.lang.reflect.Type;
import java.time.Instant;
import java.util.Objects;

import dev.quark.durabletasks.payload.PayloadConverter;
import org.jspecify.annotations.Nullable;

/**
 * What a client sees of an orchestration instance: its status, input, output or failure. A snapshot: it does not
 * change when the instance moves on.
 */
public final class OrchestrationState {

    private final String instanceId;

    private final String name;

    private final OrchestrationStatus status;

    private final int execution;

    private final Instant createdAt;

    private final Instant updatedAt;

    private final @Nullable String serializedInput;

    private final @Nullable String serializedOutput;

    private final @Nullable FailureDetails failure;

    private final @Nullable String serializedCustomStatus;

    private final int version;

    private final PayloadConverter converter;

    /**
     * Creates a snapshot.
     * @param instanceId the instance id
     * @param name the orchestration's name
     * @param status the status
     * @param execution the current execution
     * @param createdAt when it was scheduled
     * @param updatedAt when it last changed
     * @param serializedInput the current execution's input as JSON
     * @param serializedOutput the output as JSON
     * @param failure the failure
     * @param converter reads the input and the output
     */
    public OrchestrationState(String instanceId, String name, OrchestrationStatus status, int execution,
            Instant createdAt, Instant updatedAt, @Nullable String serializedInput, @Nullable String serializedOutput,
            @Nullable FailureDetails failure, PayloadConverter converter) {
        this(instanceId, name, status, execution, createdAt, updatedAt, serializedInput, serializedOutput, failure, null,
                converter);
    }

    /**
     * Creates a snapshot with a custom status.
     * @param instanceId the instance id
     * @param name the orchestration's name
     * @param status the status
     * @param execution the current execution
     * @param createdAt when it was scheduled
     * @param updatedAt when it last changed
     * @param serializedInput the current execution's input as JSON
     * @param serializedOutput the output as JSON
     * @param failure the failure
     * @param serializedCustomStatus the custom status the orchestration set, as JSON
     * @param converter reads the input, the output and the custom status
     */
    public OrchestrationState(String instanceId, String name, OrchestrationStatus status, int execution,
            Instant createdAt, Instant updatedAt, @Nullable String serializedInput, @Nullable String serializedOutput,
            @Nullable FailureDetails failure, @Nullable String serializedCustomStatus, PayloadConverter converter) {
        this(instanceId, name, status, execution, createdAt, updatedAt, serializedInput, serializedOutput, failure,
                serializedCustomStatus, 0, converter);
    }

    /**
     * Creates a snapshot with a custom status and the orchestration's version.
     * @param instanceId the instance id
     * @param name the orchestration's name
     * @param status the status
     * @param execution the current execution
     * @param createdAt when it was scheduled
     * @param updatedAt when it last changed
     * @param serializedInput the current execution's input as JSON
     * @param serializedOutput the output as JSON
     * @param failure the failure
     * @param serializedCustomStatus the custom status the orchestration set, as JSON
     * @param version the version of the orchestration's code the instance was scheduled with
     * @param converter reads the input, the output and the custom status
     */
    public OrchestrationState(String instanceId, String name, OrchestrationStatus status, int execution,
            Instant createdAt, Instant updatedAt, @Nullable String serializedInput, @Nullable String serializedOutput,
            @Nullable FailureDetails failure, @Nullable String serializedCustomStatus, int version,
            PayloadConverter converter) {
        this.version = version;
        this.instanceId = Objects.requireNonNull(instanceId, "instanceId must not be null");
        this.name = Objects.requireNonNull(name, "name must not be null");
        this.status = Objects.requireNonNull(status, "status must not be null");
        this.execution = execution;
        this.createdAt = Objects.requireNonNull(createdAt, "createdAt must not be null");
        this.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt must not be null");
        this.serializedInput = serializedInput;
        this.serializedOutput = serializedOutput;
        this.failure = failure;
        this.serializedCustomStatus = serializedCustomStatus;
        this.converter = Objects.requireNonNull(converter, "converter must not be null");
    }

    /**
     * Returns the version of the orchestration's code the instance's current execution started with
     * ({@link TaskName#version()}; {@code continueAsNew} moves an instance to the version of the worker that runs it);
     * 0 when the orchestration declares none, and for instances scheduled before versions were recorded;
     * {@link dev.quark.durabletasks.history.ExecutionStarted#UNKNOWN_VERSION} until the first step of an instance
     * scheduled by a client that does not have the orchestration registered.
     * @return the version
     */
    public int version() {
        return this.version;
    }

    /**
     * Returns the instance id.
     * @return the id
     */
    public String instanceId() {
        return this.instanceId;
    }

    /**
     * Returns the orchestration's name.
     * @return the name
     */
    public String name() {
        return this.name;
    }

    /**
     * Returns the status.
     * @return the status
     */
    public OrchestrationStatus status() {
        return this.status;
    }

    /**
     * Returns the current execution: 1, plus one per {@code continueAsNew}.
     * @return the execution number
     */
    public int execution() {
        return this.execution;
    }

    /**
     * Returns when the instance was scheduled.
     * @return the instant, on the scheduling client's clock
     */
    public Instant createdAt() {
        return this.createdAt;
    }

    /**
     * Returns when the instance last changed.
     * @return the instant, on the worker's clock
     */
    public Instant updatedAt() {
        return this.updatedAt;
    }

    /**
     * Returns the current execution's input as JSON.
     * @return the input, {@code null} when none
     */
    public @Nullable String serializedInput() {
        return this.serializedInput;
    }

    /**
     * Returns the output as JSON.
     * @return the output, {@code null} unless completed with a value
     */
    public @Nullable String serializedOutput() {
        return this.serializedOutput;
    }

    /**
     * Returns the failure.
     * @return the failure, {@code null} unless failed or terminated
     */
    public @Nullable FailureDetails failure() {
        return this.failure;
    }

    /**
     * Returns the custom status the orchestration set ({@link OrchestrationContext#setCustomStatus}), as JSON.
     * @return the status, {@code null} when it never set one
     */
    public @Nullable String customStatus() {
        return this.serializedCustomStatus;
    }

    /**
     * Reads the custom status the orchestration set.
     * @param <T> the type
     * @param type the type to read it as
     * @return the status, {@code null} when none
     * @throws PayloadConversionException when it cannot be read as the type
     */
    public <T> @Nullable T readCustomStatus(Class<T> type) {
        return type.cast(read(this.serializedCustomStatus, type, "the custom status"));
    }

    /**
     * Reads the current execution's input.
     * @param <T> the type
     * @param type the type to read it as
     * @return the input, {@code null} when none
     * @throws PayloadConversionException when it cannot be read as the type
     */
    public <T> @Nullable T readInput(Class<T> type) {
        return type.cast(readInput((Type) type));
    }

    /**
     * Reads the current execution's input as a generic type.
     * @param type the type to read it as, for instance from a {@code ParameterizedTypeReference}
     * @return the input, of the type; {@code null} when none
     * @throws PayloadConversionException when it cannot be read as the type
     */
    public @Nullable Object readInput(Type type) {
        return read(this.serializedInput, type, "the input");
    }

    /**
     * Reads the output.
     * @param <T> the type
     * @param type the type to read it as
     * @return the output, {@code null} when none
     * @throws PayloadConversionException when it cannot be read as the type
     */
    public <T> @Nullable T readOutput(Class<T> type) {
        return type.cast(readOutput((Type) type));
    }

    /**
     * Reads the output as a generic type.
     * @param type the type to read it as
     * @return the output, of the type; {@code null} when none
     * @throws PayloadConversionException when it cannot be read as the type
     */
    public @Nullable Object readOutput(Type type) {
        return read(this.serializedOutput, type, "the output");
    }

    private @Nullable Object read(@Nullable String text, Type type, String what) {
        try {
            return this.converter.read(text, type);
        }
        catch (RuntimeException ex) {
            throw new PayloadConversionException(what + " of orchestration '" + this.name + "' instance '"
                    + this.instanceId + "'", type, ex);
        }
    }

    @Override
    public String toString() {
        return "OrchestrationState[" + this.instanceId + " (" + this.name + ") " + this.status
                + ((this.failure != null) ? ": " + this.failure : "") + "]";
    }
}
