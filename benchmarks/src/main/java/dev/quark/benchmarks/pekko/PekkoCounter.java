package dev.quark.benchmarks.pekko;

import dev.quark.benchmarks.OneWayRound;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The Pekko counter: the object-oriented style of Pekko typed, with its state in a field.
 */
final class PekkoCounter extends AbstractBehavior<PekkoCounter.Command> {

    sealed interface Command permits IncrementAndGet, Add {
    }

    record IncrementAndGet(ActorRef<Integer> replyTo) implements Command {
    }

    /** Immutable, so one instance serves every message of a round. */
    record Add(OneWayRound round) implements Command {
    }

    private final OneWayRound.Tally tally = new OneWayRound.Tally();

    private int value;

    static Behavior<Command> create() {
        return Behaviors.setup(PekkoCounter::new);
    }

    private PekkoCounter(ActorContext<Command> context) {
        super(context);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
            .onMessage(IncrementAndGet.class, this::onIncrementAndGet)
            .onMessage(Add.class, this::onAdd)
            .build();
    }

    private Behavior<Command> onIncrementAndGet(IncrementAndGet message) {
        message.replyTo().tell(++this.value);
        return this;
    }

    private Behavior<Command> onAdd(Add message) {
        this.value++;
        this.tally.count(message.round());
        return this;
    }
}
