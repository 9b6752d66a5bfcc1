package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobDraft;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobRequest;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobVetoedException;
import dev.quark.jobs.JobWorkflow;
import dev.quark.jobs.MisfirePolicy;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.Schedule;
import dev.quark.jobs.Workflow;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.jobs.store.memory.InMemoryRecurringJobStore;
import dev.quark.jobs.store.memory.InMemoryWorkflowStore;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * What {@link JobFilter#beforeEnqueue} can do to a job: change it within limits, veto it, or fail without losing it;
 * for jobs enqueued on their own and for the steps of a workflow.
 */
class JobFilterEnqueueTests {

    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    private final InMemoryJobStore store = new InMemoryJobStore();

    private final JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());

    private final JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(
            JobHandler.of("invoice", Invoice.class, (invoice, context) -> {
            }), JobHandler.of("mail", Mail.class, (mail, context) -> {
            }), JobHandler.of("note", Note.class, (note, context) -> {
            })), this.codec, RetryPolicy.defaults(), Duration.ofMinutes(10));

    private final List<String> calls = new ArrayList<>();

    private final InMemoryWorkflowStore workflows = new InMemoryWorkflowStore();

    private DefaultJobQueue queue(JobFilter... filters) {
        return new DefaultJobQueue(this.store, null, this.workflows, this.handlers, this.codec, this.clock,
                JobMetrics.NONE, new JobFilters(List.of(filters)));
    }

    @Test
    void aFilterChangesThePayloadTheMetadataAndTheDueTimeBeforeTheJobIsStored() {
        JobFilter changing = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                assertThat(job.type()).isEqualTo("invoice");
                assertThat(job.idempotencyKey()).isEqualTo("key-1");
                assertThat(job.workflow()).isNull();
                Invoice invoice = (Invoice) job.payload();
                job.replacePayload(new Invoice(invoice.order(), invoice.cents() * 2));
                job.putMetadata("tenant", "acme");
                job.putMetadata("removed", "x");
                job.removeMetadata("removed");
                job.runAfter(Duration.ofMinutes(5));
            }
        };
        JobFilter seeing = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                JobFilterEnqueueTests.this.calls.add(job.payload() + " " + job.metadata() + " " + job.dueAt());
            }
        };
        JobId id = queue(changing, seeing).enqueue(JobRequest.of("invoice", new Invoice("o-1", 100))
            .withIdempotencyKey("key-1"));

        Job job = this.store.find(id).orElseThrow();
        assertThat(job.payload()).isEqualTo("{\"order\":\"o-1\",\"cents\":200}");
        assertThat(job.metadata()).containsExactly(Map.entry("tenant", "acme"));
        assertThat(job.status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(job.dueAt()).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
        assertThat(this.calls).containsExactly("Invoice[order=o-1, cents=200] {tenant=acme} " + NOW.plusSeconds(300));
    }

    @Test
    void aVetoStoresNothingAndNamesTheFilterAndTheReasonToTheCaller() {
        TenantRequired tenantRequired = new TenantRequired();
        JobFilter later = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                JobFilterEnqueueTests.this.calls.add("later");
            }

            @Override
            public void onEnqueued(Job job) {
                JobFilterEnqueueTests.this.calls.add("enqueued");
            }
        };
        DefaultJobQueue queue = queue(tenantRequired, later);

        assertThatExceptionOfType(JobVetoedException.class)
            .isThrownBy(() -> queue.enqueue("invoice", new Invoice("o-1", 100)))
            .withMessage("Job filter " + TenantRequired.class.getName() + " vetoed the 'invoice' job: no tenant in order "
                    + "o-1")
            .satisfies((ex) -> {
                assertThat(ex.getFilter()).isEqualTo(TenantRequired.class.getName());
                assertThat(ex.getReason()).isEqualTo("no tenant in order o-1");
            });
        assertThat(this.store.countByStatus().values()).allMatch((count) -> count == 0);
        assertThat(this.calls).isEmpty();

        queue.enqueue("invoice", new Invoice("acme:o-2", 100));
        assertThat(this.calls).containsExactly("later", "enqueued");
    }

    @Test
    void dueTimesBeyondTheYear9999AreRefusedNamingTheFilterAndTheValue() {
        List<String> refusals = new ArrayList<>();
        JobFilter far = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                refuse(() -> job.runAfter(Duration.ofSeconds(Long.MAX_VALUE)));
                refuse(() -> job.runAt(Instant.MAX));
                refuse(() -> job.runAt(Instant.EPOCH.minusSeconds(1)));
                job.runAt(JobDraft.LATEST_DUE_AT);
            }

            private void refuse(Runnable change) {
                try {
                    change.run();
                }
                catch (IllegalArgumentException ex) {
                    refusals.add(ex.getMessage());
                }
            }
        };
        JobId id = queue(far).enqueue("invoice", new Invoice("o-1", 100));
        String filter = "Job filter " + far.getClass().getName() + " gave the 'invoice' job ";
        assertThat(refusals).containsExactly(
                filter + "a delay of " + Duration.ofSeconds(Long.MAX_VALUE) + ": it would be due after "
                        + "9999-12-31T23:59:59Z",
                filter + "a due time of " + Instant.MAX + ": due times lie between 1970-01-01T00:00:00Z and "
                        + "9999-12-31T23:59:59Z",
                filter + "a due time of 1969-12-31T23:59:59Z: due times lie between 1970-01-01T00:00:00Z and "
                        + "9999-12-31T23:59:59Z");
        assertThat(this.store.find(id).orElseThrow().dueAt()).isEqualTo(JobDraft.LATEST_DUE_AT);
    }

    @Test
    void aFilterReadsAndChangesAJobsOwnTimeoutWithinItsLimitsAndAThrowingFiltersChangeIsUndone() {
        List<String> seen = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        JobFilter doubling = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                seen.add(String.valueOf(job.timeout()));
                for (Duration bad : List.of(Duration.ZERO, Duration.ofMillis(-1), JobDraft.MAX_TIMEOUT.plusMillis(1))) {
                    try {
                        job.replaceTimeout(bad);
                    }
                    catch (IllegalArgumentException ex) {
                        refusals.add(ex.getMessage());
                    }
                }
                if (job.timeout() != null) {
                    job.replaceTimeout(job.timeout().multipliedBy(2));
                }
            }
        };
        JobFilter careless = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                job.replaceTimeout(Duration.ofDays(1));
                throw new IllegalStateException("a bug in the filter");
            }
        };
        DefaultJobQueue queue = queue(doubling, careless);
        JobId timed = queue.enqueue(JobRequest.of("invoice", new Invoice("o-1", 100)).withTimeout(Duration.ofSeconds(3)));
        JobId plain = queue.enqueue(JobRequest.of("invoice", new Invoice("o-2", 100)));

        assertThat(seen).containsExactly("PT3S", "null");
        String filter = "Job filter " + doubling.getClass().getName() + " gave the 'invoice' job ";
        assertThat(refusals).startsWith(filter + "a timeout of PT0S: timeouts are positive and at most PT8760H",
                filter + "a timeout of PT-0.001S: timeouts are positive and at most PT8760H",
                filter + "a timeout of PT8760H0.001S: timeouts are positive and at most PT8760H");
        assertThat(this.store.find(timed).orElseThrow().timeout()).isEqualTo(Duration.ofSeconds(6));
        assertThat(this.store.find(plain).orElseThrow().timeout()).isNull();
    }

    @Test
    void changesOutsideTheLimitsAreRefusedNamingTheFilterAndAFilterThatThrowsHasItsChangesUndone() {
        List<String> refusals = new ArrayList<>();
        JobFilter careless = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                job.putMetadata("kept-until-it-throws", "x");
                job.runAfter(Duration.ofHours(1));
                refuse(() -> job.replacePayload("not an invoice"));
                refuse(() -> job.putMetadata(" ", "blank key"));
                refuse(() -> job.putMetadata("k".repeat(JobDraft.MAX_METADATA_KEY_LENGTH + 1), "long key"));
                refuse(() -> job.putMetadata("line\nbreak", "control character"));
                refuse(() -> job.putMetadata("big", "v".repeat(JobDraft.MAX_METADATA_VALUE_LENGTH + 1)));
                refuse(() -> job.runAfter(Duration.ofSeconds(-1)));
                for (int i = 1; i < JobDraft.MAX_METADATA_ENTRIES; i++) {
                    job.putMetadata("entry-" + i, "v");
                }
                refuse(() -> job.putMetadata("one-too-many", "v"));
                throw new IllegalStateException("a bug in the filter");
            }

            private void refuse(Runnable change) {
                try {
                    change.run();
                }
                catch (IllegalArgumentException ex) {
                    refusals.add(ex.getMessage());
                }
            }
        };
        JobFilter after = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                job.putMetadata("after", "ran");
            }
        };
        JobId id = queue(careless, after).enqueue("invoice", new Invoice("o-1", 100));

        String filter = "Job filter " + careless.getClass().getName() + " gave the 'invoice' job ";
        assertThat(refusals).containsExactly(
                filter + "a payload of class java.lang.String, not a " + Invoice.class.getName()
                        + " (the payload type of its handler)",
                filter + "the metadata key ' ' (1 characters): keys are not blank, have at most 100 characters and no "
                        + "control characters",
                filter + "the metadata key '" + "k".repeat(40) + "...' (101 characters): keys are not blank, have at "
                        + "most 100 characters and no control characters",
                filter + "the metadata key 'line\nbreak' (10 characters): keys are not blank, have at most 100 "
                        + "characters and no control characters",
                filter + "a value of 4001 characters for the metadata key 'big': values have at most 4000 characters",
                filter + "a negative delay, PT-1S",
                filter + "the metadata key 'one-too-many': a job carries at most 64 metadata entries");
        Job job = this.store.find(id).orElseThrow();
        assertThat(job.metadata()).as("the throwing filter's changes are undone").containsExactly(Map.entry("after", "ran"));
        assertThat(job.dueAt()).isEqualTo(NOW);
        assertThat(job.payload()).isEqualTo("{\"order\":\"o-1\",\"cents\":100}");
    }

    @Test
    void eachStepOfAWorkflowGoesThroughTheFiltersWhenTheWorkflowIsEnqueuedAndItsJobCarriesTheMetadata() {
        JobFilter stamping = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                JobFilterEnqueueTests.this.calls.add(job.workflow() + "/" + job.step() + " " + job.type());
                job.putMetadata("tenant", "acme");
                job.putMetadata("step", String.valueOf(job.step()));
                if (job.payload() instanceof Mail mail) {
                    job.replacePayload(new Mail(mail.to().toLowerCase(java.util.Locale.ROOT)));
                }
            }
        };
        DefaultJobQueue queue = queue(stamping);
        WorkflowId id = queue.enqueue(JobWorkflow.builder("order-1")
            .step("charge", "invoice", new Invoice("o-1", 100))
            .step("notify", "mail", new Mail("ALICE@EXAMPLE.COM"))
            .after("charge")
            .build());

        assertThat(this.calls).containsExactly("order-1/charge invoice", "order-1/notify mail");
        Workflow workflow = queue.findWorkflow(id).orElseThrow();
        Job charge = this.store.find(workflow.step("charge").orElseThrow().jobId()).orElseThrow();
        assertThat(charge.metadata()).isEqualTo(Map.of("tenant", "acme", "step", "charge"));
        assertThat(this.store.find(workflow.step("notify").orElseThrow().jobId())).as("released once charge succeeded")
            .isEmpty();
        // The step's metadata is kept in the workflow's record until the step is released.
        WorkflowDocument document = WorkflowDocument.read(this.workflows.find(id).orElseThrow().document());
        assertThat(document.step("notify").metadata).isEqualTo(Map.of("tenant", "acme", "step", "notify"));
        assertThat(document.step("notify").payload).isEqualTo("{\"to\":\"alice@example.com\"}");
    }

    @Test
    void aVetoOfOneStepRefusesTheWholeWorkflowAndAStepCannotBeDelayed() {
        List<String> unsupported = new ArrayList<>();
        JobFilter filter = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                try {
                    job.runAfter(Duration.ofMinutes(1));
                }
                catch (UnsupportedOperationException ex) {
                    unsupported.add(ex.getMessage());
                }
                try {
                    job.replaceTimeout(Duration.ofMinutes(1));
                }
                catch (UnsupportedOperationException ex) {
                    unsupported.add(ex.getMessage());
                }
                if ("mail".equals(job.type())) {
                    job.veto("mail is switched off");
                }
            }
        };
        InMemoryWorkflowStore workflows = new InMemoryWorkflowStore();
        DefaultJobQueue queue = new DefaultJobQueue(this.store, null, workflows, this.handlers, this.codec, this.clock,
                JobMetrics.NONE, new JobFilters(List.of(filter)));
        JobWorkflow workflow = JobWorkflow.builder("order-2")
            .step("charge", "invoice", new Invoice("o-2", 100))
            .step("notify", "mail", new Mail("bob@example.com"))
            .after("charge")
            .build();

        assertThatExceptionOfType(JobVetoedException.class).isThrownBy(() -> queue.enqueue(workflow))
            .withMessage("Job filter " + filter.getClass().getName()
                    + " vetoed step 'notify' (mail) of workflow 'order-2': mail is switched off");
        assertThat(workflows.active(null, 10)).isEmpty();
        assertThat(this.store.countByStatus().values()).allMatch((count) -> count == 0);
        assertThat(unsupported).startsWith(
                "Job filter " + filter.getClass().getName() + " cannot delay step 'charge' (invoice) of "
                        + "workflow 'order-2': a step runs when its dependencies allow",
                "Job filter " + filter.getClass().getName() + " cannot give step 'charge' (invoice) of "
                        + "workflow 'order-2' a timeout: only jobs enqueued on their own carry one");
    }

    @Test
    void theJobOfARecurringJobsInstantGoesThroughTheFiltersAndAVetoNamesTheRecurringJob() {
        InMemoryRecurringJobStore recurring = new InMemoryRecurringJobStore(this.store);
        RecurringJob nightly = recurring.save(new RecurringJob("nightly", "invoice", "{\"order\":\"o-7\",\"cents\":1}",
                Schedule.every(Duration.ofHours(1)), MisfirePolicy.RUN_ONCE, NOW));
        DefaultJobQueue queue = new DefaultJobQueue(this.store, recurring, this.workflows, this.handlers, this.codec,
                this.clock, JobMetrics.NONE, new JobFilters(List.of(new TenantRequired())));

        assertThatExceptionOfType(JobVetoedException.class)
            .isThrownBy(() -> queue.fireOccurrence(nightly, NOW, NOW.plusSeconds(3600)))
            .withMessage("Job filter " + TenantRequired.class.getName() + " vetoed the 'invoice' job of recurring job "
                    + "'nightly': no tenant in order o-7");
        assertThat(this.store.countByStatus().values()).allMatch((count) -> count == 0);
        assertThat(recurring.find("nightly").orElseThrow().nextRunAt()).as("not moved on by the queue").isEqualTo(NOW);
    }

    @Test
    void aFilterThatCannotReadARecurringJobsPayloadFailsAloneAndThePayloadIsStoredAsItWas() {
        InMemoryRecurringJobStore recurring = new InMemoryRecurringJobStore(this.store);
        String unreadable = "{ \"order\": [\"not\", \"a\", \"string\"] }";
        RecurringJob nightly = recurring.save(new RecurringJob("nightly", "invoice", unreadable,
                Schedule.every(Duration.ofHours(1)), MisfirePolicy.RUN_ONCE, NOW));
        JobFilter reading = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                job.putMetadata("undone", "yes");
                JobFilterEnqueueTests.this.calls.add("read " + job.payload());
            }
        };
        JobFilter tagging = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                job.putMetadata("recurring", String.valueOf(job.recurringJob()));
            }
        };
        DefaultJobQueue queue = new DefaultJobQueue(this.store, recurring, this.workflows, this.handlers, this.codec,
                this.clock, JobMetrics.NONE, new JobFilters(List.of(reading, tagging)));

        assertThat(queue.fireOccurrence(nightly, NOW, NOW.plusSeconds(3600))).isTrue();
        Job job = this.store.find(recurring.find("nightly").orElseThrow().lastJobId()).orElseThrow();
        assertThat(job.payload()).as("not read and written again").isEqualTo(unreadable);
        assertThat(job.metadata()).containsExactly(Map.entry("recurring", "nightly"));
        assertThat(job.idempotencyKey()).isEqualTo(DefaultJobQueue.occurrenceKey("nightly", NOW));
        assertThat(this.calls).isEmpty();
    }

    @Test
    void aFilterThatThrowsAnErrorAtEnqueueIsSkippedLikeOneThatThrowsAnException() {
        JobFilter asserting = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                job.putMetadata("undone", "yes");
                throw new AssertionError("a broken invariant in the filter");
            }
        };
        JobFilter after = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                job.putMetadata("after", "ran");
            }
        };
        JobId id = queue(asserting, after).enqueue("invoice", new Invoice("o-3", 300));

        assertThat(this.store.find(id).orElseThrow().metadata()).containsExactly(Map.entry("after", "ran"));
    }

    @Test
    void aFilterThatThrowsAVirtualMachineErrorAtEnqueueStoresNothing() {
        JobFilter exhausted = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                throw new OutOfMemoryError("no room for the filter");
            }
        };
        assertThatExceptionOfType(OutOfMemoryError.class)
            .isThrownBy(() -> queue(exhausted).enqueue("invoice", new Invoice("o-4", 400)));
        assertThat(this.store.countByStatus().values()).allMatch((count) -> count == 0);
    }

    @Test
    void aPayloadAFilterGaveARecurringJobsJobThatCannotBeWrittenIsLoggedAndTheStoredOneEnqueued() {
        InMemoryRecurringJobStore recurring = new InMemoryRecurringJobStore(this.store);
        RecurringJob nightly = recurring.save(new RecurringJob("nightly-note", "note", "{\"text\":\"hello\"}",
                Schedule.every(Duration.ofHours(1)), MisfirePolicy.RUN_ONCE, NOW));
        JobFilter replacing = new JobFilter() {
            @Override
            public void beforeEnqueue(JobDraft job) {
                job.replacePayload(new UnwritableNote());
                job.putMetadata("replaced", "yes");
            }
        };
        DefaultJobQueue queue = new DefaultJobQueue(this.store, recurring, this.workflows, this.handlers, this.codec,
                this.clock, JobMetrics.NONE, new JobFilters(List.of(replacing)));
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory
            .getLogger(DefaultJobQueue.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            assertThat(queue.fireOccurrence(nightly, NOW, NOW.plusSeconds(3600))).as("fired, not failed").isTrue();
        }
        finally {
            logger.detachAppender(logged);
        }

        RecurringJob moved = recurring.find("nightly-note").orElseThrow();
        assertThat(moved.nextRunAt()).isEqualTo(NOW.plusSeconds(3600));
        Job job = this.store.find(moved.lastJobId()).orElseThrow();
        assertThat(job.payload()).isEqualTo("{\"text\":\"hello\"}");
        assertThat(job.metadata()).containsExactly(Map.entry("replaced", "yes"));
        assertThat(logged.list).singleElement().satisfies((event) -> {
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).isEqualTo("Could not write the payload ("
                    + UnwritableNote.class.getName() + ") job filter " + replacing.getClass().getName() + " gave the "
                    + "'note' job of recurring job 'nightly-note'; it is stored with its payload as it was");
        });
    }

    record Invoice(String order, long cents) {
    }

    /** A payload type a filter may replace by a subclass. */
    static class Note {

        public String text = "";
    }

    /** A payload whose JSON cannot be written. */
    static final class UnwritableNote extends Note {

        public String getBroken() {
            throw new IllegalStateException("cannot be written");
        }
    }

    record Mail(String to) {
    }

    static final class TenantRequired implements JobFilter {

        @Override
        public void beforeEnqueue(JobDraft job) {
            if (job.payload() instanceof Invoice invoice && !invoice.order().startsWith("acme:")) {
                job.veto("no tenant in order " + invoice.order());
            }
        }
    }
}
