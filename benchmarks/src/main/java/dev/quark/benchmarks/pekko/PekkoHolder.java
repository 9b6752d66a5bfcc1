package dev.quark.benchmarks.pekko;

import dev.quark.benchmarks.Completion;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The Pekko actor that holds one {@code int}, in the functional style, its leanest form: the behavior
 * is the state.
 */
final class PekkoHolder {

    record Hold(int value, Completion started) {
    }

    private PekkoHolder() {
    }

    static Behavior<Hold> empty() {
        return Behaviors.receiveMessage((message) -> {
            message.started().done();
            return holding(message.value());
        });
    }

    private static Behavior<Hold> holding(int value) {
        return Behaviors.receiveMessage((message) -> holding(message.value()));
    }
}
