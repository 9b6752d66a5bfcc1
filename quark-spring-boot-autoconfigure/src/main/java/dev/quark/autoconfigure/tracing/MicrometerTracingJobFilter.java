package dev.quark.autoconfigure.tracing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobDraft;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.filter.MdcJobFilter;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.Ordered;

/**
 * Carries the trace context of the thread that enqueues a job to the workers that run it, and runs every attempt in
 * a span of its own, a child of the span that was current at enqueue: the handler's logs carry the enqueuing
 * request's trace id, and what the handler calls (a database, an HTTP service, an actor) joins that trace.
 * <p>
 * <b>At enqueue</b> ({@code beforeEnqueue}) the current span's context is written with the tracer's
 * {@link Propagator} (W3C {@code traceparent} and {@code tracestate}, or whatever format the application's tracer
 * propagates, {@code baggage} included) into the job's metadata, each field under {@value #METADATA_PREFIX} (such as
 * {@code trace.traceparent}). Without a current span nothing is written: the jobs of recurring jobs, whose scheduler
 * has no caller, and jobs enqueued outside a trace carry no context. A field longer than a metadata value may be
 * ({@value JobDraft#MAX_METADATA_VALUE_LENGTH} characters, a large baggage), or that would be one entry too many
 * (the job carries {@value JobDraft#MAX_METADATA_ENTRIES} already), is left out, logged at debug.
 * <p>
 * <b>Around every attempt</b> ({@code openScope}) a span named {@code job <type>} of kind {@code CONSUMER} is started
 * and made current, tagged {@code quark.job.id}, {@code quark.job.type} and {@code quark.job.attempt}: a child of the
 * carried context when the job carries one, else (no context, or a malformed {@code traceparent}, logged at debug) the
 * root of a trace of its own, as Spring's {@code @Scheduled} tasks are: every attempt is traced, and the tracer's
 * sampler decides which are kept. The handler's failure is recorded on the span ({@code afterRun}), and so is a
 * {@link dev.quark.jobs.JobTimeoutException} when the timeout decided the attempt, also when the handler then
 * returned. The span ends when the scope closes, once the handler returned: usually after the attempt's outcome was
 * recorded and {@code onFailure} / {@code onDeadLetter} ran, but not always: after a timeout those run on another
 * thread, maybe after the span ended, and an outcome that could not be written because the store could not be
 * reached is written, and its hooks run, later, after the span ended. An attempt that never reached its handler
 * (withdrawn before it started, its lease lost or its node shutting down, the job given back and the attempt not
 * counted; or decided before its handler, a cancellation requested meanwhile) still has its span, tagged
 * {@value #OUTCOME_TAG}{@code =}{@value #NOT_RUN}. Each attempt of a retried job is a span of its own, all children of
 * the enqueuing span. Trace context never fails an attempt: a tracer that throws is logged at debug and the attempt
 * runs without a span.
 * <p>
 * Its order is {@link #ORDER}, just after {@link MdcJobFilter}: its scope opens after the MDC entries that filter
 * restores (the span's {@code traceId} and {@code spanId} replace carried ones), and before the scopes of filters
 * without an order, which see the span current.
 * <p>
 * Under Spring Boot it is a bean when the application has one {@link Tracer} and one {@link Propagator} (Spring Boot's
 * Brave or OpenTelemetry tracing) and {@code quark.jobs.tracing.enabled} is not {@code false}.
 */
public final class MicrometerTracingJobFilter implements JobFilter, Ordered {

    /** The prefix of the metadata keys this filter writes, before the propagator's field names. */
    public static final String METADATA_PREFIX = "trace.";

    /** The filter's order, {@code MdcJobFilter.ORDER + 100}. */
    public static final int ORDER = MdcJobFilter.ORDER + 100;

    /** The tag of a span whose attempt never reached its handler, {@value #NOT_RUN}. */
    public static final String OUTCOME_TAG = "quark.job.outcome";

    /** The value of {@link #OUTCOME_TAG} on the span of an attempt that never reached its handler. */
    public static final String NOT_RUN = "not-run";

    private static final Logger logger = LoggerFactory.getLogger(MicrometerTracingJobFilter.class);

    private final Tracer tracer;

    private final Propagator propagator;

    private final List<String> fields;

    /** The span of the attempt running on this worker thread, between its scope's opening and closing. */
    private final ThreadLocal<Attempt> attempt = new ThreadLocal<>();

    /**
     * Creates the filter.
     * @param tracer the application's tracer
     * @param propagator the tracer's propagator, which writes and reads the carried context
     */
    public MicrometerTracingJobFilter(Tracer tracer, Propagator propagator) {
        this.tracer = Objects.requireNonNull(tracer, "tracer must not be null");
        this.propagator = Objects.requireNonNull(propagator, "propagator must not be null");
        this.fields = List.copyOf(propagator.fields());
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public void beforeEnqueue(JobDraft job) {
        TraceContext context = this.tracer.currentTraceContext().context();
        if (context == null) {
            return;
        }
        this.propagator.inject(context, job, (draft, key, value) -> {
            if (draft == null) {
                return;
            }
            String metadataKey = METADATA_PREFIX + key;
            if (!draft.metadata().containsKey(metadataKey)
                    && draft.metadata().size() >= JobDraft.MAX_METADATA_ENTRIES) {
                logger.debug("Left the trace field '{}' out of the metadata of a '{}' job: it carries {} entries "
                        + "already, the most a job carries", key, draft.type(), JobDraft.MAX_METADATA_ENTRIES);
                return;
            }
            if (value.length() > JobDraft.MAX_METADATA_VALUE_LENGTH) {
                logger.debug("Left the trace field '{}' ({} characters) out of the metadata of a '{}' job: a metadata "
                        + "value has at most {} characters", key, value.length(), draft.type(),
                        JobDraft.MAX_METADATA_VALUE_LENGTH);
                return;
            }
            draft.putMetadata(metadataKey, value);
        });
    }

    @Override
    public Scope openScope(Job job) {
        Span span;
        try {
            span = spanBuilder(job).name("job " + job.type())
                .kind(Span.Kind.CONSUMER)
                .tag("quark.job.id", job.id().toString())
                .tag("quark.job.type", job.type())
                .tag("quark.job.attempt", job.attempt())
                .start();
        }
        catch (RuntimeException ex) {
            logger.debug("Could not start a span for job {} ({}): the attempt runs without one", job.id(), job.type(),
                    ex);
            return Scope.NONE;
        }
        Tracer.SpanInScope inScope;
        try {
            inScope = this.tracer.withSpan(span);
        }
        catch (RuntimeException ex) {
            span.end();
            logger.debug("Could not make the span of job {} ({}) current: the attempt runs without one", job.id(),
                    job.type(), ex);
            return Scope.NONE;
        }
        Attempt attempt = new Attempt(span);
        this.attempt.set(attempt);
        return () -> {
            this.attempt.remove();
            try {
                inScope.close();
            }
            finally {
                if (!attempt.handlerRan) {
                    span.tag(OUTCOME_TAG, NOT_RUN);
                }
                span.end();
            }
        };
    }

    private Span.Builder spanBuilder(Job job) {
        Map<String, String> carried = carried(job.metadata());
        if (carried.isEmpty()) {
            return this.tracer.spanBuilder().setNoParent();
        }
        String traceparent = carried.get(TraceFields.TRACEPARENT);
        if (traceparent != null && !TraceFields.isWellFormedTraceparent(traceparent)) {
            logger.debug("Ignored the malformed traceparent '{}' of job {} ({}): its attempt starts a trace of its own",
                    traceparent, job.id(), job.type());
            return this.tracer.spanBuilder().setNoParent();
        }
        return this.propagator.extract(carried, Map::get);
    }

    /**
     * Returns the trace fields a job carries, under the propagator's names.
     */
    private Map<String, String> carried(Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            return Map.of();
        }
        Map<String, String> carried = new HashMap<>();
        for (String field : this.fields) {
            String value = metadata.get(METADATA_PREFIX + field);
            if (value != null) {
                carried.put(field, value);
            }
        }
        return carried;
    }

    @Override
    public void beforeRun(Job job, JobContext context) {
        Attempt attempt = this.attempt.get();
        if (attempt != null) {
            attempt.handlerRan = true;
        }
    }

    @Override
    public void afterRun(Job job, JobContext context, @Nullable Throwable failure) {
        Attempt attempt = this.attempt.get();
        if (failure != null && attempt != null) {
            attempt.span.error(failure);
        }
    }

    /**
     * The span of an attempt on its worker thread, and whether its handler was reached ({@code beforeRun}).
     */
    private static final class Attempt {

        private final Span span;

        private boolean handlerRan;

        Attempt(Span span) {
            this.span = span;
        }
    }

    @Override
    public String toString() {
        return "MicrometerTracingJobFilter[" + this.propagator.fields() + "]";
    }
}
