package dev.quark.jobs.cluster;

import java.time.Duration;

import dev.quark.cluster.transport.jackson.ExceptionTypeContributor;
import dev.quark.jobs.InvalidWorkflowException;
import dev.quark.jobs.JobAbandonedException;
import dev.quark.jobs.JobCancelledException;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobNotFoundException;
import dev.quark.jobs.JobPayloadException;
import dev.quark.jobs.JobTimeoutException;
import dev.quark.jobs.JobVetoedException;
import dev.quark.jobs.NonRetryableJobException;
import dev.quark.jobs.UnknownJobTypeException;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowNotFoundException;

/**
 * The exceptions of {@code quark-jobs} that cross silos with their type and fields (a job client's call into
 * an actor that enqueues, cancels or looks up jobs on another silo): each is rebuilt there with the message
 * written here and the fields its callers read ({@link JobNotFoundException#getId()},
 * {@link JobVetoedException#getReason()}, {@link JobTimeoutException#getTimeout()}, ...; durations as ISO-8601
 * texts). Found through {@code META-INF/services}.
 */
public final class JobExceptionTypes implements ExceptionTypeContributor {

    private static final String ID = "id";

    private static final String TYPE = "type";

    private static final String FILTER = "filter";

    private static final String REASON = "reason";

    private static final String ATTEMPT = "attempt";

    private static final String TIMEOUT = "timeout";

    private static final String OWNER = "owner";

    @Override
    public void contribute(Table table) {
        table.add(JobNotFoundException.class, (failure, fields) -> fields.text(ID, failure.getId().toString()),
                (message, fields, cause) -> JobNotFoundException.crossedSilos(message,
                        JobId.parse(fields.requiredText(ID))));
        table.add(WorkflowNotFoundException.class, (failure, fields) -> fields.text(ID, failure.getId().toString()),
                (message, fields, cause) -> WorkflowNotFoundException.crossedSilos(message,
                        WorkflowId.parse(fields.requiredText(ID))));
        table.add(JobVetoedException.class,
                (failure, fields) -> fields.text(FILTER, failure.getFilter()).text(REASON, failure.getReason()),
                (message, fields, cause) -> JobVetoedException.crossedSilos(message, fields.requiredText(FILTER),
                        fields.requiredText(REASON)));
        table.add(UnknownJobTypeException.class, (failure, fields) -> fields.text(TYPE, failure.getType()),
                (message, fields, cause) -> UnknownJobTypeException.crossedSilos(message,
                        fields.requiredText(TYPE)));
        table.add(JobTimeoutException.class,
                (failure, fields) -> fields.text(ID, failure.getId().toString())
                    .text(TYPE, failure.getType())
                    .number(ATTEMPT, failure.getAttempt())
                    .text(TIMEOUT, failure.getTimeout().toString()),
                (message, fields, cause) -> JobTimeoutException.crossedSilos(message,
                        JobId.parse(fields.requiredText(ID)), fields.requiredText(TYPE),
                        Math.toIntExact(fields.requiredNumber(ATTEMPT)),
                        Duration.parse(fields.requiredText(TIMEOUT))));
        table.add(JobAbandonedException.class,
                (failure, fields) -> fields.text(ID, failure.getId().toString())
                    .number(ATTEMPT, failure.getAttempt())
                    .text(OWNER, failure.getOwner()),
                (message, fields, cause) -> JobAbandonedException.crossedSilos(message,
                        JobId.parse(fields.requiredText(ID)), Math.toIntExact(fields.requiredNumber(ATTEMPT)),
                        fields.text(OWNER)));
        table.addMessageOnly(JobCancelledException.class, (message, cause) -> new JobCancelledException(message));
        table.addMessageOnly(NonRetryableJobException.class, (message, cause) -> (cause != null)
                ? new NonRetryableJobException(message, cause) : new NonRetryableJobException(message));
        table.addMessageOnly(JobPayloadException.class, JobPayloadException::new);
        table.addMessageOnly(InvalidWorkflowException.class, InvalidWorkflowException::new);
    }
}
