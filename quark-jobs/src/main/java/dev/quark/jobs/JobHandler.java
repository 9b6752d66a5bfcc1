package dev.quark.jobs;

import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * Does the work of one job type. In a Spring Boot application every bean that implements it is registered; the
 * payload arrives as {@code P}, read from the job's JSON by the application's Jackson mapper:
 * <pre>{@code
 * record SendInvoice(String orderId) {}
 *
 * @Component
 * class SendInvoiceHandler implements JobHandler<SendInvoice> {      // job type "send-invoice"
 *     public void handle(SendInvoice invoice, JobContext context) throws Exception {
 *         context.progress(10, "rendering");
 *         ...
 *     }
 * }
 * }</pre>
 * <b>Job type.</b> {@link #type()} names the handler in every job of its type, in the store, on every node. Unless
 * overridden or given by {@link JobType @JobType}, it is derived from the class's simple name without a
 * {@code JobHandler}, {@code Handler} or {@code Job} suffix, in kebab case ({@code SendInvoiceHandler} gives
 * {@code send-invoice}): the same on every JVM, but it changes when the class is renamed, so pin it with
 * {@code @JobType} once jobs of the type may be waiting in a store.
 * <p>
 * <b>Payload type.</b> {@code P} as the class declares it ({@code JobHandler<List<Line>>} works), resolved once
 * when the handler is registered; a handler whose class does not say it (a lambda, a generic class) overrides
 * {@link #payloadType()}, or is created with {@link #of}.
 * <p>
 * <b>Failures.</b> An exception from {@link #handle} fails the attempt; the {@link RetryPolicy} decides whether
 * another follows. A {@link NonRetryableJobException} dead-letters the job at once; a
 * {@link JobCancelledException} after a cancellation request cancels it. A handler runs at least once per job, and
 * more than once when a node dies or loses its lease mid-job: make its effects idempotent.
 *
 * @param <P> the payload type
 */
@FunctionalInterface
public interface JobHandler<P> {

    /**
     * Does the job.
     * @param payload the job's payload
     * @param context the job's id and attempt, progress, cancellation and log
     * @throws Exception to fail the attempt
     */
    void handle(P payload, JobContext context) throws Exception;

    /**
     * Returns the job type this handler handles.
     * @return the type: {@link JobType @JobType} on the class, else derived from the class name
     */
    default String type() {
        return JobTypeNames.of(getClass());
    }

    /**
     * Returns the payload type when the class's generic declaration does not give it.
     * @return the type, or {@code null} to resolve {@code P} from the class
     */
    default @Nullable Type payloadType() {
        return null;
    }

    /**
     * Returns the retry policy of this type's jobs.
     * @return the policy, or {@code null} for the queue's default ({@code quark.jobs.retry.*})
     */
    default @Nullable RetryPolicy retryPolicy() {
        return null;
    }

    /**
     * Returns how long one attempt may run before its thread is interrupted and the attempt fails.
     * @return the timeout, or {@code null} for the queue's default ({@code quark.jobs.timeout})
     */
    default @Nullable Duration timeout() {
        return null;
    }

    /**
     * Returns how many jobs of this type one node runs at once at most, within its worker pool. The limit counts
     * handlers running: an attempt's place goes to the next job of the type once its handler returned, while that
     * attempt's outcome is still written and its outcome listener, {@code onFailure} / {@code onDeadLetter} hooks and
     * filter scopes' close still run on its thread.
     * @return the limit, or 0 for no limit other than the pool's
     */
    default int maxConcurrency() {
        return 0;
    }

    /**
     * Creates a handler from a function, with an explicit type and payload type.
     * @param <P> the payload type
     * @param type the job type
     * @param payloadType the payload class
     * @param body what the handler does
     * @return the handler
     */
    static <P> JobHandler<P> of(String type, Class<P> payloadType, JobHandler<P> body) {
        String name = JobTypeNames.requireValid(type);
        Objects.requireNonNull(payloadType, "payloadType must not be null");
        Objects.requireNonNull(body, "body must not be null");
        return new JobHandler<>() {
            @Override
            public void handle(P payload, JobContext context) throws Exception {
                body.handle(payload, context);
            }

            @Override
            public String type() {
                return name;
            }

            @Override
            public Type payloadType() {
                return payloadType;
            }

            @Override
            public String toString() {
                return "JobHandler[" + name + ", " + payloadType.getName() + "]";
            }
        };
    }
}
