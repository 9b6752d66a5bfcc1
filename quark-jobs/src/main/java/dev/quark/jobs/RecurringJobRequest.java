package dev.quark.jobs;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A recurring job to create or update with {@link JobQueue#scheduleRecurring}: its id, the type and payload of the
 * jobs it enqueues, its schedule and misfire policy.
 * <pre>{@code
 * jobs.scheduleRecurring(RecurringJobRequest.of("nightly-report", "report", new Report("daily"),
 *         Schedule.cron("0 0 2 * * *", ZoneId.of("Europe/Paris"))));
 * jobs.scheduleRecurring(RecurringJobRequest.of("sync", "sync-partners", new Sync(), Schedule.every(Duration.ofMinutes(5)))
 *     .misfirePolicy(MisfirePolicy.SKIP).overlapPolicy(OverlapPolicy.ALLOW));
 * }</pre>
 * A {@code RecurringJobRequest} bean of the application is declared: it is scheduled at start-up, and removed at
 * start-up once no bean declares it any more (see {@link Recurring}).
 *
 * @param id the recurring job's id: letters, digits, {@code . _ : -}, at most {@value #MAX_ID_LENGTH} characters
 * @param type the type of the jobs it enqueues
 * @param payload their payload
 * @param schedule when it runs
 * @param misfirePolicy what it does about instants missed during downtime
 * @param overlapPolicy what it does when an instant comes while the previous occurrence's job still runs
 */
public record RecurringJobRequest(String id, String type, Object payload, Schedule schedule,
        MisfirePolicy misfirePolicy, OverlapPolicy overlapPolicy) {

    /** The longest id. */
    public static final int MAX_ID_LENGTH = 150;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]+");

    /**
     * Validates the request.
     * @throws IllegalArgumentException naming the id when it is blank, too long or has other characters
     */
    public RecurringJobRequest {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(payload, "payload must not be null: a job without input takes an empty record");
        Objects.requireNonNull(schedule, "schedule must not be null");
        Objects.requireNonNull(misfirePolicy, "misfirePolicy must not be null");
        Objects.requireNonNull(overlapPolicy, "overlapPolicy must not be null");
        requireId(id);
        if (type.isBlank()) {
            throw new IllegalArgumentException("A job type must not be blank, was '" + type + "'");
        }
    }

    /**
     * Creates a request with the default overlap policy, {@link OverlapPolicy#SKIP}.
     * @param id the recurring job's id
     * @param type the type of the jobs it enqueues
     * @param payload their payload
     * @param schedule when it runs
     * @param misfirePolicy what it does about instants missed during downtime
     */
    public RecurringJobRequest(String id, String type, Object payload, Schedule schedule, MisfirePolicy misfirePolicy) {
        this(id, type, payload, schedule, misfirePolicy, OverlapPolicy.SKIP);
    }

    /**
     * Starts a request with the default policies: misfires {@link MisfirePolicy#RUN_ONCE}, overlaps
     * {@link OverlapPolicy#SKIP}.
     * @param id the recurring job's id
     * @param type the type of the jobs it enqueues
     * @param payload their payload
     * @param schedule when it runs
     * @return the request
     */
    public static RecurringJobRequest of(String id, String type, Object payload, Schedule schedule) {
        return new RecurringJobRequest(id, type, payload, schedule, MisfirePolicy.RUN_ONCE);
    }

    /**
     * Returns this request with another misfire policy.
     * @param policy the policy
     * @return the new request
     */
    public RecurringJobRequest misfirePolicy(MisfirePolicy policy) {
        return new RecurringJobRequest(this.id, this.type, this.payload, this.schedule, policy, this.overlapPolicy);
    }

    /**
     * Returns this request with another overlap policy.
     * @param policy the policy
     * @return the new request
     */
    public RecurringJobRequest overlapPolicy(OverlapPolicy policy) {
        return new RecurringJobRequest(this.id, this.type, this.payload, this.schedule, this.misfirePolicy, policy);
    }

    /**
     * Checks a recurring job's id.
     * @param id the id
     * @return the id
     * @throws IllegalArgumentException naming the id when it is blank, too long or has other characters
     */
    public static String requireId(String id) {
        Objects.requireNonNull(id, "id must not be null");
        if (id.isEmpty() || id.length() > MAX_ID_LENGTH || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("A recurring job's id has letters, digits, '.', '_', ':' and '-', at most "
                    + MAX_ID_LENGTH + " characters, was '" + id + "'");
        }
        return id;
    }
}
