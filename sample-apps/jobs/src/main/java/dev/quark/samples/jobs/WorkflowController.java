package dev.quark.samples.jobs;

import java.time.Instant;
import java.util.List;

import dev.quark.jobs.JobQueue;
import dev.quark.jobs.Workflow;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowNotFoundException;
import dev.quark.jobs.WorkflowStepState;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The REST API of report workflows ({@link ReportWorkflows}): start one, read its status and its steps'.
 */
@RestController
@RequestMapping("/workflows")
class WorkflowController {

    private final JobQueue jobs;

    WorkflowController(JobQueue jobs) {
        this.jobs = jobs;
    }

    @PostMapping("/reports")
    @ResponseStatus(HttpStatus.ACCEPTED)
    WorkflowView startReport(@RequestBody StartReport request) {
        ReportIds.requireCustomer(request.customer());
        WorkflowId id = this.jobs.enqueue(ReportWorkflows.report(ReportIds.require(request.reportId()),
                request.customer()));
        return get(id.toString());
    }

    @GetMapping("/{id}")
    WorkflowView get(@PathVariable String id) {
        WorkflowId workflowId = WorkflowId.parse(id);
        return this.jobs.findWorkflow(workflowId).map(WorkflowView::of)
            .orElseThrow(() -> new WorkflowNotFoundException(workflowId));
    }

    /**
     * A report to make with a workflow.
     *
     * @param reportId the report's id
     * @param customer whose report it is
     */
    record StartReport(@Nullable String reportId, @Nullable String customer) {
    }

    /**
     * A workflow as the API shows it.
     *
     * @param id its id
     * @param name its name
     * @param status the aggregate of its steps' ({@code RUNNING}, {@code SUCCEEDED}, {@code FAILED}, {@code CANCELLED})
     * @param createdAt when it was enqueued
     * @param steps its steps
     */
    record WorkflowView(String id, String name, String status, Instant createdAt, List<StepView> steps) {

        static WorkflowView of(Workflow workflow) {
            return new WorkflowView(workflow.id().toString(), workflow.name(), workflow.status().name(),
                    workflow.createdAt(), workflow.steps().stream().map(StepView::of).toList());
        }
    }

    /**
     * A step of a workflow.
     *
     * @param name its name
     * @param type its job's type
     * @param jobId its job's id ({@code GET /jobs/{jobId}} shows its progress and log once it was released)
     * @param status {@code WAITING}, {@code RUNNING}, {@code SUCCEEDED}, {@code FAILED}, {@code SKIPPED} or
     * {@code CANCELLED}
     * @param jobStatus its job's status, once released
     * @param after the steps it waits for and how ({@code fetch ON_SUCCESS}, {@code fetch ON_FAILURE},
     * {@code fetch ON_COMPLETION})
     */
    record StepView(String name, String type, String jobId, String status, @Nullable String jobStatus,
            List<String> after) {

        static StepView of(WorkflowStepState step) {
            return new StepView(step.name(), step.type(), step.jobId().toString(), step.status().name(),
                    (step.jobStatus() != null) ? step.jobStatus().name() : null,
                    step.dependencies().stream().map((dependency) -> dependency.step() + " " + dependency.condition())
                        .toList());
        }
    }
}
