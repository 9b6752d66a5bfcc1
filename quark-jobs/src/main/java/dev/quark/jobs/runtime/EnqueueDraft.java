package dev.quark.jobs.runtime;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import dev.quark.jobs.JobDraft;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobVetoedException;
import org.jspecify.annotations.Nullable;

/**
 * The {@link JobDraft} enqueue filters change, one filter at a time: it knows which filter is changing it, to name it
 * in a veto or a refused change, and keeps what the previous filters decided so that the changes of a filter that
 * throws can be undone. The draft of a recurring job's occurrence reads its stored payload only when a filter asks
 * for it, so that filters that do not look at it cost no JSON read and a payload the handler can no longer read fails
 * only the filter that asks (the job is then stored with its payload as it was, to fail at its attempt as before).
 */
final class EnqueueDraft implements JobDraft {

    private final String type;

    private final Class<?> payloadClass;

    private final Instant enqueuedAt;

    private final @Nullable String idempotencyKey;

    private final @Nullable String workflow;

    private final @Nullable String step;

    private final @Nullable String recurringJob;

    private final @Nullable Supplier<Object> storedPayload;

    private @Nullable Object payload;

    private boolean payloadReplaced;

    private @Nullable String payloadReplacedBy;

    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Instant dueAt;

    private @Nullable Duration timeout;

    private String filter = "none";

    private @Nullable Saved saved;

    /**
     * Creates the draft of a job enqueued on its own.
     */
    static EnqueueDraft ofJob(String type, Class<?> payloadClass, Object payload, Instant enqueuedAt, Instant dueAt,
            @Nullable String idempotencyKey, @Nullable Duration timeout) {
        EnqueueDraft draft = new EnqueueDraft(type, payloadClass, payload, null, enqueuedAt, dueAt, idempotencyKey,
                null, null, null);
        draft.timeout = timeout;
        return draft;
    }

    /**
     * Creates the draft of a workflow's step, enqueued with the workflow.
     */
    static EnqueueDraft ofStep(String type, Class<?> payloadClass, Object payload, Instant enqueuedAt, String workflow,
            String step) {
        return new EnqueueDraft(type, payloadClass, payload, null, enqueuedAt, enqueuedAt, null, workflow, step, null);
    }

    /**
     * Creates the draft of the job of one scheduled instant of a recurring job, enqueued by the scheduler.
     * @param storedPayload reads the recurring job's payload, when a filter asks for it
     */
    static EnqueueDraft ofOccurrence(String type, Class<?> payloadClass, Supplier<Object> storedPayload,
            Instant enqueuedAt, Instant dueAt, String idempotencyKey, String recurringJob) {
        return new EnqueueDraft(type, payloadClass, null, storedPayload, enqueuedAt, dueAt, idempotencyKey, null, null,
                recurringJob);
    }

    private EnqueueDraft(String type, Class<?> payloadClass, @Nullable Object payload,
            @Nullable Supplier<Object> storedPayload, Instant enqueuedAt, Instant dueAt, @Nullable String idempotencyKey,
            @Nullable String workflow, @Nullable String step, @Nullable String recurringJob) {
        this.type = type;
        this.payloadClass = payloadClass;
        this.payload = payload;
        this.storedPayload = storedPayload;
        this.enqueuedAt = enqueuedAt;
        this.dueAt = dueAt;
        this.idempotencyKey = idempotencyKey;
        this.workflow = workflow;
        this.step = step;
        this.recurringJob = recurringJob;
    }

    /**
     * Hands the draft to a filter: from now on changes and vetoes are its, and {@link #undo} restores the draft as
     * it is now.
     */
    void handTo(JobFilter filter) {
        this.filter = JobFilters.nameOf(filter);
        this.saved = new Saved(this.payload, this.payloadReplaced, this.payloadReplacedBy, Map.copyOf(this.metadata),
                this.dueAt, this.timeout);
    }

    /**
     * Undoes the changes of the filter the draft was last handed to.
     */
    void undo() {
        Saved before = Objects.requireNonNull(this.saved);
        this.payload = before.payload;
        this.payloadReplaced = before.payloadReplaced;
        this.payloadReplacedBy = before.payloadReplacedBy;
        this.metadata.clear();
        this.metadata.putAll(before.metadata);
        this.dueAt = before.dueAt;
        this.timeout = before.timeout;
    }

    /**
     * Describes the job for messages.
     * @return {@code the 'type' job}, {@code step 'name' (type) of workflow 'name'} or
     * {@code the 'type' job of recurring job 'id'}
     */
    String describe() {
        if (this.step != null) {
            return "step '" + this.step + "' (" + this.type + ") of workflow '" + this.workflow + "'";
        }
        return (this.recurringJob != null) ? "the '" + this.type + "' job of recurring job '" + this.recurringJob + "'"
                : "the '" + this.type + "' job";
    }

    /**
     * Tells whether a filter replaced the payload (and kept that change): when not, the payload is stored as it was.
     * @return whether {@link #replacePayload} was called by a filter whose changes stand
     */
    boolean payloadReplaced() {
        return this.payloadReplaced;
    }

    /**
     * Names the filter whose payload stands, for messages.
     * @return the class name of the filter that last replaced the payload, {@code "none"} when none did
     */
    String payloadReplacedBy() {
        return (this.payloadReplacedBy != null) ? this.payloadReplacedBy : "none";
    }

    @Override
    public String type() {
        return this.type;
    }

    @Override
    public Object payload() {
        if (this.payload == null) {
            this.payload = Objects.requireNonNull(this.storedPayload).get();
        }
        return this.payload;
    }

    @Override
    public void replacePayload(Object payload) {
        Objects.requireNonNull(payload, "payload must not be null");
        if (!this.payloadClass.isInstance(payload)) {
            throw refused("a payload of class " + payload.getClass().getName() + ", not a "
                    + this.payloadClass.getName() + " (the payload type of its handler)");
        }
        this.payload = payload;
        this.payloadReplaced = true;
        this.payloadReplacedBy = this.filter;
    }

    @Override
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(this.metadata);
    }

    @Override
    public void putMetadata(String key, String value) {
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(value, "value must not be null");
        if (key.isBlank() || key.length() > MAX_METADATA_KEY_LENGTH || key.chars().anyMatch(Character::isISOControl)) {
            throw refused("the metadata key '" + abbreviate(key) + "' (" + key.length()
                    + " characters): keys are not blank, have at most " + MAX_METADATA_KEY_LENGTH
                    + " characters and no control characters");
        }
        if (value.length() > MAX_METADATA_VALUE_LENGTH) {
            throw refused("a value of " + value.length() + " characters for the metadata key '" + key + "': values "
                    + "have at most " + MAX_METADATA_VALUE_LENGTH + " characters");
        }
        if (!this.metadata.containsKey(key) && this.metadata.size() >= MAX_METADATA_ENTRIES) {
            throw refused("the metadata key '" + key + "': a job carries at most " + MAX_METADATA_ENTRIES
                    + " metadata entries");
        }
        this.metadata.put(key, value);
    }

    @Override
    public void removeMetadata(String key) {
        this.metadata.remove(key);
    }

    @Override
    public Instant dueAt() {
        return this.dueAt;
    }

    @Override
    public void runAt(Instant instant) {
        Objects.requireNonNull(instant, "instant must not be null");
        requireNotStep();
        if (instant.isAfter(LATEST_DUE_AT) || instant.isBefore(EARLIEST_DUE_AT)) {
            throw refused("a due time of " + instant + ": due times lie between " + EARLIEST_DUE_AT + " and "
                    + LATEST_DUE_AT);
        }
        this.dueAt = instant;
    }

    @Override
    public void runAfter(Duration delay) {
        Objects.requireNonNull(delay, "delay must not be null");
        requireNotStep();
        if (delay.isNegative()) {
            throw refused("a negative delay, " + delay);
        }
        if (delay.compareTo(Duration.between(this.enqueuedAt, LATEST_DUE_AT)) > 0) {
            throw refused("a delay of " + delay + ": it would be due after " + LATEST_DUE_AT);
        }
        this.dueAt = this.enqueuedAt.plus(delay);
    }

    @Override
    public @Nullable Duration timeout() {
        return this.timeout;
    }

    @Override
    public void replaceTimeout(@Nullable Duration timeout) {
        if (timeout == null) {
            this.timeout = null;
            return;
        }
        if (this.step != null || this.recurringJob != null) {
            throw new UnsupportedOperationException("Job filter " + this.filter + " cannot give " + describe()
                    + " a timeout: only jobs enqueued on their own carry one");
        }
        if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw refused("a timeout of " + timeout + ": timeouts are positive and at most " + MAX_TIMEOUT);
        }
        Duration millis = timeout.truncatedTo(ChronoUnit.MILLIS);
        this.timeout = millis.equals(timeout) ? timeout : millis.plusMillis(1);
    }

    private void requireNotStep() {
        if (this.step != null) {
            throw new UnsupportedOperationException("Job filter " + this.filter + " cannot delay " + describe()
                    + ": a step runs when its dependencies allow");
        }
    }

    @Override
    public @Nullable String idempotencyKey() {
        return this.idempotencyKey;
    }

    @Override
    public @Nullable String workflow() {
        return this.workflow;
    }

    @Override
    public @Nullable String step() {
        return this.step;
    }

    @Override
    public @Nullable String recurringJob() {
        return this.recurringJob;
    }

    @Override
    public void veto(String reason) {
        Objects.requireNonNull(reason, "reason must not be null");
        throw new JobVetoedException(this.filter, describe(), reason);
    }

    private IllegalArgumentException refused(String what) {
        return new IllegalArgumentException("Job filter " + this.filter + " gave " + describe() + " " + what);
    }

    private static String abbreviate(String text) {
        return (text.length() <= 40) ? text : text.substring(0, 40) + "...";
    }

    @Override
    public String toString() {
        return "JobDraft[" + describe() + ", due " + this.dueAt
                + ((this.timeout != null) ? ", timeout " + this.timeout : "") + ", metadata " + this.metadata.keySet()
                + "]";
    }

    private record Saved(@Nullable Object payload, boolean payloadReplaced, @Nullable String payloadReplacedBy,
            Map<String, String> metadata, Instant dueAt, @Nullable Duration timeout) {
    }
}
