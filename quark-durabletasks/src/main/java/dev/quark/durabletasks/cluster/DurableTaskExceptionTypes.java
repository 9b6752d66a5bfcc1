package dev.quark.durabletasks.cluster;

import java.time.Duration;

import dev.quark.cluster.transport.jackson.ExceptionTypeContributor;
import dev.quark.cluster.transport.jackson.FailureFields;
import dev.quark.durabletasks.ActivityTimeoutException;
import dev.quark.durabletasks.DurableTaskException;
import dev.quark.durabletasks.EventTimeoutException;
import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.HistoryLimitExceededException;
import dev.quark.durabletasks.NonDeterministicOrchestrationException;
import dev.quark.durabletasks.OrchestrationAlreadyExistsException;
import dev.quark.durabletasks.OrchestrationBlockedException;
import dev.quark.durabletasks.OrchestrationCancelledException;
import dev.quark.durabletasks.OrchestrationNotFoundException;
import dev.quark.durabletasks.OrchestrationStateException;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.PayloadConversionException;
import dev.quark.durabletasks.QueryFailedException;
import dev.quark.durabletasks.TaskFailedException;
import dev.quark.durabletasks.UnknownActivityException;
import dev.quark.durabletasks.UnknownOrchestrationException;
import dev.quark.durabletasks.UnknownQueryException;
import dev.quark.durabletasks.store.HistoryConflictException;
import org.jspecify.annotations.Nullable;

/**
 * The exceptions of {@code quark-durabletasks} that cross silos with their type and fields (an actor on
 * another silo that schedules, queries or raises events on orchestrations): each is rebuilt there with the
 * message written here and the fields its callers read ({@link OrchestrationStateException#getStatus()},
 * {@link OrchestrationNotFoundException#getInstanceId()}, ...). Found through {@code META-INF/services}.
 * <p>
 * A {@link TaskFailedException} crosses with the {@link FailureDetails} of the task's failure (type, message and
 * recorded stack trace, each cut at the codec's 4096 characters); durations travel as ISO-8601 texts.
 */
public final class DurableTaskExceptionTypes implements ExceptionTypeContributor {

    private static final String INSTANCE = "instanceId";

    private static final String NAME = "name";

    private static final String EVENT = "eventName";

    private static final String STATUS = "status";

    private static final String TASK_NAME = "taskName";

    private static final String TASK_ID = "taskId";

    private static final String FAILURE_TYPE = "failureType";

    private static final String FAILURE_MESSAGE = "failureMessage";

    private static final String FAILURE_STACK_TRACE = "failureStackTrace";

    private static final String STEP = "step";

    private static final String HISTORY_SIDE = "historySide";

    private static final String CODE_SIDE = "codeSide";

    private static final String QUERY = "queryName";

    private static final String EVENTS = "events";

    private static final String LIMIT = "limit";

    private static final String EXPECTED = "expected";

    private static final String ACTUAL = "actual";

    private static final String ACTIVITY = "activityName";

    private static final String TIMEOUT = "timeout";

    private static final String TIMEOUT_VALUE = "timeoutValue";

    private static final String ORCHESTRATION = "orchestration";

    @Override
    public void contribute(Table table) {
        table.addMessageOnly(DurableTaskException.class, DurableTaskException::new);
        table.add(OrchestrationNotFoundException.class,
                (failure, fields) -> fields.text(INSTANCE, failure.getInstanceId()),
                (message, fields, cause) -> OrchestrationNotFoundException.crossedSilos(message,
                        fields.requiredText(INSTANCE)));
        table.add(OrchestrationStateException.class,
                (failure, fields) -> fields.text(INSTANCE, failure.getInstanceId())
                    .text(STATUS, failure.getStatus().name()),
                (message, fields, cause) -> OrchestrationStateException.crossedSilos(message,
                        fields.requiredText(INSTANCE),
                        OrchestrationStatus.valueOf(fields.requiredText(STATUS))));
        table.add(UnknownActivityException.class, (failure, fields) -> fields.text(NAME, failure.getName()),
                (message, fields, cause) -> UnknownActivityException.crossedSilos(message,
                        fields.requiredText(NAME)));
        table.add(UnknownOrchestrationException.class, (failure, fields) -> fields.text(NAME, failure.getName()),
                (message, fields, cause) -> UnknownOrchestrationException.crossedSilos(message,
                        fields.requiredText(NAME)));
        table.add(EventTimeoutException.class, (failure, fields) -> fields.text(EVENT, failure.getEventName()),
                (message, fields, cause) -> EventTimeoutException.crossedSilos(message, fields.requiredText(EVENT)));
        table.addMessageOnly(OrchestrationCancelledException.class,
                (message, cause) -> OrchestrationCancelledException.crossedSilos(message));
        table.addMessageOnly(OrchestrationAlreadyExistsException.class,
                (message, cause) -> OrchestrationAlreadyExistsException.crossedSilos(message));
        table.add(TaskFailedException.class, DurableTaskExceptionTypes::writeTaskFailure,
                DurableTaskExceptionTypes::readTaskFailure);
        table.add(NonDeterministicOrchestrationException.class,
                (failure, fields) -> fields.text(INSTANCE, failure.getInstanceId())
                    .text(STEP, failure.getStep())
                    .text(HISTORY_SIDE, failure.getHistorySide())
                    .text(CODE_SIDE, failure.getCodeSide()),
                (message, fields, cause) -> NonDeterministicOrchestrationException.crossedSilos(message,
                        fields.requiredText(INSTANCE), fields.requiredText(STEP), fields.requiredText(HISTORY_SIDE),
                        fields.requiredText(CODE_SIDE)));
        table.add(QueryFailedException.class,
                (failure, fields) -> fields.text(INSTANCE, failure.getInstanceId())
                    .text(QUERY, failure.getQueryName()),
                (message, fields, cause) -> QueryFailedException.crossedSilos(message, fields.requiredText(INSTANCE),
                        fields.requiredText(QUERY), cause));
        table.add(UnknownQueryException.class,
                (failure, fields) -> fields.text(INSTANCE, failure.getInstanceId())
                    .text(QUERY, failure.getQueryName()),
                (message, fields, cause) -> UnknownQueryException.crossedSilos(message,
                        fields.requiredText(INSTANCE), fields.requiredText(QUERY)));
        table.add(HistoryLimitExceededException.class,
                (failure, fields) -> fields.text(INSTANCE, failure.getInstanceId())
                    .number(EVENTS, failure.getEvents())
                    .number(LIMIT, failure.getLimit()),
                (message, fields, cause) -> HistoryLimitExceededException.crossedSilos(message,
                        fields.requiredText(INSTANCE), requiredInt(fields, EVENTS), requiredInt(fields, LIMIT)));
        table.add(HistoryConflictException.class,
                (failure, fields) -> fields.text(INSTANCE, failure.getInstanceId())
                    .number(EXPECTED, failure.getExpected())
                    .number(ACTUAL, failure.getActual()),
                (message, fields, cause) -> HistoryConflictException.crossedSilos(message,
                        fields.requiredText(INSTANCE), requiredInt(fields, EXPECTED), requiredInt(fields, ACTUAL)));
        table.addMessageOnly(PayloadConversionException.class, PayloadConversionException::crossedSilos);
        table.add(ActivityTimeoutException.class,
                (failure, fields) -> fields.text(ACTIVITY, failure.getActivityName())
                    .text(TIMEOUT, failure.getTimeout())
                    .text(TIMEOUT_VALUE, failure.getTimeoutValue().toString()),
                (message, fields, cause) -> ActivityTimeoutException.crossedSilos(message,
                        fields.requiredText(ACTIVITY), fields.requiredText(TIMEOUT),
                        Duration.parse(fields.requiredText(TIMEOUT_VALUE))));
        table.add(OrchestrationBlockedException.class,
                (failure, fields) -> fields.text(ORCHESTRATION, failure.getOrchestration())
                    .text(INSTANCE, failure.getInstanceId())
                    .text(TIMEOUT_VALUE, failure.getTimeout().toString()),
                (message, fields, cause) -> OrchestrationBlockedException.crossedSilos(message,
                        fields.requiredText(ORCHESTRATION), fields.requiredText(INSTANCE),
                        Duration.parse(fields.requiredText(TIMEOUT_VALUE))));
    }

    private static void writeTaskFailure(TaskFailedException failure, FailureFields.Builder fields) {
        FailureDetails details = failure.getFailure();
        fields.text(TASK_NAME, failure.getTaskName())
            .number(TASK_ID, failure.getTaskId())
            .text(FAILURE_TYPE, details.type())
            .text(FAILURE_MESSAGE, details.message())
            .text(FAILURE_STACK_TRACE, details.stackTrace());
    }

    private static TaskFailedException readTaskFailure(String message, FailureFields fields,
            @Nullable Throwable cause) {
        FailureDetails details = new FailureDetails(fields.requiredText(FAILURE_TYPE), fields.text(FAILURE_MESSAGE),
                fields.text(FAILURE_STACK_TRACE));
        return TaskFailedException.crossedSilos(message, fields.requiredText(TASK_NAME),
                requiredInt(fields, TASK_ID), details);
    }

    private static int requiredInt(FailureFields fields, String name) {
        return Math.toIntExact(fields.requiredNumber(name));
    }
}
