package dev.quark.autoconfigure.jobs;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.autoconfigure.backend.MissingBackendDependencyException;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobWorkflow;
import dev.quark.jobs.OverlapPolicy;
import dev.quark.jobs.Recurring;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.RecurringJobRequest;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.Schedule;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowStatus;
import dev.quark.jobs.filter.MdcJobFilter;
import dev.quark.jobs.runtime.DefaultJobQueue;
import dev.quark.jobs.runtime.JobFilters;
import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.JobOrchestrator;
import dev.quark.jobs.runtime.JobRetention;
import dev.quark.jobs.runtime.RecurringJobScheduler;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.jobs.store.memory.InMemoryRecurringJobStore;
import dev.quark.jobs.store.memory.InMemoryWorkflowStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.data.redis.connection.RedisConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

class QuarkJobsAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkLeasesAutoConfiguration.class, QuarkJobsAutoConfiguration.class))
        .withUserConfiguration(InvoicingApplication.class);

    @Test
    void byDefaultJobsLiveInMemoryAndTheHandlerBeansRunThem() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(JobQueue.class)
                .hasSingleBean(InMemoryJobStore.class)
                .hasSingleBean(JobOrchestrator.class)
                .hasSingleBean(JobOrchestratorLifecycle.class)
                .hasBean("quarkInMemoryLeaseStore");
            assertThat(context.getBean("quarkInMemoryLeaseStore")).isInstanceOf(InMemoryLeaseStore.class);
            assertThat(context.getBean(JobQueue.class)).isInstanceOf(DefaultJobQueue.class);
            assertThat(context.getBean(JobHandlerRegistry.class).types()).containsExactly("send-invoice");
            assertThat(context.getBean(JobOrchestrator.class).isRunning()).isTrue();
            JobQueue jobs = context.getBean(JobQueue.class);
            JobId id = jobs.enqueue(SendInvoiceHandler.class, new SendInvoice("order-1", 1999));
            await().atMost(Duration.ofSeconds(10))
                .until(() -> jobs.find(id).map(Job::status).orElseThrow() == JobStatus.SUCCEEDED);
            assertThat(context.getBean(SendInvoiceHandler.class).sent).containsExactly(new SendInvoice("order-1", 1999));
        });
    }

    @Test
    void payloadsAreWrittenWithTheApplicationsJsonMapper() {
        this.contextRunner.withPropertyValues("spring.jackson.property-naming-strategy=SNAKE_CASE", "quark.jobs.workers=0")
            .run((context) -> {
                JobQueue jobs = context.getBean(JobQueue.class);
                JobId id = jobs.enqueue("send-invoice", new SendInvoice("order-2", 5));
                assertThat(jobs.find(id).orElseThrow().payload()).isEqualTo("{\"order_id\":\"order-2\",\"cents\":5}");
            });
    }

    @Test
    void aNodeWithoutWorkersOnlyEnqueues() {
        this.contextRunner.withPropertyValues("quark.jobs.workers=0").run((context) -> {
            assertThat(context).hasSingleBean(JobQueue.class).doesNotHaveBean(JobOrchestrator.class);
            JobQueue jobs = context.getBean(JobQueue.class);
            JobId id = jobs.enqueue("send-invoice", new SendInvoice("order-3", 1));
            assertThat(jobs.find(id).orElseThrow().status()).isEqualTo(JobStatus.ENQUEUED);
        });
    }

    @Test
    void theOrchestratorStopsWithTheContext() {
        this.contextRunner.run((context) -> {
            JobOrchestrator orchestrator = context.getBean(JobOrchestrator.class);
            assertThat(orchestrator.isRunning()).isTrue();
            context.close();
            assertThat(orchestrator.isRunning()).isFalse();
        });
    }

    @Test
    void propertiesConfigureTheOrchestratorAndTheDefaults() {
        this.contextRunner
            .withPropertyValues("quark.jobs.node-id=node-7", "quark.jobs.workers=2", "quark.jobs.retry.max-attempts=9",
                    "quark.jobs.timeout=2m", "quark.jobs.prefetch=5")
            .run((context) -> {
                assertThat(context.getBean(JobOrchestrator.class).owner()).isEqualTo("node-7");
                assertThat(context.getBean(JobOrchestrator.class).toString()).contains("0/2 running", "0/5 prefetched");
                JobHandlerRegistry handlers = context.getBean(JobHandlerRegistry.class);
                assertThat(handlers.require("send-invoice").retryPolicy().maxAttempts()).isEqualTo(9);
                assertThat(handlers.require("send-invoice").timeout()).isEqualTo(Duration.ofMinutes(2));
            });
    }

    @Test
    void withoutAPrefetchTheOrchestratorSizesItUpToTheMaxPrefetch() {
        this.contextRunner.withPropertyValues("quark.jobs.workers=2", "quark.jobs.max-prefetch=6")
            .run((context) -> assertThat(context.getBean(JobOrchestrator.class).toString())
                .contains("prefetched (adaptive, 1-6)"));
        this.contextRunner.withPropertyValues("quark.jobs.workers=2")
            .run((context) -> assertThat(context.getBean(JobOrchestrator.class).toString())
                .contains("prefetched (adaptive, 1-8)"));
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aMaxPrefetchSetBesideAPrefetchIsIgnoredWithAWarningAtStart(CapturedOutput output) {
        this.contextRunner.withPropertyValues("quark.jobs.prefetch=3", "quark.jobs.max-prefetch=6").run((context) -> {
            assertThat(context.getBean(JobOrchestrator.class).toString()).contains("/3 prefetched, ");
            assertThat(output).contains("WARN", "has its prefetch set (3): its max-prefetch (6) bounds only the "
                    + "adaptive prefetch");
        });
    }

    @Test
    void finishedJobsAreDeletedAfterTheirRetention() {
        this.contextRunner.run((context) -> {
            JobRetention retention = context.getBean(JobRetention.class);
            assertThat(retention.keepFor()).isEqualTo(JobRetention.defaults());
            assertThat(retention.isRunning()).isTrue();
        });
        this.contextRunner
            .withPropertyValues("quark.jobs.retention.succeeded=-1", "quark.jobs.retention.dead-lettered=30d")
            .run((context) -> assertThat(context.getBean(JobRetention.class).keepFor())
                .containsOnly(entry(JobStatus.CANCELLED, Duration.ofHours(36)),
                        entry(JobStatus.DEAD_LETTERED, Duration.ofDays(30))));
    }

    @Test
    void theDefaultRetryPolicyIsTheLibrarys() {
        assertThat(new QuarkJobsProperties().retryPolicy()).isEqualTo(RetryPolicy.defaults());
    }

    @Test
    void jobsBackendOverridesQuarkBackend() {
        this.contextRunner.withPropertyValues("quark.backend=postgres", "quark.jobs.backend=memory", "quark.leases.backend=memory")
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(InMemoryJobStore.class);
                assertThat(context).doesNotHaveBean("quarkJdbcLeaseStore");
            });
    }

    @Test
    void postgresWithoutItsDriverFailsNamingTheDependency() {
        this.contextRunner.withPropertyValues("quark.jobs.backend=postgres")
            .withClassLoader(new FilteredClassLoader("org.postgresql"))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessage("Quark's 'jobs' area uses quark.jobs.backend=postgres, which needs the PostgreSQL JDBC "
                            + "driver on the class path: add the dependency org.postgresql:postgresql");
            });
    }

    @Test
    void redisWithoutSpringDataRedisFailsNamingTheDependency() {
        this.contextRunner.withPropertyValues("quark.jobs.backend=redis")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessageContaining("Quark's 'jobs' area uses quark.jobs.backend=redis");
            });
    }

    @Test
    void invalidPropertiesFailStartUpNamingThem() {
        assertFailure("quark.jobs.workers=-1", "quark.jobs.workers", "must not be negative");
        assertFailure("quark.jobs.prefetch=-2", "quark.jobs.prefetch", "must not be negative");
        assertFailure("quark.jobs.max-prefetch=0", "quark.jobs.max-prefetch", "must be at least 1");
        assertFailure("quark.jobs.poll-interval=0s", "quark.jobs.poll-interval", "must be positive");
        assertFailure("quark.jobs.lease-duration=10ms", "quark.jobs.lease-duration", "must be at least 30ms");
        assertFailure("quark.jobs.log-limit=-1", "quark.jobs.log-limit", "with value '-1' is invalid: must not be negative");
        assertFailure("quark.jobs.retry.jitter=1.5", "quark.jobs.retry.jitter", "must be between 0 and 1");
        assertFailure("quark.jobs.retry.max-backoff=1s", "quark.jobs.retry.max-backoff",
                "must not be shorter than retry.initial-backoff");
        assertFailure("quark.jobs.node-id= ", "quark.jobs.node-id", "must not be blank");
        assertFailure("quark.jobs.retention.interval=0s", "quark.jobs.retention.interval", "must be positive");
        assertFailure("quark.jobs.workflows.sweep-interval=0s", "quark.jobs.workflows.sweep-interval",
                "must be positive");
    }

    @Test
    void aWorkflowEnqueuedOnTheJobQueueBeanRunsItsStepsInOrder() {
        this.contextRunner.withPropertyValues("quark.jobs.poll-interval=50ms").run((context) -> {
            assertThat(context).hasSingleBean(InMemoryWorkflowStore.class).hasSingleBean(WorkflowSweeperLifecycle.class);
            assertThat(context.getBean(WorkflowSweeperLifecycle.class).isRunning()).isTrue();
            JobQueue jobs = context.getBean(JobQueue.class);
            WorkflowId id = jobs.enqueue(JobWorkflow.builder("invoices")
                .step("first", "send-invoice", new SendInvoice("first", 1))
                .step("second", "send-invoice", new SendInvoice("second", 2)).after("first")
                .build());
            await().atMost(Duration.ofSeconds(10))
                .until(() -> jobs.findWorkflow(id).orElseThrow().status() == WorkflowStatus.SUCCEEDED);
            assertThat(context.getBean(SendInvoiceHandler.class).sent).extracting(SendInvoice::orderId)
                .containsExactly("first", "second");
        });
    }

    @Test
    void theWorkflowSweepCanBeTurnedOffOnANode() {
        this.contextRunner.withPropertyValues("quark.jobs.workflows.sweep-enabled=false")
            .run((context) -> assertThat(context).hasSingleBean(InMemoryWorkflowStore.class)
                .doesNotHaveBean(WorkflowSweeperLifecycle.class));
    }

    @Test
    void recurringJobBeansAreScheduledAtStartUpAndRun() {
        this.contextRunner.withPropertyValues("quark.jobs.poll-interval=50ms", "quark.jobs.recurring.poll-interval=50ms")
            .withBean("invoiceEveryMoment", RecurringJobRequest.class, () -> RecurringJobRequest.of("invoice-every-moment",
                    "send-invoice", new SendInvoice("recurring", 1), Schedule.every(Duration.ofMillis(200))))
            .run((context) -> {
                assertThat(context).hasSingleBean(RecurringJobScheduler.class)
                    .hasSingleBean(InMemoryRecurringJobStore.class);
                JobQueue jobs = context.getBean(JobQueue.class);
                assertThat(jobs.findRecurring("invoice-every-moment")).isPresent();
                SendInvoiceHandler handler = context.getBean(SendInvoiceHandler.class);
                await().atMost(Duration.ofSeconds(10)).until(() -> handler.sent.size() >= 2);
                assertThat(handler.sent).allSatisfy((invoice) -> assertThat(invoice.orderId()).isEqualTo("recurring"));
            });
    }

    @Test
    void recurringJobsDeclaredInCodeAreSynchronizedAtEachStartAndThoseCreatedAtRunTimeStay() {
        InMemoryJobStore jobStore = new InMemoryJobStore();
        InMemoryRecurringJobStore recurringStore = new InMemoryRecurringJobStore(jobStore);
        ApplicationContextRunner shared = this.contextRunner.withBean(InMemoryJobStore.class, () -> jobStore)
            .withBean(InMemoryRecurringJobStore.class, () -> recurringStore)
            .withPropertyValues("quark.jobs.workers=0");
        shared.withUserConfiguration(NightlyReports.class)
            .withBean("hourly", RecurringJobRequest.class, () -> RecurringJobRequest.of("hourly-invoice",
                    "send-invoice", new SendInvoice("hourly", 1), Schedule.cron("@hourly")))
            .run((context) -> {
                JobQueue jobs = context.getBean(JobQueue.class);
                RecurringJob nightly = jobs.findRecurring("nightly-report").orElseThrow();
                assertThat(nightly.origin()).isEqualTo(RecurringJob.Origin.DECLARED);
                assertThat(nightly.type()).isEqualTo("nightly-report");
                assertThat(nightly.payload()).isEqualTo("{\"kind\":\"daily\"}");
                assertThat(nightly.schedule()).isEqualTo(Schedule.cron("0 0 2 * * *", ZoneId.of("Europe/Paris")));
                assertThat(nightly.overlapPolicy()).isEqualTo(OverlapPolicy.QUEUE_ONE);
                assertThat(jobs.findRecurring("weekly-report").orElseThrow().schedule())
                    .isEqualTo(Schedule.every(Duration.ofDays(7)));
                assertThat(jobs.findRecurring("hourly-invoice").orElseThrow().origin())
                    .isEqualTo(RecurringJob.Origin.DECLARED);
                jobs.scheduleRecurring(RecurringJobRequest.of("made-at-run-time", "send-invoice",
                        new SendInvoice("dynamic", 1), Schedule.cron("@daily")));
            });
        // The next version of the application no longer declares the hourly bean nor the report handler.
        shared.run((context) -> {
            JobQueue jobs = context.getBean(JobQueue.class);
            assertThat(jobs.listRecurring()).extracting(RecurringJob::id).containsExactly("made-at-run-time");
        });
    }

    @Test
    void aRecurringAnnotationWithoutASchedulePreventsStartUpNamingIt() {
        this.contextRunner.withBean(BrokenReports.class, BrokenReports::new).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).hasStackTraceContaining("@Recurring(id = \"broken\")")
                .hasStackTraceContaining("set exactly one of cron and every");
        });
    }

    @Test
    void recurringJobsCanBeTurnedOffOnANode() {
        this.contextRunner.withPropertyValues("quark.jobs.recurring.enabled=false")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(RecurringJobScheduler.class));
    }

    @Test
    void aRecurringJobBeanWithABadCronExpressionFailsStartUpNamingIt() {
        this.contextRunner
            .withBean("broken", RecurringJobRequest.class, () -> RecurringJobRequest.of("broken", "send-invoice",
                    new SendInvoice("x", 1), Schedule.cron("0 0 25 * * *")))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure())
                    .hasStackTraceContaining("IllegalArgumentException: Invalid cron expression '0 0 25 * * *'");
            });
    }

    @Test
    void jobFilterBeansAreCalledInTheirOrder() {
        List<String> calls = new CopyOnWriteArrayList<>();
        this.contextRunner.withBean("second", JobFilter.class, () -> new NamedFilter("second", calls, 2))
            .withBean("first", JobFilter.class, () -> new NamedFilter("first", calls, 1))
            .run((context) -> {
                assertThat(context.getBean(JobFilters.class).filters()).hasSize(2);
                JobQueue jobs = context.getBean(JobQueue.class);
                JobId id = jobs.enqueue(SendInvoiceHandler.class, new SendInvoice("filtered", 1));
                await().atMost(Duration.ofSeconds(10))
                    .until(() -> jobs.find(id).map(Job::status).orElseThrow() == JobStatus.SUCCEEDED);
                await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 6);
                assertThat(calls).containsExactly("first:enqueued", "second:enqueued", "first:before", "second:before",
                        "first:after", "second:after");
            });
    }

    @Test
    void mdcKeysMakeAFilterThatCarriesThoseEntriesFromTheEnqueuingThreadToTheWorker() {
        List<String> seen = new CopyOnWriteArrayList<>();
        JobFilter probe = new JobFilter() {
            @Override
            public void beforeEnqueue(dev.quark.jobs.JobDraft job) {
                seen.add("enqueue " + job.metadata());
            }

            @Override
            public Scope openScope(Job job) {
                seen.add("scope " + org.slf4j.MDC.get("requestId"));
                return Scope.NONE;
            }

            @Override
            public void beforeRun(Job job, JobContext context) {
                seen.add(org.slf4j.MDC.get("requestId") + " " + org.slf4j.MDC.get("user"));
            }
        };
        this.contextRunner.withPropertyValues("quark.jobs.context.mdc-keys=requestId,tenant")
            .withBean("probe", JobFilter.class, () -> probe)
            .run((context) -> {
                assertThat(context.getBean(MdcJobFilter.class).keys()).containsExactly("requestId", "tenant");
                assertThat(context.getBean(JobFilters.class).filters()).hasSize(2)
                    .first()
                    .isInstanceOf(MdcJobFilter.class);
                JobQueue jobs = context.getBean(JobQueue.class);
                org.slf4j.MDC.put("requestId", "req-42");
                org.slf4j.MDC.put("user", "not carried");
                JobId id;
                try {
                    id = jobs.enqueue(SendInvoiceHandler.class, new SendInvoice("mdc", 1));
                }
                finally {
                    org.slf4j.MDC.clear();
                }
                assertThat(jobs.find(id).orElseThrow().metadata()).containsExactly(entry("mdc.requestId", "req-42"));
                await().atMost(Duration.ofSeconds(10))
                    .until(() -> jobs.find(id).map(Job::status).orElseThrow() == JobStatus.SUCCEEDED);
                assertThat(seen).containsExactly("enqueue {mdc.requestId=req-42}", "scope req-42", "req-42 null");
            });
        this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(MdcJobFilter.class));
    }

    @Test
    void mdcKeysThatCannotBeCarriedFailStartUpNamingTheKey() {
        assertFailure("quark.jobs.context.mdc-keys=ok," + "k".repeat(97), "quark.jobs.context.mdc-keys",
                "it has 97 characters, more than 96");
        assertFailure("quark.jobs.context.mdc-keys=ok,quark.job.id", "quark.jobs.context.mdc-keys",
                "value 'quark.job.id' is invalid: cannot be carried with jobs: keys starting with 'quark.job.'");
        assertFailure("quark.jobs.context.mdc-keys=ok,bad\u0007key", "quark.jobs.context.mdc-keys",
                "value 'bad\\u0007key' is invalid: cannot be carried with jobs: it holds control characters");
        assertFailure("quark.jobs.context.mdc-keys=" + String.join(",",
                java.util.stream.IntStream.rangeClosed(1, 65).mapToObj((i) -> "key" + i).toList()),
                "quark.jobs.context.mdc-keys", "must name at most 64 keys");
    }

    record NamedFilter(String name, List<String> calls, int order) implements JobFilter, Ordered {

        @Override
        public void onEnqueued(Job job) {
            this.calls.add(this.name + ":enqueued");
        }

        @Override
        public void beforeRun(Job job, JobContext context) {
            this.calls.add(this.name + ":before");
        }

        @Override
        public void afterRun(Job job, JobContext context, @Nullable Throwable failure) {
            this.calls.add(this.name + ":after");
        }

        @Override
        public int getOrder() {
            return this.order;
        }
    }

    private void assertFailure(String property, String name, String reason) {
        this.contextRunner.withPropertyValues(property).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("Property " + name + " with value")
                .hasMessageContaining(reason);
        });
    }

    @Test
    void twoHandlersOfOneTypeFailStartUpNamingBoth() {
        this.contextRunner.withBean("another", SendInvoiceHandler.class, SendInvoiceHandler::new).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .hasMessageContaining("The job type 'send-invoice' has two handlers");
        });
    }

    @Test
    void beansOfTheApplicationReplaceQuarks() {
        InMemoryJobStore store = new InMemoryJobStore();
        this.contextRunner.withBean("myJobStore", JobStore.class, () -> store).run((context) -> {
            assertThat(context).doesNotHaveBean("quarkInMemoryJobStore");
            JobId id = context.getBean(JobQueue.class).enqueue("send-invoice", new SendInvoice("o", 1));
            assertThat(store.find(id)).isPresent();
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class InvoicingApplication {

        @Bean
        SendInvoiceHandler sendInvoiceHandler() {
            return new SendInvoiceHandler();
        }
    }

    record SendInvoice(String orderId, long cents) {
    }

    record Report(String kind) {
    }

    @Configuration(proxyBeanMethods = false)
    static class NightlyReports {

        @Bean
        ReportHandler reportHandler() {
            return new ReportHandler();
        }
    }

    @Recurring(id = "nightly-report", cron = "0 0 2 * * *", zone = "Europe/Paris", payload = "{\"kind\":\"daily\"}",
            overlapPolicy = OverlapPolicy.QUEUE_ONE)
    @Recurring(id = "weekly-report", every = "P7D", payload = "{\"kind\":\"weekly\"}")
    static class ReportHandler implements JobHandler<Report> {

        @Override
        public String type() {
            return "nightly-report";
        }

        @Override
        public void handle(Report report, JobContext context) {
        }
    }

    @Recurring(id = "broken")
    static class BrokenReports implements JobHandler<Report> {

        @Override
        public String type() {
            return "broken-report";
        }

        @Override
        public void handle(Report report, JobContext context) {
        }
    }

    static class SendInvoiceHandler implements JobHandler<SendInvoice> {

        final List<SendInvoice> sent = new CopyOnWriteArrayList<>();

        @Override
        public void handle(SendInvoice invoice, JobContext context) {
            this.sent.add(invoice);
        }
    }
}
