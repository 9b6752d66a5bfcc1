package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobDraft;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.MisfirePolicy;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.Schedule;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.jobs.store.memory.InMemoryRecurringJobStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@link RecurringJobScheduler} logs when a recurring job fails or a filter vetoes its jobs: an error (not only
 * an exception) fails that recurring job alone, logged at ERROR naming it, and the round goes on; a filter that throws
 * an error is skipped; the first veto of each recurring job on a node is a WARN telling how to let it through.
 */
class RecurringJobSchedulerFailureTests {

    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

    private final MovableClock clock = new MovableClock(NOW);

    private final JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());

    private final JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(
            JobHandler.of("report", Report.class, (report, context) -> {
            }), JobHandler.of("broken", Report.class, (report, context) -> {
            })), this.codec, RetryPolicy.defaults(), Duration.ofMinutes(10));

    /** Fails the enqueue of every 'broken' job with an error, as a class missing at run time would. */
    private final InMemoryJobStore jobs = new InMemoryJobStore() {
        @Override
        public Enqueued enqueue(NewJob job) {
            if (job.type().equals("broken")) {
                throw new NoClassDefFoundError("com/acme/RemovedAtRunTime");
            }
            return super.enqueue(job);
        }
    };

    private final InMemoryRecurringJobStore recurring = new InMemoryRecurringJobStore(this.jobs);

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    private final List<Logger> capturing = new CopyOnWriteArrayList<>();

    record Report(String name) {
    }

    @AfterEach
    void detachAppender() {
        this.capturing.forEach((logger) -> logger.detachAppender(this.logged));
    }

    private void capture(Class<?> source) {
        Logger logger = (Logger) LoggerFactory.getLogger(source);
        if (this.capturing.isEmpty()) {
            this.logged.list = new CopyOnWriteArrayList<>();
            this.logged.start();
        }
        logger.addAppender(this.logged);
        this.capturing.add(logger);
    }

    private RecurringJobScheduler scheduler(JobFilter... filters) {
        DefaultJobQueue queue = new DefaultJobQueue(this.jobs, this.recurring, null, this.handlers, this.codec,
                this.clock, JobMetrics.NONE, new JobFilters(List.of(filters)));
        return new RecurringJobScheduler(this.recurring, queue, Duration.ofSeconds(1), Duration.ofMinutes(1),
                this.clock, (at, task) -> () -> false);
    }

    private void save(String id, String type) {
        this.recurring.save(new RecurringJob(id, type, "{\"name\":\"" + id + "\"}", Schedule.every(Duration.ofHours(1)),
                MisfirePolicy.RUN_ONCE, NOW));
    }

    /** Returns the job of the recurring job's last occurrence, {@code null} when none was enqueued. */
    private @Nullable Job occurrence(String id) {
        return this.recurring.find(id)
            .map(RecurringJob::lastJobId)
            .flatMap((last) -> (last != null) ? this.jobs.find(last) : java.util.Optional.empty())
            .orElse(null);
    }

    private List<String> messages(Level level) {
        return this.logged.list.stream()
            .filter((event) -> event.getLevel() == level)
            .map(ILoggingEvent::getFormattedMessage)
            .toList();
    }

    @Test
    void aRecurringJobFailingWithAnErrorIsLoggedAtErrorAndTheOthersStillFire() {
        capture(RecurringJobScheduler.class);
        save("a-broken", "broken");
        save("b-report", "report");

        assertThat(scheduler().fireDue()).as("b moved on").isEqualTo(1);

        assertThat(this.recurring.find("a-broken").orElseThrow().nextRunAt()).as("tried again next round")
            .isEqualTo(NOW);
        assertThat(this.recurring.find("b-report").orElseThrow().nextRunAt()).isEqualTo(NOW.plus(Duration.ofHours(1)));
        assertThat(occurrence("b-report")).isNotNull();
        assertThat(this.logged.list).filteredOn((event) -> event.getLevel() == Level.ERROR).singleElement()
            .satisfies((event) -> {
                assertThat(event.getFormattedMessage()).isEqualTo("Recurring job 'a-broken' failed at its instant "
                        + NOW + "; the other recurring jobs go on, and it is tried again in PT1S");
                assertThat(event.getThrowableProxy().getClassName()).isEqualTo(NoClassDefFoundError.class.getName());
            });
    }

    @Test
    void aFilterThatThrowsAnErrorForOneRecurringJobIsLoggedAndSkippedAndEveryRecurringJobFires() {
        capture(JobFilters.class);
        save("a-report", "report");
        save("b-report", "report");
        JobFilter asserting = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                if ("a-report".equals(job.recurringJob())) {
                    job.putMetadata("undone", "yes");
                    throw new AssertionError("a broken invariant in the filter");
                }
            }
        };

        assertThat(scheduler(asserting).fireDue()).isEqualTo(2);

        Job a = occurrence("a-report");
        assertThat(a.metadata()).as("the failed filter's changes undone").isEmpty();
        assertThat(occurrence("b-report")).isNotNull();
        assertThat(messages(Level.WARN)).containsExactly("Job filter " + asserting.getClass().getName()
                + " failed in beforeEnqueue of the 'report' job of recurring job 'a-report'; its changes are undone "
                + "and the job goes on");
    }

    @Test
    void theFirstVetoOfEachRecurringJobOnANodeIsAWarningNamingTheFilterAndTheLaterOnesAreInfo() {
        capture(RecurringJobScheduler.class);
        Logger scheduler = (Logger) LoggerFactory.getLogger(RecurringJobScheduler.class);
        Level before = scheduler.getLevel();
        scheduler.setLevel(Level.INFO);
        JobFilter tenantRequired = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                job.veto("no tenant in the request");
            }
        };
        try {
            save("a-report", "report");
            save("b-report", "report");
            RecurringJobScheduler node = scheduler(tenantRequired);
            assertThat(node.fireDue()).isEqualTo(2);
            this.clock.advance(Duration.ofHours(1));
            assertThat(node.fireDue()).isEqualTo(2);
        }
        finally {
            scheduler.setLevel(before);
        }

        String filter = tenantRequired.getClass().getName();
        assertThat(messages(Level.WARN)).hasSize(2).allSatisfy((message) -> assertThat(message)
            .contains("Job filter " + filter + " vetoed", "no tenant in the request", "JobDraft.recurringJob()"))
            .satisfiesExactly((message) -> assertThat(message).startsWith("Recurring job 'a-report' skipped its instant "
                    + NOW), (message) -> assertThat(message).startsWith("Recurring job 'b-report' skipped its instant "
                    + NOW));
        Instant second = NOW.plus(Duration.ofHours(1));
        assertThat(messages(Level.INFO)).filteredOn((message) -> message.contains("vetoed")).containsExactly(
                "Recurring job 'a-report' skipped its instant " + second + ": Job filter " + filter + " vetoed the "
                        + "'report' job of recurring job 'a-report': no tenant in the request; next at "
                        + second.plus(Duration.ofHours(1)),
                "Recurring job 'b-report' skipped its instant " + second + ": Job filter " + filter + " vetoed the "
                        + "'report' job of recurring job 'b-report': no tenant in the request; next at "
                        + second.plus(Duration.ofHours(1)));
    }

    /** A clock tests move by hand. */
    private static final class MovableClock extends Clock {

        private volatile Instant now;

        MovableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration duration) {
            this.now = this.now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return this.now;
        }
    }
}
