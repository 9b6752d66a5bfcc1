package dev.quark.samples.jobs;

import dev.quark.jobs.JobNotFoundException;
import dev.quark.jobs.WorkflowNotFoundException;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * How the API answers bad requests: a problem detail whose {@code detail} is the exception's message, which names
 * the offending value.
 */
@RestControllerAdvice
class ApiErrors {

    /** An unknown job type, a payload not readable as its handler's type, an invalid id, status or delay. */
    @ExceptionHandler
    ProblemDetail badRequest(IllegalArgumentException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail unknownJob(JobNotFoundException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail unknownWorkflow(WorkflowNotFoundException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
    }

    /** A requeue of a job that is not dead-lettered, an idempotency key of a job of another type. */
    @ExceptionHandler
    ProblemDetail conflict(IllegalStateException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, ex.getMessage());
    }
}
