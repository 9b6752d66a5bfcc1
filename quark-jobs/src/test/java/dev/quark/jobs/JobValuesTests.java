package dev.quark.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class JobValuesTests {

    @Test
    void idsAreTimeOrderedVersion7UuidsComparedUnsigned() {
        Clock early = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        Clock late = Clock.fixed(Instant.parse("2026-01-01T00:00:00.001Z"), ZoneOffset.UTC);
        JobId first = JobId.next(early);
        JobId second = JobId.next(late);
        assertThat(first.value().version()).isEqualTo(7);
        assertThat(first.value().variant()).isEqualTo(2);
        assertThat(first).isLessThan(second);
        JobId low = new JobId(new UUID(0x7fffffffffffffffL, 0));
        JobId high = new JobId(new UUID(0x8000000000000000L, 0));
        assertThat(low).isLessThan(high);
        List<JobId> ids = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ids.add(JobId.next(Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L + i), ZoneOffset.UTC)));
        }
        assertThat(ids).isSorted();
    }

    @Test
    void idsDrawnInTheSameMillisecondKeepTheirDrawOrder() {
        Clock frozen = Clock.fixed(Instant.parse("2026-03-01T00:00:00Z"), ZoneOffset.UTC);
        List<JobId> ids = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(JobId.next(frozen));
        }
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(ids).allSatisfy((id) -> assertThat(id.value().version()).isEqualTo(7));
    }

    @Test
    void aClockSteppedFarBackStartsTheIdsFromItsOwnMilliseconds() {
        Instant later = Instant.parse("2026-03-02T00:00:00Z");
        JobId.next(Clock.fixed(later, ZoneOffset.UTC));
        Instant earlier = later.minusSeconds(3600);
        JobId id = JobId.next(Clock.fixed(earlier, ZoneOffset.UTC));
        assertThat(id.value().getMostSignificantBits() >>> 16).isEqualTo(earlier.toEpochMilli());
    }

    @Test
    void anIdIsParsedFromItsTextOrRefusedNamingIt() {
        JobId id = JobId.next(Clock.systemUTC());
        assertThat(JobId.parse(id.toString())).isEqualTo(id);
        assertThatIllegalArgumentException().isThrownBy(() -> JobId.parse("42"))
            .withMessageStartingWith("'42' is not a job id");
    }

    @Test
    void aRequestIsDueNowAtAnInstantOrAfterADelay() {
        Instant now = Instant.parse("2026-03-01T10:00:00Z");
        JobRequest request = JobRequest.of("send-invoice", "order-1");
        assertThat(request.dueAt(now)).isEqualTo(now);
        assertThat(request.runAfter(Duration.ofMinutes(5)).dueAt(now)).isEqualTo(now.plusSeconds(300));
        Instant at = Instant.parse("2026-03-02T00:00:00Z");
        assertThat(request.runAt(at).dueAt(now)).isEqualTo(at);
        assertThat(request.runAfter(Duration.ofMinutes(5)).runAt(at).runAfter()).isNull();
        assertThat(request.withIdempotencyKey("k").idempotencyKey()).isEqualTo("k");
    }

    @Test
    void badRequestsAreRefusedNamingTheValue() {
        JobRequest request = JobRequest.of("send-invoice", "order-1");
        assertThatIllegalArgumentException().isThrownBy(() -> request.runAfter(Duration.ofSeconds(-5)))
            .withMessage("A job's delay must not be negative, was PT-5S");
        assertThatIllegalArgumentException().isThrownBy(() -> request.withIdempotencyKey(" "))
            .withMessageContaining("was ' '");
        assertThatIllegalArgumentException().isThrownBy(() -> request.withIdempotencyKey("k".repeat(256)))
            .withMessageContaining("(256 characters)");
        assertThatIllegalArgumentException().isThrownBy(() -> JobRequest.of("", "x"))
            .withMessage("A job type must not be blank, was ''");
    }

    @Test
    void aDueTimeBeyondWhatStoresKeepIsRefusedNamingTheValue() {
        JobRequest request = JobRequest.of("send-invoice", "order-1");
        Instant now = Instant.parse("2026-02-01T09:00:00Z");
        assertThatIllegalArgumentException().isThrownBy(() -> request.runAt(Instant.parse("+10000-01-01T00:00:00Z")))
            .withMessage("A job's due time must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z, "
                    + "was +10000-01-01T00:00:00Z");
        assertThatIllegalArgumentException().isThrownBy(() -> request.runAt(Instant.parse("1969-12-31T23:59:59Z")))
            .withMessageContaining("was 1969-12-31T23:59:59Z");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> request.runAfter(Duration.ofSeconds(Long.MAX_VALUE)).dueAt(now))
            .withMessage("A job's delay of " + Duration.ofSeconds(Long.MAX_VALUE)
                    + " would make it due after 9999-12-31T23:59:59Z");
        assertThat(request.runAt(Instant.parse("9999-12-31T23:59:59Z")).dueAt(now))
            .isEqualTo(Instant.parse("9999-12-31T23:59:59Z"));
        Duration longest = Duration.between(now, Instant.parse("9999-12-31T23:59:59Z"));
        assertThat(request.runAfter(longest).dueAt(now)).isEqualTo(Instant.parse("9999-12-31T23:59:59Z"));
    }

    @Test
    void aQueryMatchesStatusesAndTypeAndChecksItsLimit() {
        JobQuery query = JobQuery.status(JobStatus.DEAD_LETTERED, JobStatus.RETRYING).type("a").limit(10);
        assertThat(query.statuses()).containsExactlyInAnyOrder(JobStatus.DEAD_LETTERED, JobStatus.RETRYING);
        assertThat(query.limit()).isEqualTo(10);
        assertThat(JobQuery.all().statuses()).isEmpty();
        assertThatIllegalArgumentException().isThrownBy(() -> JobQuery.all().limit(0))
            .withMessage("A page holds 1 to 1000 jobs, was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> JobQuery.all().limit(1001));
    }

    @Test
    void statusesAreWaitingRunningOrFinished() {
        assertThat(JobStatus.waiting()).containsExactlyInAnyOrder(JobStatus.ENQUEUED, JobStatus.SCHEDULED,
                JobStatus.RETRYING);
        assertThat(JobStatus.finished()).containsExactlyInAnyOrder(JobStatus.SUCCEEDED, JobStatus.DEAD_LETTERED,
                JobStatus.CANCELLED);
        assertThat(Set.of(JobStatus.values())).hasSize(7);
        assertThat(JobStatus.RUNNING.isWaiting() || JobStatus.RUNNING.isFinished()).isFalse();
    }

    @Test
    void anErrorKeepsTheTypeMessageAndABoundedStackTrace() {
        JobError error = JobError.of(new IllegalStateException("boom", new RuntimeException("cause")));
        assertThat(error.type()).isEqualTo("java.lang.IllegalStateException");
        assertThat(error.message()).isEqualTo("boom");
        assertThat(error.stackTrace()).contains("boom", "Caused by: java.lang.RuntimeException: cause");
        assertThat(error).hasToString("java.lang.IllegalStateException: boom");
        Throwable deep = new RuntimeException("deep");
        for (int i = 0; i < 2000; i++) {
            deep = new RuntimeException("level " + i, deep);
        }
        assertThat(JobError.of(deep).stackTrace()).hasSizeLessThanOrEqualTo(JobError.MAX_STACK_TRACE).endsWith("(cut)");
    }
}
