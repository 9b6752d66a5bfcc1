package dev.quark.autoconfigure.tracing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import ch.qos.logback.classic.Level;
import dev.quark.LogCapture;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.jobs.QuarkJobsAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobRequest;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobTimeoutException;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.filter.MdcJobFilter;
import dev.quark.jobs.runtime.JobFilters;
import dev.quark.jobs.store.jdbc.JdbcJobStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcClientAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link MicrometerTracingJobFilter} with a real tracer (OpenTelemetry bridge, W3C trace context): the context of the
 * enqueuing span stored with the job, through the in-memory store and the PostgreSQL one, and the attempt's {@code CONSUMER} span its child
 * on the worker; no context outside a span, a trace of its own for the attempt; failures recorded on the span.
 */
class MicrometerTracingJobFilterTests {

    private final InMemoryTracer tracing = new InMemoryTracer();

    private final List<String> seenByHandler = new CopyOnWriteArrayList<>();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkLeasesAutoConfiguration.class, QuarkJobsAutoConfiguration.class,
                QuarkTracingAutoConfiguration.class))
        .withBean(Tracer.class, () -> this.tracing.tracer)
        .withBean(Propagator.class, () -> this.tracing.propagator)
        .withBean("tracedHandler", JobHandler.class, () -> JobHandler.of("traced", Order.class, (order, context) -> {
            Span current = this.tracing.tracer.currentSpan();
            this.seenByHandler.add((current != null) ? current.context().traceId() + " " + current.context().spanId()
                    : "no span");
        }));

    @AfterEach
    void closeTracer() {
        this.tracing.close();
    }

    record Order(String id) {
    }

    @Test
    void anAttemptRunsInAConsumerSpanThatIsAChildOfTheSpanThatEnqueuedIt() {
        this.runner.run((context) -> {
            assertThat(context.getBean(JobFilters.class).filters()).hasAtLeastOneElementOfType(
                    MicrometerTracingJobFilter.class);
            assertTheAttemptContinuesTheEnqueuingTrace(context.getBean(JobQueue.class));
        });
    }

    @Test
    void theTraceContextTravelsThroughThePostgresJobsTable() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(MicrometerTracingJobFilterTests.class)) {
            this.runner
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        DataSourceTransactionManagerAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                        JdbcClientAutoConfiguration.class))
                .withPropertyValues("quark.backend=postgres", "quark.jobs.poll-interval=100ms",
                        "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=4")
                .run((context) -> {
                    assertThat(context).hasNotFailed().hasSingleBean(JdbcJobStore.class);
                    assertTheAttemptContinuesTheEnqueuingTrace(context.getBean(JobQueue.class));
                });
        }
    }

    private void assertTheAttemptContinuesTheEnqueuingTrace(JobQueue jobs) {
        Span caller = this.tracing.caller();
        JobId id;
        try (Tracer.SpanInScope scope = this.tracing.tracer.withSpan(caller)) {
            id = jobs.enqueue(JobRequest.of("traced", new Order("o-1")));
        }
        finally {
            caller.end();
        }
        assertThat(jobs.find(id).orElseThrow().metadata()).containsOnlyKeys("trace.traceparent")
            .hasEntrySatisfying("trace.traceparent", (traceparent) -> assertThat(traceparent)
                .startsWith("00-" + caller.context().traceId() + "-" + caller.context().spanId() + "-"));
        await().atMost(Duration.ofSeconds(10))
            .until(() -> jobs.find(id).map(Job::status).orElseThrow() == JobStatus.SUCCEEDED);
        await().atMost(Duration.ofSeconds(10)).until(() -> consumerSpans().size() == 1);
        SpanData attempt = consumerSpans().getFirst();
        assertThat(attempt.getName()).isEqualTo("job traced");
        assertThat(attempt.getTraceId()).isEqualTo(caller.context().traceId());
        assertThat(attempt.getParentSpanId()).isEqualTo(caller.context().spanId());
        assertThat(attempt.getAttributes().get(AttributeKey.stringKey("quark.job.id"))).isEqualTo(id.toString());
        assertThat(attempt.getAttributes().get(AttributeKey.stringKey("quark.job.type"))).isEqualTo("traced");
        assertThat(attempt.getAttributes().get(AttributeKey.longKey("quark.job.attempt"))).isEqualTo(1L);
        assertThat(attempt.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
        assertThat(this.seenByHandler).as("the handler runs in the attempt's span")
            .containsExactly(attempt.getTraceId() + " " + attempt.getSpanId());
    }

    @Test
    void aJobEnqueuedOutsideASpanCarriesNoContextAndItsAttemptStartsATraceOfItsOwn() {
        this.runner.run((context) -> {
            JobQueue jobs = context.getBean(JobQueue.class);
            JobId id = jobs.enqueue(JobRequest.of("traced", new Order("o-2")));
            assertThat(jobs.find(id).orElseThrow().metadata()).isEmpty();
            await().atMost(Duration.ofSeconds(10)).until(() -> consumerSpans().size() == 1);
            SpanData attempt = consumerSpans().getFirst();
            assertThat(attempt.getParentSpanContext().isValid()).as("a root span").isFalse();
            assertThat(this.seenByHandler).containsExactly(attempt.getTraceId() + " " + attempt.getSpanId());
        });
    }

    @Test
    void runWithJobsTracingDisabledShouldNotRegisterTheFilter() {
        this.runner.withPropertyValues("quark.jobs.tracing.enabled=false").run((context) -> {
            assertThat(context).doesNotHaveBean(MicrometerTracingJobFilter.class);
            JobQueue jobs = context.getBean(JobQueue.class);
            Span caller = this.tracing.caller();
            JobId id;
            try (Tracer.SpanInScope scope = this.tracing.tracer.withSpan(caller)) {
                id = jobs.enqueue(JobRequest.of("traced", new Order("o-3")));
            }
            finally {
                caller.end();
            }
            assertThat(jobs.find(id).orElseThrow().metadata()).isEmpty();
        });
    }

    @Test
    void aFailedAttemptRecordsItsErrorOnItsSpan() {
        MicrometerTracingJobFilter filter = new MicrometerTracingJobFilter(this.tracing.tracer,
                this.tracing.propagator);
        Job job = job(Map.of());
        IllegalStateException failure = new IllegalStateException("the printer is on fire");
        try (JobFilter.Scope scope = filter.openScope(job)) {
            filter.afterRun(job, null, failure);
        }
        SpanData attempt = this.tracing.endedSpan(SpanKind.CONSUMER);
        assertThat(attempt.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(attempt.getEvents()).anySatisfy((event) -> assertThat(event.getName()).isEqualTo("exception"));
        assertThat(this.tracing.tracer.currentSpan()).as("taken away with the scope").isNull();
    }

    @Test
    void aMalformedTraceparentIsIgnoredWithADebugLineAndStartsATraceOfItsOwnAndOtherMetadataIsIgnored() {
        MicrometerTracingJobFilter filter = new MicrometerTracingJobFilter(this.tracing.tracer,
                this.tracing.propagator);
        String malformed = "00-not-a-trace-id-01";
        Job job = job(Map.of("trace.traceparent", malformed, "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        try (LogCapture logged = LogCapture.of(MicrometerTracingJobFilter.class, Level.DEBUG)) {
            try (JobFilter.Scope scope = filter.openScope(job)) {
                assertThat(this.tracing.tracer.currentSpan()).isNotNull();
            }
            assertThat(logged.messages(Level.DEBUG)).containsExactly("Ignored the malformed traceparent '" + malformed
                    + "' of job " + job.id() + " (traced): its attempt starts a trace of its own");
        }
        SpanData attempt = this.tracing.endedSpan(SpanKind.CONSUMER);
        assertThat(attempt.getParentSpanContext().isValid()).isFalse();
        assertThat(attempt.getTraceId()).isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @Test
    void itIsOrderedJustAfterTheMdcFilterAndBeforeFiltersWithoutAnOrder() {
        JobFilter unordered = new JobFilter() {
        };
        this.runner.withPropertyValues("quark.jobs.context.mdc-keys=requestId")
            .withBean("unorderedFilter", JobFilter.class, () -> unordered)
            .run((context) -> assertThat(context.getBean(JobFilters.class).filters())
                .satisfiesExactly((first) -> assertThat(first).isInstanceOf(MdcJobFilter.class),
                        (second) -> assertThat(second).isInstanceOf(MicrometerTracingJobFilter.class),
                        (third) -> assertThat(third).isSameAs(unordered)));
    }

    @Test
    void anAttemptWhoseTimeoutDecidedRecordsTheTimeoutOnItsSpanThoughItsHandlerReturned() {
        CountDownLatch release = new CountDownLatch(1);
        JobHandler<Order> stubborn = new JobHandler<>() {
            @Override
            public void handle(Order order, dev.quark.jobs.JobContext context) {
                // Ignores the interrupt of the timeout, then returns as if it had succeeded.
                while (true) {
                    try {
                        release.await();
                        return;
                    }
                    catch (InterruptedException ex) {
                        // goes on waiting
                    }
                }
            }

            @Override
            public String type() {
                return "stubborn";
            }

            @Override
            public java.lang.reflect.Type payloadType() {
                return Order.class;
            }

            @Override
            public Duration timeout() {
                return Duration.ofMillis(300);
            }

            @Override
            public RetryPolicy retryPolicy() {
                return RetryPolicy.noRetries();
            }
        };
        this.runner.withPropertyValues("quark.jobs.poll-interval=100ms")
            .withBean("stubbornHandler", JobHandler.class, () -> stubborn)
            .run((context) -> {
                JobQueue jobs = context.getBean(JobQueue.class);
                JobId id = jobs.enqueue(JobRequest.of("stubborn", new Order("o-5")));
                await().atMost(Duration.ofSeconds(10))
                    .until(() -> jobs.find(id).map(Job::status).orElseThrow() == JobStatus.DEAD_LETTERED);
                assertThat(consumerSpans()).as("not ended while the handler runs").isEmpty();
                release.countDown();
                await().atMost(Duration.ofSeconds(10)).until(() -> consumerSpans().size() == 1);
                SpanData attempt = consumerSpans().getFirst();
                assertThat(attempt.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
                assertThat(attempt.getEvents()).anySatisfy((event) -> {
                    assertThat(event.getName()).isEqualTo("exception");
                    assertThat(event.getAttributes().get(AttributeKey.stringKey("exception.type")))
                        .isEqualTo(JobTimeoutException.class.getName());
                });
                assertThat(attempt.getAttributes().get(AttributeKey.stringKey(MicrometerTracingJobFilter.OUTCOME_TAG)))
                    .isNull();
            });
    }

    @Test
    void theSpanOfAnAttemptThatNeverReachedItsHandlerIsTaggedNotRun() {
        MicrometerTracingJobFilter filter = new MicrometerTracingJobFilter(this.tracing.tracer,
                this.tracing.propagator);
        Job withdrawn = job(Map.of());
        filter.openScope(withdrawn).close();
        Job ran = job(Map.of());
        try (JobFilter.Scope scope = filter.openScope(ran)) {
            filter.beforeRun(ran, null);
            filter.afterRun(ran, null, null);
        }
        assertThat(consumerSpans()).hasSize(2).satisfiesExactly(
                (span) -> assertThat(span.getAttributes().get(AttributeKey.stringKey("quark.job.outcome")))
                    .isEqualTo("not-run"),
                (span) -> assertThat(span.getAttributes().get(AttributeKey.stringKey("quark.job.outcome"))).isNull());
    }

    @Test
    void aJobAtTheMetadataEntryLimitIsEnqueuedWithoutTheTraceContextAndNoFilterFailure() {
        JobFilter filling = new FillingFilter();
        this.runner.withBean("fillingFilter", JobFilter.class, () -> filling).run((context) -> {
            JobQueue jobs = context.getBean(JobQueue.class);
            Span caller = this.tracing.caller();
            JobId id;
            try (LogCapture filters = LogCapture.of(JobFilters.class);
                    LogCapture tracing = LogCapture.of(MicrometerTracingJobFilter.class, Level.DEBUG)) {
                try (Tracer.SpanInScope scope = this.tracing.tracer.withSpan(caller)) {
                    id = jobs.enqueue(JobRequest.of("traced", new Order("o-6")));
                }
                finally {
                    caller.end();
                }
                assertThat(filters.events()).as("no filter failed").isEmpty();
                assertThat(tracing.messages(Level.DEBUG)).singleElement().asString()
                    .startsWith("Left the trace field 'traceparent' out of the metadata of a 'traced' job");
            }
            assertThat(jobs.find(id).orElseThrow().metadata()).hasSize(dev.quark.jobs.JobDraft.MAX_METADATA_ENTRIES)
                .doesNotContainKey("trace.traceparent");
        });
    }

    /** Fills a job's metadata up to the limit, before the tracing filter runs. */
    static final class FillingFilter implements JobFilter, org.springframework.core.Ordered {

        @Override
        public void beforeEnqueue(dev.quark.jobs.JobDraft job) {
            for (int i = 0; i < dev.quark.jobs.JobDraft.MAX_METADATA_ENTRIES; i++) {
                job.putMetadata("entry-" + i, "v");
            }
        }

        @Override
        public int getOrder() {
            return HIGHEST_PRECEDENCE;
        }
    }

    private List<SpanData> consumerSpans() {
        return this.tracing.ended().stream().filter((span) -> span.getKind() == SpanKind.CONSUMER).toList();
    }

    private static Job job(Map<String, String> metadata) {
        Instant now = Instant.now();
        return new Job(JobId.next(java.time.Clock.systemUTC()), "traced", "{\"id\":\"o-9\"}", null, JobStatus.RUNNING,
                2, now, now, now, null, "node-1", 0, null, false, null, List.of(), metadata);
    }
}
