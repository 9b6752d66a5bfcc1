package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobLog;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The log a job keeps ({@link JobLog}): the latest {@code logLimit} lines of all its attempts, the worker's own lines
 * included, each cut at {@link JobLog#MAX_LINE_LENGTH} characters.
 */
class JobLogTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Two attempts, the second at once. */
    private static final RetryPolicy TWO_ATTEMPTS = RetryPolicy.builder().maxAttempts(2)
        .fixedBackoff(Duration.ZERO)
        .jitter(0)
        .build();

    private final InMemoryJobStore store = new InMemoryJobStore();

    private final JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());

    private final List<JobOrchestrator> nodes = new ArrayList<>();

    @AfterEach
    void stopNodes() {
        this.nodes.forEach(JobOrchestrator::close);
    }

    private DefaultJobQueue node(int logLimit, JobHandler<?> handler) {
        JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(handler), this.codec, TWO_ATTEMPTS,
                Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(this.store, handlers, this.codec, Clock.systemUTC(),
                JobMetrics.NONE);
        JobOrchestrator orchestrator = JobOrchestrator
            .builder(this.store, new InMemoryLeaseStore(Clock.systemUTC()), handlers, this.codec)
            .owner("logging")
            .pollInterval(Duration.ofMillis(50))
            .logLimit(logLimit)
            .build();
        queue.subscribe(orchestrator);
        this.nodes.add(orchestrator);
        orchestrator.start();
        return queue;
    }

    private Job awaitStatus(JobId id, JobStatus status) {
        await("job " + id).atMost(WAIT).until(() -> this.store.find(id).orElseThrow().status() == status);
        return this.store.find(id).orElseThrow();
    }

    @Test
    void aJobKeepsTheLatestLinesUpToTheLimitAcrossItsAttemptsAndDropsTheEarliest() {
        DefaultJobQueue queue = node(4, JobHandler.of("chatty", String.class, (payload, context) -> {
            for (int line = 1; line <= 5; line++) {
                context.log().info("attempt {} line {}", context.attempt(), line);
            }
            if (context.attempt() == 1) {
                throw new IllegalStateException("first attempt fails");
            }
        }));
        JobId id = queue.enqueue("chatty", "x");
        Job done = awaitStatus(id, JobStatus.SUCCEEDED);
        assertThat(done.attempt()).isEqualTo(2);
        assertThat(done.log()).hasSize(4)
            .allSatisfy((line) -> assertThat(line).matches("\\S+ INFO attempt 2 line [2-5]"))
            .extracting((line) -> line.substring(line.indexOf(" INFO ") + 6))
            .containsExactly("attempt 2 line 2", "attempt 2 line 3", "attempt 2 line 4", "attempt 2 line 5");
    }

    @Test
    void theWorkersOwnLinesCountAgainstTheLimitAndStayInOrderWithTheHandlers() {
        DefaultJobQueue queue = node(3, JobHandler.of("failing-once", String.class, (payload, context) -> {
            context.log().info("attempt {} starts", context.attempt());
            if (context.attempt() == 1) {
                throw new IllegalStateException("first attempt fails");
            }
            context.log().warn("attempt {} ends", context.attempt());
        }));
        JobId id = queue.enqueue("failing-once", "x");
        Job done = awaitStatus(id, JobStatus.SUCCEEDED);
        assertThat(done.log()).hasSize(3);
        assertThat(done.log().get(0)).contains(" WARN attempt 1 failed (", "first attempt fails", "retrying at");
        assertThat(done.log().get(1)).endsWith(" INFO attempt 2 starts");
        assertThat(done.log().get(2)).endsWith(" WARN attempt 2 ends");
    }

    @Test
    void aLimitOfZeroKeepsNoLine() {
        DefaultJobQueue queue = node(0, JobHandler.of("silent", String.class,
                (payload, context) -> context.log().error("not kept")));
        Job done = awaitStatus(queue.enqueue("silent", "x"), JobStatus.SUCCEEDED);
        assertThat(done.log()).isEmpty();
    }

    @Test
    void aLineLongerThanTheLongestKeptIsCutToItAndEndsWithAnEllipsis() {
        String longMessage = "x".repeat(JobLog.MAX_LINE_LENGTH * 2);
        String fits = "y".repeat(JobLog.MAX_LINE_LENGTH / 2);
        DefaultJobQueue queue = node(100, JobHandler.of("verbose", String.class, (payload, context) -> {
            context.log().info(longMessage);
            context.log().warn("{} failed", "z".repeat(JobLog.MAX_LINE_LENGTH), new IllegalStateException("cause"));
            context.log().info(fits);
        }));
        Job done = awaitStatus(queue.enqueue("verbose", "x"), JobStatus.SUCCEEDED);
        assertThat(done.log()).hasSize(3);
        String cut = done.log().get(0);
        assertThat(cut).hasSize(JobLog.MAX_LINE_LENGTH).endsWith("x...");
        assertThat(cut.substring(0, cut.indexOf(" INFO ") + 6)).matches("\\S+ INFO ");
        String cutWithFailure = done.log().get(1);
        assertThat(cutWithFailure).hasSize(JobLog.MAX_LINE_LENGTH).contains(" WARN zzz").endsWith("z...");
        assertThat(done.log().get(2)).endsWith(" INFO " + fits).hasSizeLessThan(JobLog.MAX_LINE_LENGTH);
    }
}
