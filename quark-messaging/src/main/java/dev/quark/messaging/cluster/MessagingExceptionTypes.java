package dev.quark.messaging.cluster;

import dev.quark.cluster.transport.jackson.ExceptionTypeContributor;
import dev.quark.messaging.MessageSerializationException;
import dev.quark.messaging.UnknownDestinationException;

/**
 * The exceptions of {@code quark-messaging} that cross silos with their type and fields (an actor on another
 * silo that publishes through the outbox): each is rebuilt there with the message written here and
 * {@link UnknownDestinationException#destination()}. Found through {@code META-INF/services}.
 */
public final class MessagingExceptionTypes implements ExceptionTypeContributor {

    private static final String DESTINATION = "destination";

    @Override
    public void contribute(Table table) {
        table.add(UnknownDestinationException.class,
                (failure, fields) -> fields.text(DESTINATION, failure.destination()),
                (message, fields, cause) -> UnknownDestinationException.crossedSilos(message,
                        fields.requiredText(DESTINATION)));
        table.addMessageOnly(MessageSerializationException.class, MessageSerializationException::new);
    }
}
