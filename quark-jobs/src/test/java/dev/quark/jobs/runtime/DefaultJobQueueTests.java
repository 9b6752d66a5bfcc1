package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.quark.jobs.CancelResult;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobDraft;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobNotFoundException;
import dev.quark.jobs.JobPayloadException;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobRequest;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.UnknownJobTypeException;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class DefaultJobQueueTests {

    private static final Instant NOW = Instant.parse("2026-02-01T09:00:00Z");

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    private final InMemoryJobStore store = new InMemoryJobStore();

    private final JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());

    private final JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(new SendInvoiceHandler(),
            JobHandler.of("cleanup", Map.class, (payload, context) -> {
            })), this.codec, RetryPolicy.defaults(), Duration.ofMinutes(10));

    private final List<String> enqueuedEvents = new ArrayList<>();

    private final DefaultJobQueue queue = new DefaultJobQueue(this.store, this.handlers, this.codec, this.clock,
            JobMetrics.NONE);

    {
        this.queue.subscribe(new JobEvents() {
            @Override
            public void enqueued(Job job) {
                DefaultJobQueueTests.this.enqueuedEvents.add(job.type());
            }
        });
    }

    @Test
    void aJobIsStoredWithItsPayloadAsJsonAndTheLocalWorkersAreTold() {
        JobId id = this.queue.enqueue("send-invoice", new SendInvoice("order-1", 1999));
        Job job = this.queue.find(id).orElseThrow();
        assertThat(job.type()).isEqualTo("send-invoice");
        assertThat(job.payload()).isEqualTo("{\"orderId\":\"order-1\",\"cents\":1999}");
        assertThat(job.status()).isEqualTo(JobStatus.ENQUEUED);
        assertThat(job.attempt()).isZero();
        assertThat(job.createdAt()).isEqualTo(NOW);
        assertThat(job.dueAt()).isEqualTo(NOW);
        assertThat(this.enqueuedEvents).containsExactly("send-invoice");
    }

    @Test
    void aDelayBeyondWhatStoresKeepIsRefusedAtEnqueueAndNothingIsStored() {
        Duration centuries = Duration.ofDays(365L * 10_000);
        assertThatIllegalArgumentException()
            .isThrownBy(() -> this.queue.enqueueAfter("send-invoice", new SendInvoice("o", 1), centuries))
            .withMessage("A job's delay of " + centuries + " would make it due after 9999-12-31T23:59:59Z");
        assertThat(this.store.countByStatus().values()).allMatch((count) -> count == 0);
        assertThat(this.enqueuedEvents).isEmpty();
    }

    @Test
    void aJobsOwnTimeoutIsStoredWithItKeptToTheMillisecondAndAJobWithoutOneHasNone() {
        JobId timed = this.queue.enqueue(JobRequest.of("send-invoice", new SendInvoice("o", 1))
            .withTimeout(Duration.ofSeconds(30)));
        assertThat(this.queue.find(timed).orElseThrow().timeout()).isEqualTo(Duration.ofSeconds(30));
        JobId rounded = this.queue.enqueue(JobRequest.of("send-invoice", new SendInvoice("o", 2))
            .withTimeout(Duration.ofNanos(1_500_001)));
        assertThat(this.queue.find(rounded).orElseThrow().timeout()).as("rounded up").isEqualTo(Duration.ofMillis(2));
        JobId plain = this.queue.enqueue(JobRequest.of("send-invoice", new SendInvoice("o", 3)));
        assertThat(this.queue.find(plain).orElseThrow().timeout()).isNull();
        assertThat(JobRequest.of("send-invoice", new SendInvoice("o", 4)).withTimeout(JobDraft.MAX_TIMEOUT).timeout())
            .isEqualTo(Duration.ofDays(365));
    }

    @Test
    void aTimeoutThatIsNotPositiveOrLongerThanAYearIsRefusedNamingTheValue() {
        JobRequest request = JobRequest.of("send-invoice", new SendInvoice("o", 1));
        assertThatIllegalArgumentException().isThrownBy(() -> request.withTimeout(Duration.ZERO))
            .withMessage("A job's timeout must be positive and at most PT8760H, was PT0S");
        assertThatIllegalArgumentException().isThrownBy(() -> request.withTimeout(Duration.ofSeconds(-5)))
            .withMessage("A job's timeout must be positive and at most PT8760H, was PT-5S");
        assertThatIllegalArgumentException().isThrownBy(() -> request.withTimeout(Duration.ofDays(366)))
            .withMessage("A job's timeout must be positive and at most PT8760H, was PT8784H");
        assertThat(request.timeout()).isNull();
    }

    @Test
    void aJobForLaterIsScheduled() {
        JobId later = this.queue.enqueueAfter("send-invoice", new SendInvoice("o", 1), Duration.ofHours(1));
        JobId at = this.queue.enqueueAt("send-invoice", new SendInvoice("o", 1), NOW.plusSeconds(5));
        JobId past = this.queue.enqueueAt("send-invoice", new SendInvoice("o", 1), NOW.minusSeconds(5));
        assertThat(this.queue.find(later).orElseThrow()).extracting(Job::status, Job::dueAt)
            .containsExactly(JobStatus.SCHEDULED, NOW.plusSeconds(3600));
        assertThat(this.queue.find(at).orElseThrow().status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(this.queue.find(past).orElseThrow().status()).isEqualTo(JobStatus.ENQUEUED);
    }

    @Test
    void aHandlerClassNamesItsType() {
        JobId id = this.queue.enqueue(SendInvoiceHandler.class, new SendInvoice("order-2", 5));
        assertThat(this.queue.find(id).orElseThrow().type()).isEqualTo("send-invoice");
    }

    @Test
    void anIdempotencyKeyYieldsOneJob() {
        JobRequest request = JobRequest.of("send-invoice", new SendInvoice("order-3", 1)).withIdempotencyKey("invoice-3");
        JobId first = this.queue.enqueue(request);
        JobId second = this.queue.enqueue(request);
        assertThat(second).isEqualTo(first);
        assertThat(this.queue.list(JobQuery.all()).jobs()).hasSize(1);
        assertThat(this.enqueuedEvents).hasSize(1);
        assertThatIllegalStateException()
            .isThrownBy(() -> this.queue.enqueue(JobRequest.of("cleanup", Map.of()).withIdempotencyKey("invoice-3")))
            .withMessage("The idempotency key 'invoice-3' belongs to job " + first + " of type 'send-invoice', not to a "
                    + "'cleanup' job");
    }

    @Test
    void badInputFailsBeforeAnythingIsStoredNamingTheValue() {
        assertThatExceptionOfType(UnknownJobTypeException.class).isThrownBy(() -> this.queue.enqueue("send-invoices", "x"))
            .withMessage("No job handler is registered for the job type 'send-invoices'; the registered types are "
                    + "[cleanup, send-invoice]");
        assertThatIllegalArgumentException().isThrownBy(() -> this.queue.enqueue("send-invoice", "order-1"))
            .withMessage("The payload of a 'send-invoice' job must be a " + SendInvoice.class.getName()
                    + " (the payload type of its handler), was a java.lang.String");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> this.queue.enqueueAfter("send-invoice", new SendInvoice("o", 1), Duration.ofMillis(-1)))
            .withMessage("A job's delay must not be negative, was PT-0.001S");
        assertThatExceptionOfType(JobPayloadException.class)
            .isThrownBy(() -> this.queue.enqueue("cleanup", Map.of("self", new Unwritable())))
            .withMessageStartingWith("The payload of a 'cleanup' job, a java.util.ImmutableCollections$Map1, cannot be "
                    + "written as JSON");
        assertThatExceptionOfType(UnknownJobTypeException.class)
            .isThrownBy(() -> this.queue.enqueue(UnregisteredHandler.class, "x"))
            .withMessageContaining(UnregisteredHandler.class.getName());
        assertThat(this.queue.list(JobQuery.all()).jobs()).isEmpty();
    }

    @Test
    void cancelRequeueAndPurgeCheckTheirArguments() {
        JobId id = this.queue.enqueue("cleanup", Map.of());
        assertThat(this.queue.cancel(id)).isEqualTo(CancelResult.CANCELLED);
        assertThat(this.queue.cancel(id)).isEqualTo(CancelResult.ALREADY_FINISHED);
        assertThatIllegalStateException().isThrownBy(() -> this.queue.requeue(id))
            .withMessage("Job " + id + " (cleanup) is CANCELLED: only DEAD_LETTERED jobs can be requeued");
        JobId unknown = JobId.next(this.clock);
        assertThatExceptionOfType(JobNotFoundException.class).isThrownBy(() -> this.queue.cancel(unknown))
            .withMessage("No job with id " + unknown + " (it never existed, or it was purged)");
        assertThatIllegalArgumentException().isThrownBy(() -> this.queue.purge(Duration.ofDays(-1)))
            .withMessageContaining("olderThan was PT-24H");
        assertThatIllegalArgumentException().isThrownBy(() -> this.queue.purge(Duration.ZERO, Set.of(JobStatus.RUNNING)))
            .withMessageStartingWith("Only finished jobs can be purged, not RUNNING ones");
        assertThat(this.queue.purge(Duration.ofSeconds(1))).isZero();
        assertThat(this.queue.counts()).containsEntry(JobStatus.CANCELLED, 1L).containsEntry(JobStatus.RUNNING, 0L);
    }

    @Test
    void handlersAreCheckedWhenRegistered() {
        assertThatIllegalStateException()
            .isThrownBy(() -> new JobHandlerRegistry(List.of(new SendInvoiceHandler(), new SendInvoiceHandler()), this.codec,
                    RetryPolicy.defaults(), Duration.ofMinutes(1)))
            .withMessageContaining("The job type 'send-invoice' has two handlers");
        JobHandler<String> lambda = JobHandler.of("x", String.class, (payload, context) -> {
        });
        assertThat(new JobHandlerRegistry(List.of(lambda), this.codec, RetryPolicy.defaults(), Duration.ofMinutes(1))
            .require("x")
            .payloadType()
            .getRawClass()).isEqualTo(String.class);
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new JobHandlerRegistry(List.<JobHandler<?>>of(new RawHandler()), this.codec, RetryPolicy.defaults(),
                    Duration.ofMinutes(1)))
            .withMessageStartingWith("Cannot tell the payload type of the job handler " + RawHandler.class.getName());
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new JobHandlerRegistry(List.of(new ImpatientSendInvoiceHandler()), this.codec,
                    RetryPolicy.defaults(), Duration.ofMinutes(1)))
            .withMessage("The timeout of job type 'send-invoice' must be positive, was PT0S");
    }

    @Test
    void genericPayloadTypesAreResolvedFromTheClass() {
        JobHandlerRegistry registry = new JobHandlerRegistry(List.of(new BatchHandler()), this.codec,
                RetryPolicy.defaults(), Duration.ofMinutes(1));
        RegisteredJobHandler batch = registry.require("batch");
        assertThat(batch.payloadType().toCanonical()).isEqualTo("java.util.List<" + SendInvoice.class.getName() + ">");
        Object payload = this.codec.read(JobId.next(this.clock), "batch", batch.payloadType(),
                "[{\"orderId\":\"a\",\"cents\":1}]");
        assertThat(payload).isEqualTo(List.of(new SendInvoice("a", 1)));
        assertThatExceptionOfType(JobPayloadException.class)
            .isThrownBy(() -> this.codec.read(new JobId(java.util.UUID.randomUUID()), "batch", batch.payloadType(),
                    "{\"not\":\"a list\"}"))
            .withMessageContaining("(batch) cannot be read as java.util.List<" + SendInvoice.class.getName() + ">");
    }

    record SendInvoice(String orderId, long cents) {
    }

    static class SendInvoiceHandler implements JobHandler<SendInvoice> {

        @Override
        public void handle(SendInvoice payload, JobContext context) {
        }
    }

    @dev.quark.jobs.JobType("send-invoice")
    static class ImpatientSendInvoiceHandler extends SendInvoiceHandler {

        @Override
        public Duration timeout() {
            return Duration.ZERO;
        }
    }

    static class BatchHandler implements JobHandler<List<SendInvoice>> {

        @Override
        public void handle(List<SendInvoice> payload, JobContext context) {
        }
    }

    static class UnregisteredHandler implements JobHandler<String> {

        @Override
        public void handle(String payload, JobContext context) {
        }
    }

    @SuppressWarnings("rawtypes")
    static class RawHandler implements JobHandler {

        @Override
        public void handle(Object payload, JobContext context) {
        }
    }

    static class Unwritable {

        public Object getSelf() {
            return this;
        }
    }
}
