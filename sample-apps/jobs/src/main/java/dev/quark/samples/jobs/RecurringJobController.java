package dev.quark.samples.jobs;

import java.time.Instant;
import java.util.List;

import dev.quark.jobs.JobQueue;
import dev.quark.jobs.RecurringJob;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Lists the recurring jobs with their next instants; their jobs are listed by {@code GET /jobs?type=...}.
 */
@RestController
@RequestMapping("/recurring-jobs")
class RecurringJobController {

    private final JobQueue jobs;

    private final JsonMapper mapper;

    RecurringJobController(JobQueue jobs, JsonMapper mapper) {
        this.jobs = jobs;
        this.mapper = mapper;
    }

    @GetMapping
    List<RecurringJobView> list() {
        return this.jobs.listRecurring().stream().map(this::view).toList();
    }

    private RecurringJobView view(RecurringJob job) {
        return new RecurringJobView(job.id(), job.type(), this.mapper.readTree(job.payload()), job.schedule().text(),
                job.misfirePolicy().name(), job.nextRunAt());
    }

    /**
     * A recurring job as the API shows it.
     *
     * @param id its id
     * @param type the type of the jobs it enqueues
     * @param payload their payload
     * @param schedule its schedule ({@code cron Europe/Paris 0 0 2 * * *}, {@code every PT10S})
     * @param misfirePolicy what happens to instants missed while every node was down
     * @param nextRunAt its next instant
     */
    record RecurringJobView(String id, String type, JsonNode payload, String schedule, String misfirePolicy,
            Instant nextRunAt) {
    }
}
