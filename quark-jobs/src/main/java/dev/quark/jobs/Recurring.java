package dev.quark.jobs;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a recurring job of a {@link JobHandler} bean's type: at start-up it is created or updated to match, and a
 * recurring job declared in code before (by this annotation or a {@link RecurringJobRequest} bean) that is no longer
 * declared is removed. Recurring jobs created through {@link JobQueue#scheduleRecurring} are never removed this way.
 * <pre>{@code
 * @Component
 * @Recurring(id = "nightly-report", cron = "0 0 2 * * *", zone = "Europe/Paris", payload = "{\"kind\":\"daily\"}")
 * class ReportJob implements JobHandler<Report> { ... }
 * }</pre>
 * Exactly one of {@link #cron} and {@link #every} is set. Repeatable: one handler may have several recurring jobs,
 * each with its own id and payload.
 * <p>
 * <b>On a method.</b> In a Spring Boot application it may also mark a method of any bean; the method is then the job
 * (its jobs are retried, leased, dead-lettered and listed like any other):
 * <pre>{@code
 * @Component
 * class Housekeeping {
 *     @Recurring(id = "purge-sessions", every = "PT15M")
 *     void purgeSessions(JobContext context) { ... }
 * }
 * }</pre>
 * The method takes no parameters or one {@link JobContext}; its result is ignored and an exception fails the
 * attempt. Its job type is {@link JobType @JobType} on the method, else the bean class's simple name and the method's
 * name in kebab case joined by a dot ({@code housekeeping.purge-sessions}): pin it with {@code @JobType} once jobs of
 * the type may be waiting in a store. Such a job has no payload: {@link #payload} stays {@code {}}. The bean is
 * looked up when each job runs, so the method is called through the bean's proxies (transactions, security).
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.TYPE, ElementType.METHOD })
@Repeatable(Recurring.List.class)
public @interface Recurring {

    /**
     * The recurring job's id, unique among recurring jobs ({@link RecurringJobRequest#requireId}).
     * @return the id
     */
    String id();

    /**
     * A cron expression (six fields, or a macro such as {@code @daily}), read in {@link #zone}.
     * @return the expression, or empty when {@link #every} is set
     */
    String cron() default "";

    /**
     * A fixed interval as an ISO-8601 duration, for instance {@code PT5M}.
     * @return the interval, or empty when {@link #cron} is set
     */
    String every() default "";

    /**
     * The time zone the cron expression is read in.
     * @return a zone id, for instance {@code Europe/Paris}; UTC when empty
     */
    String zone() default "";

    /**
     * The payload of the jobs it enqueues, as JSON read as the handler's payload type.
     * @return the JSON; {@code {}} (an empty record) by default
     */
    String payload() default "{}";

    /**
     * What it does about instants missed while no node ran it.
     * @return the policy
     */
    MisfirePolicy misfirePolicy() default MisfirePolicy.RUN_ONCE;

    /**
     * What it does when an instant comes while the previous occurrence's job still runs.
     * @return the policy
     */
    OverlapPolicy overlapPolicy() default OverlapPolicy.SKIP;

    /**
     * Holds several {@link Recurring} annotations of one class or method.
     */
    @Documented
    @Inherited
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ ElementType.TYPE, ElementType.METHOD })
    @interface List {

        /**
         * The annotations.
         * @return them
         */
        Recurring[] value();
    }
}
