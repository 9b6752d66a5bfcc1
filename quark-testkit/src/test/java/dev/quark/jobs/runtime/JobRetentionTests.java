package dev.quark.jobs.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.quark.jobs.JobError;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class JobRetentionTests {

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler scheduler = new ManualScheduler(this.clock);

    private final InMemoryJobStore store = new InMemoryJobStore();

    private final InMemoryLeaseStore leases = new InMemoryLeaseStore(this.clock);

    @Test
    void finishedJobsAreDeletedOnceOlderThanTheirStatusesRetentionAndDeadLettersAreKept() {
        JobId succeeded = finish(JobTransition.succeeded());
        JobId cancelled = finish(JobTransition.cancelled());
        JobId dead = finish(JobTransition.deadLetter(JobError.of(new IllegalStateException("no"))));
        JobId waiting = JobId.next(this.clock);
        this.store.enqueue(new NewJob(waiting, "report", "{}", null, this.clock.instant(), this.clock.instant()));
        JobRetention retention = new JobRetention(this.store, JobRetention.defaults(), Duration.ofMinutes(10), this.clock,
                (at, task) -> this.scheduler.schedule(at, task)::cancel);
        retention.start();
        this.scheduler.advance(Duration.ofHours(36));
        assertThat(this.store.find(succeeded)).as("finished exactly 36 hours ago").isPresent();
        this.scheduler.advance(Duration.ofMinutes(10));
        assertThat(this.store.find(succeeded)).isEmpty();
        assertThat(this.store.find(cancelled)).isEmpty();
        assertThat(this.store.find(dead)).isPresent();
        assertThat(this.store.find(waiting)).isPresent();
        retention.close();
        assertThat(retention.isRunning()).isFalse();
        assertThat(this.scheduler.pendingTasks()).isZero();
    }

    @Test
    void aRetentionForDeadLettersDeletesThemToo() {
        JobId dead = finish(JobTransition.deadLetter(JobError.of(new IllegalStateException("no"))));
        JobRetention retention = new JobRetention(this.store, Map.of(JobStatus.DEAD_LETTERED, Duration.ofDays(7)),
                Duration.ofHours(1), this.clock, null);
        this.clock.advance(Duration.ofDays(7).plusSeconds(1));
        assertThat(retention.sweep()).isEqualTo(1);
        assertThat(this.store.find(dead)).isEmpty();
        retention.close();
    }

    @Test
    void onlyFinishedStatusesHaveARetention() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new JobRetention(this.store, Map.of(JobStatus.RUNNING, Duration.ofHours(1)),
                    Duration.ofMinutes(1), this.clock, null))
            .withMessage("Only finished jobs have a retention, not RUNNING ones");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new JobRetention(this.store, JobRetention.defaults(), Duration.ZERO, this.clock, null))
            .withMessage("The retention interval must be positive, was PT0S");
    }

    private JobId finish(JobTransition transition) {
        JobId id = JobId.next(this.clock);
        Instant now = this.clock.instant();
        this.store.enqueue(new NewJob(id, "report", "{}", null, now, now));
        List<ClaimedJob> claimed = this.store.claimDue(new Claim("node", 1, Map.of("report", 1), Set.of(), now),
                JobLeases.of(this.leases, "node", Duration.ofMinutes(1)));
        assertThat(claimed).singleElement().satisfies((job) -> assertThat(job.job().id()).isEqualTo(id));
        this.store.finish(id, claimed.get(0).lease(), transition, new JobReport(0, null, List.of()), now);
        this.leases.release(claimed.get(0).lease());
        return id;
    }
}
