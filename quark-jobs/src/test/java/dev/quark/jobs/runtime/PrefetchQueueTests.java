package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.JobLeases;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrefetchQueueTests {

    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

    private final PrefetchQueue queue = new PrefetchQueue();

    @Test
    void jobsStartInClaimOrder() {
        ClaimedJob first = claimed("a", 1);
        ClaimedJob second = claimed("b", 1);
        ClaimedJob third = claimed("a", 1);
        this.queue.addAll(List.of(first, second, third));
        assertThat(this.queue.ids()).containsExactly(id(first), id(second), id(third));
        assertThat(this.queue.next((job) -> true).job()).isEqualTo(first);
        assertThat(this.queue.next((job) -> true).job()).isEqualTo(second);
        assertThat(this.queue.next((job) -> true).job()).isEqualTo(third);
        assertThat(this.queue.next((job) -> true)).isNull();
        assertThat(this.queue.isEmpty()).isTrue();
    }

    @Test
    void aJobWhoseTypeIsAtItsLimitKeepsItsPlaceWhileLaterJobsOfOtherTypesStart() {
        ClaimedJob limited = claimed("limited", 1);
        ClaimedJob other = claimed("other", 1);
        this.queue.addAll(List.of(limited, other));
        assertThat(this.queue.next((job) -> !job.job().type().equals("limited")).job()).isEqualTo(other);
        assertThat(this.queue.next((job) -> !job.job().type().equals("limited"))).isNull();
        assertThat(this.queue.ids()).containsExactly(id(limited));
        assertThat(this.queue.next((job) -> true).job()).isEqualTo(limited);
    }

    @Test
    void waitingJobsAreCountedByType() {
        ClaimedJob a1 = claimed("a", 1);
        this.queue.addAll(List.of(a1, claimed("a", 1), claimed("b", 1)));
        assertThat(this.queue.count("a")).isEqualTo(2);
        assertThat(this.queue.count("b")).isEqualTo(1);
        assertThat(this.queue.count("c")).isZero();
        this.queue.next((job) -> true);
        assertThat(this.queue.count("a")).isEqualTo(1);
        this.queue.removeLost(this.queue.next((job) -> job.job().type().equals("b")).job().lease());
        assertThat(this.queue.count("b")).isZero();
        assertThat(this.queue.size()).isEqualTo(1);
    }

    @Test
    void aJobCancelledWhileItWaitsStartsCancelledAndOnlyIt() {
        ClaimedJob cancelled = claimed("a", 1);
        ClaimedJob kept = claimed("a", 1);
        this.queue.addAll(List.of(cancelled, kept));
        assertThat(this.queue.cancellationRequested(id(cancelled))).isTrue();
        assertThat(this.queue.cancellationRequested(JobId.next(Clock.systemUTC()))).as("not waiting here").isFalse();
        PrefetchQueue.Next first = this.queue.next((job) -> true);
        assertThat(first.job()).isEqualTo(cancelled);
        assertThat(first.cancelled()).isTrue();
        PrefetchQueue.Next second = this.queue.next((job) -> true);
        assertThat(second.job()).isEqualTo(kept);
        assertThat(second.cancelled()).isFalse();
    }

    @Test
    void aJobWhoseLeaseWasLostLeavesTheQueueButNotForAnotherTokenOfItsJob() {
        ClaimedJob lost = claimed("a", 3);
        ClaimedJob kept = claimed("a", 1);
        this.queue.addAll(List.of(lost, kept));
        this.queue.cancellationRequested(id(lost));
        Lease olderToken = new Lease(lost.lease().resource(), "worker", new FencingToken(2), NOW);
        assertThat(this.queue.removeLost(olderToken)).as("a lease of the job's earlier attempt").isNull();
        assertThat(this.queue.removeLost(lost.lease())).isEqualTo(lost);
        assertThat(this.queue.removeLost(lost.lease())).isNull();
        assertThat(this.queue.ids()).containsExactly(id(kept));
        assertThat(this.queue.count("a")).isEqualTo(1);
    }

    @Test
    void drainingEmptiesTheQueueAndForgetsCancellations() {
        ClaimedJob first = claimed("a", 1);
        ClaimedJob second = claimed("b", 1);
        this.queue.addAll(List.of(first, second));
        this.queue.cancellationRequested(id(first));
        assertThat(this.queue.drain()).containsExactly(first, second);
        assertThat(this.queue.isEmpty()).isTrue();
        assertThat(this.queue.count("a")).isZero();
        this.queue.addAll(List.of(first));
        assertThat(this.queue.next((job) -> true).cancelled()).as("the cancellation went with the drain").isFalse();
    }

    private static JobId id(ClaimedJob claimed) {
        return claimed.job().id();
    }

    private static ClaimedJob claimed(String type, long token) {
        Job job = new Job(JobId.next(Clock.systemUTC()), type, "{}", null, JobStatus.RUNNING, 1, NOW, NOW, NOW, null,
                "worker", 0, null, false, null, List.of());
        return new ClaimedJob(job, new Lease(JobLeases.resource(job.id()), "worker", new FencingToken(token),
                NOW.plusSeconds(30)), null);
    }
}
