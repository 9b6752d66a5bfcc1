package dev.quark.benchmarks.pekko;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.quark.benchmarks.Completion;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The user guardian of the Pekko system: spawns the actors a workload needs, as their parent.
 */
final class Guardian {

    sealed interface Command permits SpawnCounters, SpawnHolders {
    }

    record SpawnCounters(int count, CompletableFuture<List<ActorRef<PekkoCounter.Command>>> spawned)
            implements Command {
    }

    record SpawnHolders(String prefix, int from, int to, Completion started) implements Command {
    }

    private Guardian() {
    }

    static Behavior<Command> create() {
        return Behaviors.setup((context) -> Behaviors.receive(Command.class)
            .onMessage(SpawnCounters.class, (message) -> {
                List<ActorRef<PekkoCounter.Command>> counters = new ArrayList<>(message.count());
                for (int i = 0; i < message.count(); i++) {
                    counters.add(context.spawn(PekkoCounter.create(), "counter-" + i));
                }
                message.spawned().complete(counters);
                return Behaviors.same();
            })
            .onMessage(SpawnHolders.class, (message) -> {
                for (int i = message.from(); i < message.to(); i++) {
                    context.spawn(PekkoHolder.empty(), message.prefix() + i)
                        .tell(new PekkoHolder.Hold(i, message.started()));
                }
                return Behaviors.same();
            })
            .build());
    }
}
