package dev.quark.durabletasks.store;

import java.util.List;
import java.util.Objects;

import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.lease.FencingToken;

/**
 * What a worker needs for an instance's next step: the instance, its history and the messages visible now.
 *
 * @param instance the instance, as claimed
 * @param token the fencing token it was claimed with
 * @param history the current execution's history, in sequence order
 * @param messages the messages visible now, in the order they were stored
 */
public record OrchestrationWorkItem(InstanceRecord instance, FencingToken token, List<HistoryEvent> history,
        List<ReceivedMessage> messages) {

    /**
     * Copies the lists.
     */
    public OrchestrationWorkItem {
        Objects.requireNonNull(instance, "instance must not be null");
        Objects.requireNonNull(token, "token must not be null");
        history = List.copyOf(history);
        messages = List.copyOf(messages);
    }
}
