package dev.quark.testkit.jobs;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobDraft;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.MisfirePolicy;
import dev.quark.jobs.OverlapPolicy;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.RecurringJobRequest;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.Schedule;
import dev.quark.jobs.UnknownJobTypeException;
import dev.quark.jobs.runtime.DefaultJobQueue;
import dev.quark.jobs.runtime.JobFilters;
import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.JobMetrics;
import dev.quark.jobs.runtime.JobPayloadCodec;
import dev.quark.jobs.runtime.RecurringJobScheduler;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.RecurringJobStore;
import dev.quark.testkit.ManualClock;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The behaviour every {@link RecurringJobStore} must have, with the {@link JobStore} of the same backend: recurring
 * jobs read back as saved, saves idempotent by id (the same definition keeps its next instant, another one replaces
 * it), deletes, due jobs in order, the compare-and-set that moves a job on; and, through
 * {@link RecurringJobScheduler} in virtual time, each scheduled instant enqueued once by racing nodes, cron in a time
 * zone across both daylight-saving changes (a local time that does not exist is skipped, one that happens twice runs
 * in each offset), and the misfire policies after downtime; the atomic fire (enqueue and move
 * on only from the instant and last occurrence read), so that a node paused past the jobs' retention enqueues
 * nothing; the overlap policies, also with racing nodes; the job filters' veto (the instant skipped), changes
 * (stored with the instant's job, still once across racing nodes) and errors (the filter skipped, no recurring job
 * held up); and the declared recurring jobs made to match the
 * code.
 * <p>
 * Subclass it and return both stores; every test uses ids and job types of its own and deletes its recurring jobs,
 * so one store may serve all tests of the class.
 */
public abstract class RecurringJobStoreContractTests {

    /** An instant the tests' clocks start at, a whole minute. */
    protected static final Instant START = Instant.parse("2026-03-28T12:00:00Z");

    private static final AtomicLong ids = new AtomicLong();

    private final String run = Long.toHexString(System.nanoTime());

    private final List<String> created = new ArrayList<>();

    private final ManualClock clock = new ManualClock(START);

    private final JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());

    private final List<String> skippedForOverlap = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final List<String> skippedForVeto = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final JobMetrics metrics = new JobMetrics() {

        @Override
        public void skippedForOverlap(String recurringJob, String type) {
            RecurringJobStoreContractTests.this.skippedForOverlap.add(recurringJob + " " + type);
        }

        @Override
        public void skippedForVeto(String recurringJob, String type) {
            RecurringJobStoreContractTests.this.skippedForVeto.add(recurringJob + " " + type);
        }
    };

    /**
     * Returns the store under test.
     * @return the store
     */
    protected abstract RecurringJobStore recurringStore();

    /**
     * Returns the job store of the same backend, where the recurring jobs' jobs are enqueued.
     * @return the job store
     */
    protected abstract JobStore jobStore();

    /** A payload. */
    public record Tick(String name) {
    }

    @AfterEach
    void deleteRecurringJobs() {
        this.created.forEach(recurringStore()::delete);
    }

    private String newId(String name) {
        String id = "rc-" + this.run + "-" + ids.incrementAndGet() + "-" + name;
        this.created.add(id);
        return id;
    }

    private RecurringJob job(String id, Schedule schedule, Instant next) {
        return new RecurringJob(id, "tick", "{\"name\":\"a\"}", schedule, MisfirePolicy.RUN_ONCE, next);
    }

    private JobHandlerRegistry handlers(String type) {
        JobHandler<Tick> handler = JobHandler.of(type, Tick.class, (tick, context) -> {
        });
        return new JobHandlerRegistry(List.of(handler), this.codec, RetryPolicy.defaults(), Duration.ofMinutes(1));
    }

    private DefaultJobQueue queue(String type, JobFilter... filters) {
        return new DefaultJobQueue(jobStore(), recurringStore(), handlers(type), this.codec, this.clock, this.metrics,
                new JobFilters(List.of(filters)));
    }

    private NewJob occurrence(String id, String type, Instant instant) {
        return new NewJob(JobId.next(this.clock), type, "{\"name\":\"a\"}", DefaultJobQueue.occurrenceKey(id, instant),
                this.clock.instant(), instant);
    }

    private RecurringJobScheduler scheduler(DefaultJobQueue queue) {
        return new RecurringJobScheduler(recurringStore(), queue, Duration.ofSeconds(1), Duration.ofMinutes(1),
                this.clock, (at, task) -> () -> false);
    }

    private List<Job> jobsOf(String type) {
        return jobStore().list(JobQuery.all().type(type).limit(1000)).jobs();
    }

    @Test
    void aRecurringJobReadsBackAsSaved() {
        String id = newId("read");
        Schedule cron = Schedule.cron("0 */5 * * * MON-FRI", ZoneId.of("America/New_York"));
        RecurringJob saved = recurringStore().save(job(id, cron, START.plusSeconds(300)));
        assertThat(saved).isEqualTo(job(id, cron, START.plusSeconds(300)));
        assertThat(saved.overlapPolicy()).isEqualTo(OverlapPolicy.SKIP);
        assertThat(saved.origin()).isEqualTo(RecurringJob.Origin.DYNAMIC);
        assertThat(saved.lastJobId()).isNull();
        assertThat(recurringStore().find(id)).contains(saved);
        assertThat(recurringStore().list()).contains(saved);
        assertThat(recurringStore().find(id + "-none")).isEmpty();
        String declared = newId("read-declared");
        RecurringJob queueOne = new RecurringJob(declared, "tick", "{}", cron, MisfirePolicy.SKIP, OverlapPolicy.QUEUE_ONE,
                RecurringJob.Origin.DECLARED, START.plusSeconds(300), null);
        assertThat(recurringStore().save(queueOne)).isEqualTo(queueOne);
        assertThat(recurringStore().find(declared)).contains(queueOne);
    }

    @Test
    void anotherOverlapPolicyOrOriginIsAnotherDefinitionAndARedefinitionKeepsTheLastOccurrence() {
        String type = "redefine-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("redefine");
        DefaultJobQueue queue = queue(type);
        queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofMinutes(1))));
        this.clock.advance(Duration.ofMinutes(1));
        scheduler(queue).fireDue();
        JobId last = recurringStore().find(id).orElseThrow().lastJobId();
        assertThat(last).isNotNull();
        assertThat(jobsOf(type)).extracting(Job::id).containsExactly(last);
        RecurringJob allow = queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"),
                Schedule.every(Duration.ofMinutes(1))).overlapPolicy(OverlapPolicy.ALLOW));
        assertThat(allow.overlapPolicy()).isEqualTo(OverlapPolicy.ALLOW);
        assertThat(allow.lastJobId()).isEqualTo(last);
        assertThat(recurringStore().find(id).orElseThrow().lastJobId()).isEqualTo(last);
        RecurringJob declared = recurringStore().save(new RecurringJob(id, allow.type(), allow.payload(), allow.schedule(),
                allow.misfirePolicy(), allow.overlapPolicy(), RecurringJob.Origin.DECLARED, START, null));
        assertThat(declared.origin()).isEqualTo(RecurringJob.Origin.DECLARED);
        assertThat(declared.nextRunAt()).isEqualTo(START);
        assertThat(declared.lastJobId()).isEqualTo(last);
    }

    @Test
    void savingTheSameDefinitionAgainKeepsItsNextInstant() {
        String id = newId("same");
        Schedule every = Schedule.every(Duration.ofMinutes(1));
        recurringStore().save(job(id, every, START.plusSeconds(60)));
        RecurringJob again = recurringStore().save(job(id, every, START.plusSeconds(600)));
        assertThat(again.nextRunAt()).isEqualTo(START.plusSeconds(60));
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(60));
    }

    @Test
    void savingAnotherDefinitionReplacesItNextInstantIncluded() {
        String id = newId("other");
        recurringStore().save(job(id, Schedule.every(Duration.ofMinutes(1)), START.plusSeconds(60)));
        RecurringJob changed = new RecurringJob(id, "tock", "{\"name\":\"b\"}", Schedule.cron("0 0 * * * *"),
                MisfirePolicy.SKIP, START.plusSeconds(3600));
        assertThat(recurringStore().save(changed)).isEqualTo(changed);
        assertThat(recurringStore().find(id)).contains(changed);
    }

    @Test
    @Timeout(60)
    void nodesDeclaringOneRecurringJobAtOnceLeaveOne() throws Exception {
        String id = newId("declared");
        Schedule every = Schedule.every(Duration.ofMinutes(1));
        List<RecurringJob> saved = race(8, (n) -> recurringStore().save(job(id, every, START.plusSeconds(60 + n))));
        assertThat(Set.copyOf(saved)).hasSize(1);
        assertThat(recurringStore().list().stream().filter((job) -> job.id().equals(id))).hasSize(1);
    }

    @Test
    void aDeletedRecurringJobIsGone() {
        String id = newId("delete");
        recurringStore().save(job(id, Schedule.every(Duration.ofMinutes(1)), START));
        assertThat(recurringStore().delete(id)).isTrue();
        assertThat(recurringStore().delete(id)).isFalse();
        assertThat(recurringStore().find(id)).isEmpty();
        assertThat(recurringStore().due(START.plusSeconds(3600), 1000)).extracting(RecurringJob::id).doesNotContain(id);
    }

    @Test
    void dueJobsComeEarliestFirstUpToTheLimit() {
        Schedule every = Schedule.every(Duration.ofMinutes(1));
        Instant base = Instant.parse("2001-01-01T00:00:00Z");
        String late = newId("late");
        String early = newId("early");
        String future = newId("future");
        recurringStore().save(job(late, every, base.plusSeconds(2)));
        recurringStore().save(job(early, every, base.plusSeconds(1)));
        recurringStore().save(job(future, every, base.plusSeconds(4)));
        List<String> mine = List.of(late, early, future);
        assertThat(recurringStore().due(base.plusSeconds(2), 1000)).extracting(RecurringJob::id)
            .filteredOn(mine::contains)
            .containsExactly(early, late);
        assertThat(recurringStore().due(base.plusSeconds(1).minusMillis(1), 1000)).extracting(RecurringJob::id)
            .filteredOn(mine::contains)
            .isEmpty();
        assertThat(recurringStore().due(base.plusSeconds(5), 1)).extracting(RecurringJob::id).containsExactly(early);
        assertThatIllegalArgumentException().isThrownBy(() -> recurringStore().due(base, 0)).withMessageContaining("0");
    }

    @Test
    void anAdvanceMovesAJobOnOnlyFromTheExpectedInstant() {
        String id = newId("advance");
        recurringStore().save(job(id, Schedule.every(Duration.ofMinutes(1)), START));
        assertThat(recurringStore().advance(id, START.minusSeconds(60), START.plusSeconds(60))).isFalse();
        assertThat(recurringStore().advance(id, START, START.plusSeconds(60))).isTrue();
        assertThat(recurringStore().advance(id, START, START.plusSeconds(120))).isFalse();
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(60));
        assertThat(recurringStore().advance(id + "-none", START, START.plusSeconds(60))).isFalse();
    }

    @Test
    @Timeout(60)
    void racingAdvancesOfOneInstantMoveTheJobOnce() throws Exception {
        String id = newId("race");
        recurringStore().save(job(id, Schedule.every(Duration.ofMinutes(1)), START));
        List<Boolean> moved = race(8, (n) -> recurringStore().advance(id, START, START.plusSeconds(60 + n)));
        assertThat(moved).containsOnlyOnce(true);
    }

    @Test
    @Timeout(120)
    void twoNodesRacingEnqueueEachScheduledInstantOnce() throws Exception {
        String type = "tick-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("once");
        DefaultJobQueue one = queue(type);
        DefaultJobQueue two = queue(type);
        one.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofMinutes(1)))
            .overlapPolicy(OverlapPolicy.ALLOW));
        RecurringJobScheduler nodeOne = scheduler(one);
        RecurringJobScheduler nodeTwo = scheduler(two);
        int instants = 20;
        for (int i = 1; i <= instants; i++) {
            this.clock.advance(Duration.ofMinutes(1));
            race(2, (n) -> ((n == 0) ? nodeOne : nodeTwo).fireDue());
        }
        List<Job> jobs = jobsOf(type);
        assertThat(jobs).hasSize(instants);
        assertThat(jobs.stream().map(Job::dueAt).collect(Collectors.toSet())).hasSize(instants)
            .contains(START.plusSeconds(60), START.plusSeconds(60L * instants));
        assertThat(jobs).allSatisfy((job) -> assertThat(job.idempotencyKey())
            .isEqualTo(DefaultJobQueue.occurrenceKey(id, job.dueAt())));
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(60L * (instants + 1)));
    }

    @Test
    void aCronJobRunsInItsZoneAcrossADaylightSavingChange() {
        String type = "dst-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("dst");
        DefaultJobQueue queue = queue(type);
        // 02:00 in Paris does not exist on 2026-03-29 (clocks go from 02:00 CET to 03:00 CEST): that day is skipped.
        RecurringJob scheduled = queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("nightly"),
                Schedule.cron("0 0 2 * * *", ZoneId.of("Europe/Paris"))).overlapPolicy(OverlapPolicy.ALLOW));
        assertThat(scheduled.nextRunAt()).isEqualTo(Instant.parse("2026-03-30T00:00:00Z"));
        RecurringJobScheduler node = scheduler(queue);
        this.clock.set(Instant.parse("2026-03-30T00:00:00Z"));
        assertThat(node.fireDue()).isEqualTo(1);
        this.clock.set(Instant.parse("2026-03-31T00:00:00Z"));
        assertThat(node.fireDue()).isEqualTo(1);
        assertThat(jobsOf(type)).extracting(Job::dueAt)
            .containsExactlyInAnyOrder(Instant.parse("2026-03-30T00:00:00Z"), Instant.parse("2026-03-31T00:00:00Z"));
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(Instant.parse("2026-04-01T00:00:00Z"));
    }

    @Test
    @Timeout(60)
    void aCronLocalTimeThatHappensTwiceWhenClocksGoBackRunsOnceInEachOffsetWithRacingNodes() throws Exception {
        String type = "dst-back-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("dst-back");
        DefaultJobQueue one = queue(type);
        DefaultJobQueue two = queue(type);
        // 02:30 in Paris happens twice on 2026-10-25 (clocks go from 03:00 CEST back to 02:00 CET): at 00:30 UTC and
        // at 01:30 UTC, two instants with occurrence keys of their own.
        this.clock.set(Instant.parse("2026-10-24T12:00:00Z"));
        RecurringJob scheduled = one.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("nightly"),
                Schedule.cron("0 30 2 * * *", ZoneId.of("Europe/Paris"))).overlapPolicy(OverlapPolicy.ALLOW));
        Instant summerTime = Instant.parse("2026-10-25T00:30:00Z");
        Instant winterTime = Instant.parse("2026-10-25T01:30:00Z");
        assertThat(scheduled.nextRunAt()).isEqualTo(summerTime);
        RecurringJobScheduler nodeOne = scheduler(one);
        RecurringJobScheduler nodeTwo = scheduler(two);
        this.clock.set(summerTime);
        race(2, (n) -> ((n == 0) ? nodeOne : nodeTwo).fireDue());
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(winterTime);
        this.clock.set(winterTime);
        race(2, (n) -> ((n == 0) ? nodeOne : nodeTwo).fireDue());
        this.clock.set(Instant.parse("2026-10-26T01:30:00Z"));
        race(2, (n) -> ((n == 0) ? nodeOne : nodeTwo).fireDue());
        assertThat(jobsOf(type)).extracting(Job::dueAt)
            .containsExactlyInAnyOrder(summerTime, winterTime, Instant.parse("2026-10-26T01:30:00Z"));
        assertThat(jobsOf(type)).extracting(Job::idempotencyKey)
            .containsExactlyInAnyOrder(DefaultJobQueue.occurrenceKey(id, summerTime),
                    DefaultJobQueue.occurrenceKey(id, winterTime),
                    DefaultJobQueue.occurrenceKey(id, Instant.parse("2026-10-26T01:30:00Z")));
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(Instant.parse("2026-10-27T01:30:00Z"));
    }

    @Test
    void anInstantLookedAtLateButWithinTheThresholdRuns() {
        String type = "late-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("late");
        DefaultJobQueue queue = queue(type);
        queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofMinutes(5)))
            .misfirePolicy(MisfirePolicy.SKIP));
        this.clock.advance(Duration.ofMinutes(5).plusSeconds(30));
        scheduler(queue).fireDue();
        assertThat(jobsOf(type)).extracting(Job::dueAt).containsExactly(START.plus(Duration.ofMinutes(5)));
        assertThat(jobsOf(type).getFirst().createdAt()).isEqualTo(this.clock.instant());
    }

    @Test
    void recurringJobsWhoseEnqueueKeepsFailingDoNotHoldUpTheOthers() {
        String type = "healthy-" + this.run + "-" + ids.incrementAndGet();
        DefaultJobQueue queue = queue(type);
        Schedule every = Schedule.every(Duration.ofMinutes(1));
        for (int i = 0; i < 150; i++) {
            recurringStore().save(new RecurringJob(newId("orphan-" + i), "removed-handler-" + this.run, "{}", every,
                    MisfirePolicy.RUN_ONCE, START.minusSeconds(30)));
        }
        String healthy = newId("healthy");
        queue.scheduleRecurring(RecurringJobRequest.of(healthy, type, new Tick("a"), every));
        this.clock.advance(Duration.ofMinutes(1));
        assertThat(scheduler(queue).fireDue()).isEqualTo(1);
        assertThat(jobsOf(type)).extracting(Job::dueAt).containsExactly(START.plusSeconds(60));
    }

    @Test
    void afterDowntimeRunOnceRunsOneJobAndSkipsTheRest() {
        String type = "misfire-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("run-once");
        DefaultJobQueue queue = queue(type);
        queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofMinutes(1))));
        this.clock.advance(Duration.ofHours(1).plusSeconds(30));
        RecurringJobScheduler node = scheduler(queue);
        node.fireDue();
        node.fireDue();
        assertThat(jobsOf(type)).extracting(Job::dueAt).containsExactly(START.plusSeconds(60));
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plus(Duration.ofMinutes(61)));
    }

    @Test
    void afterDowntimeSkipRunsNone() {
        String type = "skip-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("skip");
        DefaultJobQueue queue = queue(type);
        queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.cron("0 0 * * * *"))
            .misfirePolicy(MisfirePolicy.SKIP));
        this.clock.advance(Duration.ofHours(5).plusMinutes(10));
        scheduler(queue).fireDue();
        assertThat(jobsOf(type)).isEmpty();
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plus(Duration.ofHours(6)));
    }

    @Test
    void aChangedScheduleCountsItsNextInstantFromNowAndADeletedJobRunsNoMore() {
        String type = "change-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("change");
        DefaultJobQueue queue = queue(type);
        RecurringJobRequest hourly = RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofHours(1)));
        queue.scheduleRecurring(hourly);
        this.clock.advance(Duration.ofMinutes(10));
        assertThat(queue.scheduleRecurring(hourly).nextRunAt()).isEqualTo(START.plus(Duration.ofHours(1)));
        assertThat(queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"),
                Schedule.every(Duration.ofMinutes(15)))).nextRunAt()).isEqualTo(START.plus(Duration.ofMinutes(25)));
        assertThat(queue.listRecurring()).extracting(RecurringJob::id).contains(id);
        assertThat(queue.deleteRecurring(id)).isTrue();
        this.clock.advance(Duration.ofMinutes(20));
        scheduler(queue).fireDue();
        assertThat(jobsOf(type)).isEmpty();
        assertThat(queue.findRecurring(id)).isEmpty();
    }

    @Test
    void aFireEnqueuesAndMovesOnOnlyFromTheExpectedInstantAndLastOccurrence() {
        String type = "fire-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("fire");
        recurringStore().save(new RecurringJob(id, type, "{\"name\":\"a\"}", Schedule.every(Duration.ofMinutes(1)),
                MisfirePolicy.RUN_ONCE, START));
        assertThat(recurringStore().fire(id, START.minusSeconds(60), null, START.plusSeconds(60), occurrence(id, type,
                START.minusSeconds(60)))).isEmpty();
        assertThat(recurringStore().fire(id, START, JobId.next(this.clock), START.plusSeconds(60), occurrence(id, type,
                START))).isEmpty();
        assertThat(jobsOf(type)).isEmpty();
        NewJob first = occurrence(id, type, START);
        Enqueued fired = recurringStore().fire(id, START, null, START.plusSeconds(60), first).orElseThrow();
        assertThat(fired.created()).isTrue();
        assertThat(fired.job().id()).isEqualTo(first.id());
        assertThat(fired.job().idempotencyKey()).isEqualTo(DefaultJobQueue.occurrenceKey(id, START));
        RecurringJob moved = recurringStore().find(id).orElseThrow();
        assertThat(moved.nextRunAt()).isEqualTo(START.plusSeconds(60));
        assertThat(moved.lastJobId()).isEqualTo(first.id());
        assertThat(recurringStore().fire(id, START, null, START.plusSeconds(60), occurrence(id, type, START))).isEmpty();
        assertThat(recurringStore().fire(id + "-none", START, null, START.plusSeconds(60), occurrence(id, type, START)))
            .isEmpty();
        assertThat(jobsOf(type)).extracting(Job::id).containsExactly(first.id());
    }

    @Test
    @Timeout(60)
    void racingFiresOfOneInstantEnqueueOneJob() throws Exception {
        String type = "fire-race-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("fire-race");
        recurringStore().save(new RecurringJob(id, type, "{}", Schedule.every(Duration.ofMinutes(1)),
                MisfirePolicy.RUN_ONCE, START));
        List<Boolean> fired = race(8, (n) -> recurringStore()
            .fire(id, START, null, START.plusSeconds(60), occurrence(id, type, START))
            .isPresent());
        assertThat(fired).containsOnlyOnce(true);
        assertThat(jobsOf(type)).hasSize(1);
        assertThat(recurringStore().find(id).orElseThrow().lastJobId()).isEqualTo(jobsOf(type).getFirst().id());
    }

    @Test
    void aNodeThatReadARecurringJobBeforeAPauseLongerThanTheRetentionEnqueuesNothing() {
        String type = "stale-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("stale");
        DefaultJobQueue queue = queue(type);
        queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofMinutes(1))));
        this.clock.advance(Duration.ofMinutes(1));
        // The paused node read the recurring job, due at START + 1 min, then froze.
        List<RecurringJob> readBeforeThePause = recurringStore().due(this.clock.instant(), 1000);
        assertThat(readBeforeThePause).extracting(RecurringJob::id).contains(id);
        // Meanwhile another node enqueued that instant's job, which ran, and retention deleted it (freeing its key).
        assertThat(scheduler(queue).fireDue()).isEqualTo(1);
        Job ran = jobsOf(type).getFirst();
        queue.cancel(ran.id());
        this.clock.advance(Duration.ofHours(40));
        assertThat(jobStore().purge(Set.of(JobStatus.CANCELLED), this.clock.instant())).isPositive();
        assertThat(jobsOf(type)).isEmpty();
        // The paused node wakes up with what it read.
        RecurringJobStore staleReads = new StaleDueReads(recurringStore(), readBeforeThePause);
        DefaultJobQueue pausedQueue = new DefaultJobQueue(jobStore(), staleReads, handlers(type), this.codec, this.clock,
                JobMetrics.NONE, JobFilters.NONE);
        new RecurringJobScheduler(staleReads, pausedQueue, Duration.ofSeconds(1), Duration.ofMinutes(1), this.clock,
                (at, task) -> () -> false).fireDue();
        assertThat(jobsOf(type)).isEmpty();
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(120));
    }

    @Test
    void aFilterThatVetoesAnInstantsJobSkipsThatInstantAndTheNextOneStillComes() {
        String type = "vetoed-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("vetoed");
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        JobFilter vetoFirst = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                seen.add(job.recurringJob() + " " + job.idempotencyKey() + " " + job.dueAt());
                if (job.dueAt().equals(START.plusSeconds(60))) {
                    job.veto("closed for the night");
                }
            }
        };
        DefaultJobQueue queue = queue(type, vetoFirst);
        queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofMinutes(1))));
        RecurringJobScheduler node = scheduler(queue);
        this.clock.advance(Duration.ofMinutes(1));
        assertThat(node.fireDue()).as("the vetoed instant is passed").isEqualTo(1);
        assertThat(jobsOf(type)).isEmpty();
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(120));
        assertThat(node.skippedForVeto()).isEqualTo(1);
        assertThat(this.skippedForVeto).as("told to the metrics").containsExactly(id + " " + type);
        this.clock.advance(Duration.ofMinutes(1));
        assertThat(node.fireDue()).isEqualTo(1);
        assertThat(jobsOf(type)).extracting(Job::dueAt).containsExactly(START.plusSeconds(120));
        assertThat(seen).containsExactly(
                id + " " + DefaultJobQueue.occurrenceKey(id, START.plusSeconds(60)) + " " + START.plusSeconds(60),
                id + " " + DefaultJobQueue.occurrenceKey(id, START.plusSeconds(120)) + " " + START.plusSeconds(120));
        assertThat(node.skippedForVeto()).isEqualTo(1);
    }

    @Test
    void aFilterThatThrowsAnErrorForOneRecurringJobHoldsUpNoRecurringJob() {
        String type = "asserting-" + this.run + "-" + ids.incrementAndGet();
        String failing = newId("a-asserting");
        String other = newId("b-other");
        JobFilter asserting = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                if (failing.equals(job.recurringJob())) {
                    job.putMetadata("undone", "yes");
                    throw new AssertionError("a broken invariant in the filter");
                }
            }
        };
        DefaultJobQueue queue = queue(type, asserting);
        Schedule every = Schedule.every(Duration.ofMinutes(1));
        queue.scheduleRecurring(RecurringJobRequest.of(failing, type, new Tick("a"), every)
            .overlapPolicy(OverlapPolicy.ALLOW));
        queue.scheduleRecurring(RecurringJobRequest.of(other, type, new Tick("b"), every)
            .overlapPolicy(OverlapPolicy.ALLOW));
        RecurringJobScheduler node = scheduler(queue);
        for (int i = 1; i <= 2; i++) {
            this.clock.advance(Duration.ofMinutes(1));
            assertThat(node.fireDue()).as("both moved on").isEqualTo(2);
        }
        assertThat(jobsOf(type)).hasSize(4).allSatisfy((job) -> assertThat(job.metadata()).isEmpty());
        assertThat(recurringStore().find(failing).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(180));
        assertThat(recurringStore().find(other).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(180));
    }

    @Test
    @Timeout(120)
    void aFilterChangesAnInstantsJobWhichRacingNodesStillEnqueueOnce() throws Exception {
        String type = "changed-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("changed");
        JobFilter changing = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                job.replacePayload(new Tick(((Tick) job.payload()).name() + "-changed"));
                job.putMetadata("origin", "recurring:" + job.recurringJob());
                job.runAt(job.dueAt().plusSeconds(10));
            }
        };
        DefaultJobQueue one = queue(type, changing);
        DefaultJobQueue two = queue(type, changing);
        one.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofMinutes(1)))
            .overlapPolicy(OverlapPolicy.ALLOW));
        RecurringJobScheduler nodeOne = scheduler(one);
        RecurringJobScheduler nodeTwo = scheduler(two);
        int instants = 5;
        for (int i = 1; i <= instants; i++) {
            this.clock.advance(Duration.ofMinutes(1));
            race(2, (n) -> ((n == 0) ? nodeOne : nodeTwo).fireDue());
        }
        List<Job> jobs = jobsOf(type);
        assertThat(jobs).hasSize(instants).allSatisfy((job) -> {
            assertThat(job.payload()).isEqualTo("{\"name\":\"a-changed\"}");
            assertThat(job.metadata()).containsExactly(java.util.Map.entry("origin", "recurring:" + id));
            assertThat(job.idempotencyKey()).as("still the instant's")
                .isEqualTo(DefaultJobQueue.occurrenceKey(id, job.dueAt().minusSeconds(10)));
        });
        assertThat(jobs).extracting(Job::dueAt)
            .containsExactlyInAnyOrder(START.plusSeconds(70), START.plusSeconds(130), START.plusSeconds(190),
                    START.plusSeconds(250), START.plusSeconds(310));
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(60L * (instants + 1)));
    }

    @Test
    void withSkipAnInstantWhosePreviousJobStillWaitsIsNotEnqueued() {
        String type = "overlap-skip-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("overlap-skip");
        DefaultJobQueue queue = queue(type);
        queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofMinutes(1)))
            .overlapPolicy(OverlapPolicy.SKIP));
        RecurringJobScheduler node = scheduler(queue);
        this.clock.advance(Duration.ofMinutes(1));
        assertThat(node.fireDue()).isEqualTo(1);
        this.clock.advance(Duration.ofMinutes(1));
        assertThat(node.fireDue()).isEqualTo(1);
        assertThat(node.skippedForOverlap()).isEqualTo(1);
        assertThat(this.skippedForOverlap).as("told to the metrics").containsExactly(id + " " + type);
        assertThat(jobsOf(type)).extracting(Job::dueAt).containsExactly(START.plusSeconds(60));
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(180));
        queue.cancel(jobsOf(type).getFirst().id());
        this.clock.advance(Duration.ofMinutes(1));
        node.fireDue();
        assertThat(jobsOf(type)).extracting(Job::dueAt).containsExactlyInAnyOrder(START.plusSeconds(60),
                START.plusSeconds(180));
    }

    @Test
    void withQueueOneOneInstantWaitsForThePreviousJobAndTheOthersAreSkipped() {
        String type = "overlap-queue-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("overlap-queue");
        DefaultJobQueue queue = queue(type);
        queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofMinutes(1)))
            .overlapPolicy(OverlapPolicy.QUEUE_ONE));
        RecurringJobScheduler node = scheduler(queue);
        this.clock.advance(Duration.ofMinutes(1));
        node.fireDue();
        for (int i = 0; i < 3; i++) {
            this.clock.advance(Duration.ofMinutes(1));
            assertThat(node.fireDue()).isZero();
        }
        assertThat(jobsOf(type)).extracting(Job::dueAt).containsExactly(START.plusSeconds(60));
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(120));
        this.clock.advance(Duration.ofSeconds(10));
        queue.cancel(jobsOf(type).getFirst().id());
        assertThat(node.fireDue()).isEqualTo(1);
        assertThat(jobsOf(type)).extracting(Job::dueAt).containsExactlyInAnyOrder(START.plusSeconds(60),
                START.plusSeconds(120));
        assertThat(recurringStore().find(id).orElseThrow().nextRunAt()).isEqualTo(START.plusSeconds(300));
    }

    @Test
    @Timeout(120)
    void twoNodesRacingWithSkipNeverHaveTwoOccurrencesPending() throws Exception {
        String type = "overlap-race-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("overlap-race");
        DefaultJobQueue one = queue(type);
        DefaultJobQueue two = queue(type);
        one.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"), Schedule.every(Duration.ofMinutes(1))));
        RecurringJobScheduler nodeOne = scheduler(one);
        RecurringJobScheduler nodeTwo = scheduler(two);
        for (int i = 1; i <= 20; i++) {
            this.clock.advance(Duration.ofMinutes(1));
            race(2, (n) -> ((n == 0) ? nodeOne : nodeTwo).fireDue());
            List<Job> pending = jobsOf(type).stream().filter((job) -> !job.status().isFinished()).toList();
            assertThat(pending).hasSize(1);
            if (i % 2 == 0) {
                one.cancel(pending.getFirst().id());
            }
        }
        assertThat(jobsOf(type)).hasSize(10);
        assertThat(nodeOne.skippedForOverlap() + nodeTwo.skippedForOverlap()).isEqualTo(10);
    }

    @Test
    void declaredRecurringJobsNoLongerDeclaredAreRemovedAndThoseCreatedAtRunTimeStay() {
        String type = "declared-" + this.run + "-" + ids.incrementAndGet();
        DefaultJobQueue queue = queue(type);
        String kept = newId("kept");
        String dropped = newId("dropped");
        String dynamic = newId("dynamic");
        Schedule every = Schedule.every(Duration.ofMinutes(1));
        assertThat(queue.synchronizeDeclared(List.of(RecurringJobRequest.of(kept, type, new Tick("a"), every),
                RecurringJobRequest.of(dropped, type, new Tick("b"), every)))).isEmpty();
        queue.scheduleRecurring(RecurringJobRequest.of(dynamic, type, new Tick("c"), every));
        assertThat(queue.findRecurring(kept).orElseThrow().origin()).isEqualTo(RecurringJob.Origin.DECLARED);
        assertThat(queue.findRecurring(dynamic).orElseThrow().origin()).isEqualTo(RecurringJob.Origin.DYNAMIC);
        // The next start-up declares one of them, with another schedule.
        this.clock.advance(Duration.ofSeconds(10));
        assertThat(queue.synchronizeDeclared(List.of(RecurringJobRequest.of(kept, type, new Tick("a"),
                Schedule.every(Duration.ofMinutes(5)))))).containsExactly(dropped);
        assertThat(queue.findRecurring(dropped)).isEmpty();
        assertThat(queue.findRecurring(dynamic)).isPresent();
        RecurringJob updated = queue.findRecurring(kept).orElseThrow();
        assertThat(updated.schedule()).isEqualTo(Schedule.every(Duration.ofMinutes(5)));
        assertThat(updated.nextRunAt()).isEqualTo(START.plusSeconds(310));
        // Declaring nothing removes the declared ones only; deleting a dynamic one as declared does nothing.
        assertThat(queue.synchronizeDeclared(List.of())).containsExactly(kept);
        assertThat(recurringStore().deleteDeclared(dynamic)).isFalse();
        assertThat(queue.findRecurring(dynamic)).isPresent();
        assertThatIllegalArgumentException()
            .isThrownBy(() -> queue.synchronizeDeclared(List.of(RecurringJobRequest.of(kept, type, new Tick("a"), every),
                    RecurringJobRequest.of(kept, type, new Tick("b"), every))))
            .withMessageContaining("'" + kept + "'");
    }

    @Test
    void badInputIsRefusedNamingItAndStoresNothing() {
        String type = "bad-" + this.run + "-" + ids.incrementAndGet();
        String id = newId("bad");
        DefaultJobQueue queue = queue(type);
        assertThatIllegalArgumentException()
            .isThrownBy(() -> queue.scheduleRecurring(RecurringJobRequest.of(id, type, new Tick("a"),
                    Schedule.cron("0 0 25 * * *"))))
            .withMessageContaining("'0 0 25 * * *'");
        assertThatExceptionOfType(UnknownJobTypeException.class)
            .isThrownBy(() -> queue.scheduleRecurring(RecurringJobRequest.of(id, type + "-none", new Tick("a"),
                    Schedule.every(Duration.ofMinutes(1)))))
            .withMessageContaining(type + "-none");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> queue.scheduleRecurring(RecurringJobRequest.of(id, type, "not a tick",
                    Schedule.every(Duration.ofMinutes(1)))))
            .withMessageContaining("java.lang.String");
        assertThat(queue.findRecurring(id)).isEmpty();
    }

    private static <T> List<T> race(int threads, RaceBody<T> body) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int n = 0; n < threads; n++) {
                int index = n;
                Callable<T> task = () -> {
                    start.await();
                    return body.run(index);
                };
                futures.add(executor.submit(task));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(30, java.util.concurrent.TimeUnit.SECONDS));
            }
            return results;
        }
        finally {
            executor.shutdownNow();
        }
    }

    /** A node that read the due recurring jobs before a long pause: its reads of due jobs return what it read then. */
    private record StaleDueReads(RecurringJobStore store, List<RecurringJob> due) implements RecurringJobStore {

        @Override
        public RecurringJob save(RecurringJob job) {
            return this.store.save(job);
        }

        @Override
        public boolean delete(String id) {
            return this.store.delete(id);
        }

        @Override
        public boolean deleteDeclared(String id) {
            return this.store.deleteDeclared(id);
        }

        @Override
        public Optional<RecurringJob> find(String id) {
            return this.store.find(id);
        }

        @Override
        public List<RecurringJob> list() {
            return this.store.list();
        }

        @Override
        public List<RecurringJob> due(Instant now, int limit) {
            return this.due;
        }

        @Override
        public boolean advance(String id, Instant expected, Instant next) {
            return this.store.advance(id, expected, next);
        }

        @Override
        public Optional<Enqueued> fire(String id, Instant expected, @Nullable JobId expectedLast, Instant next,
                NewJob job) {
            return this.store.fire(id, expected, expectedLast, next, job);
        }
    }

    @FunctionalInterface
    private interface RaceBody<T> {

        T run(int index) throws Exception;
    }
}
