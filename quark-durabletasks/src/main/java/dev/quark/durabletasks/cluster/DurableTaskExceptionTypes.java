package dev.quark.durabletasks.cluster;

import dev.quark.cluster.transport.jackson.ExceptionTypeContributor;
import dev.quark.durabletasks.DurableTaskException;
import dev.quark.durabletasks.EventTimeoutException;
import dev.quark.durabletasks.OrchestrationAlreadyExistsException;
import dev.quark.durabletasks.OrchestrationCancelledException;
import dev.quark.durabletasks.OrchestrationNotFoundException;
import dev.quark.durabletasks.OrchestrationStateException;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.UnknownActivityException;
import dev.quark.durabletasks.UnknownOrchestrationException;

/**
 * The exceptions of {@code quark-durabletasks} that cross silos with their type and fields (an actor on
 * another silo that schedules, queries or raises events on orchestrations): each is rebuilt there with the
 * message written here and the fields its callers read ({@link OrchestrationStateException#getStatus()},
 * {@link OrchestrationNotFoundException#getInstanceId()}, ...). Found through {@code META-INF/services}.
 */
public final class DurableTaskExceptionTypes implements ExceptionTypeContributor {

    private static final String INSTANCE = "instanceId";

    private static final String NAME = "name";

    private static final String EVENT = "eventName";

    private static final String STATUS = "status";

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
    }
}
