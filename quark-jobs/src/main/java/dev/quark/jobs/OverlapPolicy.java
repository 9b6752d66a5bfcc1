package dev.quark.jobs;

/**
 * What a recurring job does when one of its instants comes while the job of its previous occurrence is still
 * pending or running (enqueued, scheduled, running or retrying).
 * <p>
 * The default is {@link #SKIP}: a recurring job is most often a periodic sweep (a report, a sync, a clean-up) for
 * which two runs at once do the same work twice or contend for the same rows, and a backlog of runs behind a slow or
 * stuck one helps nobody; it is what Spring's {@code @Scheduled}, Quartz's {@code @DisallowConcurrentExecution} and
 * db-scheduler do. {@link #ALLOW} gives every instant its job, as when each run handles its own period.
 * <p>
 * The check is made against the job of the recurring job's last occurrence, which the store links to the recurring
 * job in the same atomic step that enqueues it; an occurrence is enqueued only if the link is still the one checked,
 * so nodes that race agree. A previous job that was {@linkplain JobQueue#requeue requeued} from the dead letters
 * after the check counts as finished for the instant that was checked.
 */
public enum OverlapPolicy {

    /**
     * The instant is not run; the recurring job moves on to its next instant (logged). The default.
     */
    SKIP,

    /**
     * The instant waits, unrun, until the previous job finishes, and is then enqueued (within a poll interval); the
     * instants that come meanwhile are skipped: at most one occurrence waits behind the running one, and it runs
     * even if it waited longer than the misfire threshold.
     */
    QUEUE_ONE,

    /** The instant's job is enqueued anyway and may run beside the previous one. */
    ALLOW
}
