package dev.quark.samples.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.quark.jobs.CancelResult;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobNotFoundException;
import dev.quark.jobs.JobPage;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobRequest;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.RegisteredJobHandler;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The REST API of jobs of any registered type: enqueue one (its payload read as its handler's payload type), read
 * one with its progress and log, page through them by status and type, cancel one, requeue a dead letter.
 */
@RestController
@RequestMapping("/jobs")
class JobController {

    private final JobQueue jobs;

    private final JobHandlerRegistry handlers;

    private final JsonMapper mapper;

    JobController(JobQueue jobs, JobHandlerRegistry handlers, JsonMapper mapper) {
        this.jobs = jobs;
        this.handlers = handlers;
        this.mapper = mapper;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.ACCEPTED)
    JobView enqueue(@RequestBody EnqueueJob request) {
        if (request.type() == null || request.type().isBlank()) {
            throw new IllegalArgumentException("type is missing: one of " + this.handlers.types());
        }
        RegisteredJobHandler handler = this.handlers.require(request.type());
        JobRequest job = JobRequest.of(handler.type(), payload(handler, request.payload()));
        if (request.idempotencyKey() != null) {
            job = job.withIdempotencyKey(request.idempotencyKey());
        }
        if (request.delay() != null) {
            job = job.runAfter(request.delay());
        }
        return get(this.jobs.enqueue(job).toString());
    }

    private Object payload(RegisteredJobHandler handler, @Nullable JsonNode payload) {
        String expected = handler.payloadType().getRawClass().getSimpleName();
        if (payload == null || payload.isNull() || payload.isMissingNode()) {
            throw new IllegalArgumentException("payload is missing: a '" + handler.type() + "' job takes a " + expected);
        }
        try {
            Object value = this.mapper.treeToValue(payload, handler.payloadType());
            if (value == null) {
                throw new IllegalArgumentException("payload is missing: a '" + handler.type() + "' job takes a " + expected);
            }
            return value;
        }
        catch (JacksonException ex) {
            throw new IllegalArgumentException("The payload of a '" + handler.type() + "' job must be a " + expected
                    + ": " + reason(ex), ex);
        }
    }

    private static String reason(JacksonException ex) {
        Throwable cause = ex;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return (cause instanceof IllegalArgumentException || cause instanceof NullPointerException)
                ? cause.getMessage() : ex.getOriginalMessage();
    }

    @GetMapping("/{id}")
    JobView get(@PathVariable String id) {
        JobId jobId = JobId.parse(id);
        return this.jobs.find(jobId).map((job) -> JobView.of(job, this.mapper))
            .orElseThrow(() -> new JobNotFoundException(jobId));
    }

    @GetMapping
    JobPageView list(@RequestParam(required = false) @Nullable List<String> status,
            @RequestParam(required = false) @Nullable String type,
            @RequestParam(defaultValue = "" + JobQuery.DEFAULT_LIMIT) int limit,
            @RequestParam(required = false) @Nullable String after) {
        JobQuery query = JobQuery.all();
        if (status != null && !status.isEmpty()) {
            List<JobStatus> statuses = status.stream().map(JobController::status).toList();
            query = JobQuery.status(statuses.get(0), statuses.subList(1, statuses.size()).toArray(JobStatus[]::new));
        }
        if (type != null) {
            query = query.type(type);
        }
        query = query.limit(limit);
        if (after != null) {
            query = query.after(JobId.parse(after));
        }
        JobPage page = this.jobs.list(query);
        return new JobPageView(page.jobs().stream().map((job) -> JobView.of(job, this.mapper)).toList(),
                (page.next() != null) ? page.next().toString() : null);
    }

    @GetMapping("/counts")
    Map<JobStatus, Long> counts() {
        return this.jobs.counts();
    }

    @PostMapping("/{id}/cancel")
    Map<String, CancelResult> cancel(@PathVariable String id) {
        return Map.of("result", this.jobs.cancel(JobId.parse(id)));
    }

    @PostMapping("/{id}/requeue")
    JobView requeue(@PathVariable String id) {
        return JobView.of(this.jobs.requeue(JobId.parse(id)), this.mapper);
    }

    private static JobStatus status(String text) {
        try {
            return JobStatus.valueOf(text.trim().toUpperCase(Locale.ROOT));
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("'" + text + "' is not a job status: one of "
                    + List.of(JobStatus.values()), ex);
        }
    }

    /**
     * A job to enqueue.
     *
     * @param type its type, one of the registered handlers'
     * @param payload its payload, read as the handler's payload type
     * @param idempotencyKey enqueuing again with this key enqueues nothing and answers the first job
     * @param delay how long after now it may run ({@code "PT30S"}), or now
     */
    record EnqueueJob(@Nullable String type, @Nullable JsonNode payload, @Nullable String idempotencyKey,
            @Nullable Duration delay) {
    }

    /**
     * A page of jobs.
     *
     * @param jobs the jobs, in the order they were enqueued
     * @param next the id to ask {@code after} for the next page, or null on the last page
     */
    record JobPageView(List<JobView> jobs, @Nullable String next) {
    }
}
