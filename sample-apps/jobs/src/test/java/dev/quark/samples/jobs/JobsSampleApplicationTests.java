package dev.quark.samples.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.quark.samples.jobs.JobsClient.Enqueue;
import dev.quark.samples.jobs.JobsClient.Reply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample's REST API on the in-memory default, one endpoint after the other, with the clean-up every second.
 * A report takes 4 s, so that its progress can be seen between parts (a second each) on a busy machine.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "reports.render-time=4s", "reports.cleanup.every=1s",
                "quark.jobs.recurring.poll-interval=200ms" })
class JobsSampleApplicationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @LocalServerPort
    private int port;

    private JobsClient client;

    @BeforeEach
    void client() {
        this.client = new JobsClient("sample", this.port, Duration.ofSeconds(10));
    }

    @Test
    void aReportJobShowsItsProgressWhileItRunsThenSucceedsWithItsLog() {
        String report = newId("report");
        Reply enqueued = this.client.enqueue("generate-report", generate(report, "acme", 3));
        assertThat(enqueued.status()).as("%s", enqueued).isEqualTo(202);
        assertThat(enqueued.body().path("type").asString()).isEqualTo("generate-report");
        assertThat(enqueued.body().path("payload").path("customer").asString()).isEqualTo("acme");
        String id = enqueued.id();

        JsonNode running = this.client.awaitJob(id, TIMEOUT, (job) -> "RUNNING".equals(job.path("status").asString())
                && job.path("progress").asInt() > 0 && job.path("progress").asInt() < 100, "running with progress");
        assertThat(running.path("progressMessage").asString()).startsWith("rendered part ");
        assertThat(running.path("owner").asString()).isNotEmpty();

        JsonNode done = this.client.awaitJob(id, "SUCCEEDED", TIMEOUT);
        assertThat(done.path("progress").asInt()).isEqualTo(100);
        assertThat(done.path("progressMessage").asString()).startsWith("rendered part 4 of 4");
        assertThat(done.path("attempt").asInt()).isEqualTo(1);
        assertThat(done.path("finishedAt").isNull()).isFalse();
        assertThat(done.path("log").valueStream().map(JsonNode::asString).toList())
            .anySatisfy((line) -> assertThat(line).contains("generating report " + report + " of acme over 3 months"))
            .anySatisfy((line) -> assertThat(line).contains("published report " + report));
        Reply archived = this.client.get("/reports/{id}", report);
        assertThat(archived.body().path("publications").asInt()).isEqualTo(1);
        assertThat(archived.body().path("rows").asInt()).isPositive();
    }

    @Test
    void enqueueingTwiceWithOneIdempotencyKeyMakesOneJob() {
        String key = newId("key");
        Enqueue request = new Enqueue("generate-report", generate(newId("report"), "acme", 1), key);
        Reply first = this.client.post("/jobs", request);
        Reply second = this.client.post("/jobs", request);
        assertThat(first.status()).isEqualTo(202);
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.body().path("idempotencyKey").asString()).isEqualTo(key);
        Reply page = this.client.get("/jobs?type=generate-report&limit=1000");
        assertThat(page.jobIds().stream().filter(first.id()::equals)).hasSize(1);

        Reply otherType = this.client.post("/jobs", new Enqueue("cleanup-reports", Map.of("maxAge", "PT1H"), key));
        assertThat(otherType.status()).as("%s", otherType).isEqualTo(409);
        assertThat(otherType.detail()).contains(key);
    }

    @Test
    void jobsAreListedByStatusAndTypeInPages() {
        List<String> ids = List.of(
                this.client.enqueue("generate-report", generate(newId("page"), "paged", 1)).id(),
                this.client.enqueue("generate-report", generate(newId("page"), "paged", 1)).id(),
                this.client.enqueue("generate-report", generate(newId("page"), "paged", 1)).id());
        ids.forEach((id) -> this.client.awaitJob(id, "SUCCEEDED", TIMEOUT));
        Reply firstPage = this.client.get("/jobs?status=SUCCEEDED&type=generate-report&limit=2");
        assertThat(firstPage.status()).isEqualTo(200);
        assertThat(firstPage.jobIds()).hasSize(2);
        assertThat(firstPage.body().path("jobs").valueStream().map((job) -> job.path("status").asString()))
            .containsOnly("SUCCEEDED");
        String next = firstPage.body().path("next").asString();
        assertThat(next).isNotEmpty();
        Reply secondPage = this.client.get("/jobs?status=succeeded&type=generate-report&limit=1000&after={next}", next);
        assertThat(secondPage.jobIds()).doesNotContainAnyElementsOf(firstPage.jobIds());
        assertThat(java.util.stream.Stream.concat(firstPage.jobIds().stream(), secondPage.jobIds().stream()))
            .containsAll(ids);
        assertThat(this.client.get("/jobs?status=RUNNING,ENQUEUED&type=cleanup-reports").status()).isEqualTo(200);
        assertThat(this.client.get("/jobs/counts").body().path("SUCCEEDED").asLong()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aReportWorkflowFetchesRendersBothFormatsAtOnceAndPublishes() {
        String report = newId("wf");
        Reply started = this.client.post("/workflows/reports", Map.of("reportId", report, "customer", "globex"));
        assertThat(started.status()).as("%s", started).isEqualTo(202);
        assertThat(started.body().path("name").asString()).isEqualTo("report-" + report);
        assertThat(started.body().path("steps").valueStream().map((step) -> step.path("name").asString()))
            .containsExactlyInAnyOrder("fetch", "render-pdf", "render-csv", "publish", "notify-owner");

        JsonNode done = this.client.awaitWorkflow(started.id(), "SUCCEEDED", TIMEOUT);
        assertThat(steps(done)).containsEntry("fetch", "SUCCEEDED")
            .containsEntry("render-pdf", "SUCCEEDED")
            .containsEntry("render-csv", "SUCCEEDED")
            .containsEntry("publish", "SUCCEEDED")
            .containsEntry("notify-owner", "SKIPPED");
        JsonNode publish = step(done, "publish");
        assertThat(publish.path("after").valueStream().map(JsonNode::asString))
            .containsExactlyInAnyOrder("render-pdf ON_SUCCESS", "render-csv ON_SUCCESS");
        Reply publishJob = this.client.get("/jobs/{id}", publish.path("jobId").asString());
        assertThat(publishJob.body().path("status").asString()).isEqualTo("SUCCEEDED");
        JsonNode archived = this.client.get("/reports/{id}", report).body();
        assertThat(archived.path("formats").valueStream().map(JsonNode::asString)).containsExactlyInAnyOrder("PDF", "CSV");
        assertThat(archived.path("publications").asInt()).isEqualTo(1);
        assertThat(archived.path("ownerNotifications").asInt()).isZero();
    }

    @Test
    void aWorkflowWhoseFetchFailsTellsTheReportsOwnerAndFails() {
        String customer = newId("down");
        assertThat(this.client.put("/customers/{customer}/outage", customer).status()).isEqualTo(204);
        String report = newId("wf-failed");
        Reply started = this.client.post("/workflows/reports", Map.of("reportId", report, "customer", customer));
        JsonNode failed = this.client.awaitWorkflow(started.id(), "FAILED", TIMEOUT);
        await().atMost(TIMEOUT).until(() -> "SUCCEEDED".equals(steps(this.client.get("/workflows/{id}",
                started.id()).body()).get("notify-owner")));
        assertThat(steps(this.client.get("/workflows/{id}", started.id()).body())).containsEntry("fetch", "FAILED")
            .containsEntry("render-pdf", "FAILED")
            .containsEntry("render-csv", "FAILED")
            .containsEntry("publish", "FAILED")
            .containsEntry("notify-owner", "SUCCEEDED");
        JsonNode fetch = this.client.get("/jobs/{id}", step(failed, "fetch").path("jobId").asString()).body();
        assertThat(fetch.path("status").asString()).isEqualTo("DEAD_LETTERED");
        assertThat(fetch.path("lastError").path("message").asString())
            .isEqualTo("The system of customer '" + customer + "' is unreachable");
        assertThat(this.client.get("/reports/{id}", report).body().path("ownerNotifications").asInt()).isEqualTo(1);
    }

    @Test
    void aDeadLetteredJobIsListedAndRunsAgainWhenRequeued() {
        String customer = newId("outage");
        this.client.put("/customers/{customer}/outage", customer);
        String id = this.client.enqueue("generate-report", generate(newId("dead"), customer, 2)).id();
        JsonNode dead = this.client.awaitJob(id, "DEAD_LETTERED", TIMEOUT);
        assertThat(dead.path("lastError").path("type").asString()).isEqualTo("dev.quark.jobs.NonRetryableJobException");
        assertThat(this.client.get("/jobs?status=DEAD_LETTERED&type=generate-report&limit=1000").jobIds()).contains(id);

        assertThat(this.client.delete("/customers/{customer}/outage", customer).status()).isEqualTo(204);
        Reply requeued = this.client.post("/jobs/{id}/requeue", null, id);
        assertThat(requeued.status()).as("%s", requeued).isEqualTo(200);
        assertThat(requeued.body().path("status").asString()).isIn("ENQUEUED", "RUNNING", "SUCCEEDED");
        this.client.awaitJob(id, "SUCCEEDED", TIMEOUT);

        Reply again = this.client.post("/jobs/{id}/requeue", null, id);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.detail()).contains(id).contains("only DEAD_LETTERED jobs can be requeued");
    }

    @Test
    void aWaitingJobCanBeCancelled() {
        String id = this.client.post("/jobs", Map.of("type", "generate-report", "payload",
                generate(newId("later"), "acme", 1), "delay", "PT1H")).id();
        assertThat(this.client.get("/jobs/{id}", id).body().path("status").asString()).isEqualTo("SCHEDULED");
        Reply cancelled = this.client.post("/jobs/{id}/cancel", null, id);
        assertThat(cancelled.body().path("result").asString()).isEqualTo("CANCELLED");
        assertThat(this.client.get("/jobs/{id}", id).body().path("status").asString()).isEqualTo("CANCELLED");
    }

    @Test
    void theRecurringCleanupIsListedAndRunsOnItsSchedule() {
        Reply recurring = this.client.get("/recurring-jobs");
        assertThat(recurring.status()).isEqualTo(200);
        JsonNode cleanup = recurring.body().valueStream()
            .filter((job) -> RecurringCleanup.ID.equals(job.path("id").asString()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no " + RecurringCleanup.ID + " in " + recurring));
        assertThat(cleanup.path("type").asString()).isEqualTo("cleanup-reports");
        assertThat(cleanup.path("schedule").asString()).isEqualTo("every PT1S");
        assertThat(cleanup.path("payload").path("maxAge").asString()).isEqualTo("PT168H");
        assertThat(cleanup.path("nextRunAt").asString()).isNotEmpty();
        await("a cleanup job succeeded").atMost(TIMEOUT)
            .until(() -> !this.client.get("/jobs?status=SUCCEEDED&type=cleanup-reports").jobIds().isEmpty());
        String id = this.client.get("/jobs?status=SUCCEEDED&type=cleanup-reports").jobIds().get(0);
        JsonNode job = this.client.get("/jobs/{id}", id).body();
        assertThat(job.path("idempotencyKey").asString()).startsWith("quark-recurring:" + RecurringCleanup.ID + "@");
        assertThat(job.path("log").valueStream().map(JsonNode::asString))
            .anySatisfy((line) -> assertThat(line).contains("reports published more than PT168H ago"));
    }

    @Test
    void badRequestsAreAnsweredWithTheProblemNamed() {
        assertBad(this.client.enqueue("generate-reports", generate("r1", "acme", 1)), 400,
                "No job handler is registered for the job type 'generate-reports'", "generate-report");
        assertBad(this.client.post("/jobs", Map.of("payload", generate("r1", "acme", 1))), 400, "type is missing");
        assertBad(this.client.enqueue("generate-report", generate("r1", "acme", 99)), 400,
                "The payload of a 'generate-report' job must be a GenerateReport", "months must be 1 to 24, was 99");
        assertBad(this.client.enqueue("generate-report", Map.of("reportId", "r1", "customer", "has space", "months", 1)),
                400, "customer must be 1 to 60 letters", "'has space'");
        assertBad(this.client.enqueue("generate-report", "just a string"), 400,
                "The payload of a 'generate-report' job must be a GenerateReport");
        assertBad(this.client.enqueue("generate-report", Map.of("reportId", "r1", "customer", "acme", "months", "many")),
                400, "The payload of a 'generate-report' job must be a GenerateReport");
        assertBad(this.client.post("/jobs", Map.of("type", "generate-report")), 400,
                "payload is missing: a 'generate-report' job takes a GenerateReport");
        assertBad(this.client.post("/jobs", Map.of("type", "generate-report", "payload", generate("r1", "acme", 1),
                "delay", "-PT5S")), 400, "A job's delay must not be negative, was PT-5S");
        assertBad(this.client.get("/jobs/not-a-job-id"), 400, "'not-a-job-id' is not a job id");
        assertBad(this.client.get("/jobs/{id}", UUID.randomUUID()), 404, "");
        assertBad(this.client.post("/jobs/nope/requeue", null), 400, "'nope' is not a job id");
        assertBad(this.client.post("/jobs/{id}/requeue", null, UUID.randomUUID()), 404, "");
        assertBad(this.client.get("/jobs?status=FINISHED"), 400, "'FINISHED' is not a job status", "SUCCEEDED");
        assertBad(this.client.get("/jobs?limit=0"), 400, "0");
        assertBad(this.client.get("/workflows/not-a-workflow"), 400, "'not-a-workflow'");
        assertBad(this.client.get("/workflows/{id}", UUID.randomUUID()), 404, "");
        assertBad(this.client.post("/workflows/reports", Map.of("reportId", "has space", "customer", "acme")), 400,
                "reportId must be 1 to 60 letters", "'has space'");
        assertBad(this.client.post("/workflows/reports", Map.of("reportId", "r1")), 400, "customer", "missing");
        assertBad(this.client.get("/reports/{id}", "never-made"), 404, "never-made");
    }

    private static void assertBad(Reply reply, int status, String... details) {
        assertThat(reply.status()).as("%s", reply).isEqualTo(status);
        for (String detail : details) {
            assertThat(reply.detail()).as("%s", reply).contains(detail);
        }
    }

    private static Map<String, String> steps(JsonNode workflow) {
        Map<String, String> steps = new java.util.TreeMap<>();
        workflow.path("steps").valueStream().forEach((step) -> steps.put(step.path("name").asString(),
                step.path("status").asString()));
        return steps;
    }

    private static JsonNode step(JsonNode workflow, String name) {
        return workflow.path("steps").valueStream()
            .filter((step) -> name.equals(step.path("name").asString()))
            .findFirst()
            .orElseThrow();
    }

    private static Map<String, Object> generate(String reportId, String customer, int months) {
        return Map.of("reportId", reportId, "customer", customer, "months", months);
    }

    private static String newId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
