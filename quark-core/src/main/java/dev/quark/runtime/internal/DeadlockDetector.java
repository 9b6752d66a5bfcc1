package dev.quark.runtime.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.quark.actor.DeadlockException;
import org.jspecify.annotations.Nullable;

/**
 * Finds cycles of call chains that wait on each other, which reentrancy cannot resolve: chain 1 holds X
 * and calls Y while chain 2 holds Y and calls X.
 * <p>
 * The wait-for graph is read from the activations themselves, only when a nested call has waited a while:
 * a suspended turn waits for the call it made; a call that has started continues the path through its own
 * turn; a call still in a mailbox waits for the turns in progress there that the admission rules make it
 * wait behind (turns of other chains; for a read-only call only non-read-only ones; none at a reentrant
 * actor). A cycle back to the starting turn is a deadlock. The victim is the waiting call with the highest
 * chain id, so every turn of the cycle that looks picks the same one.
 */
final class DeadlockDetector {

    private static final int MAX_DEPTH = 64;

    private DeadlockDetector() {
    }

    /**
     * Looks for a cycle through a suspended turn.
     * @param waiter a turn suspended in a nested call
     * @return the deadlock, or {@code null} when the turn is not part of one
     */
    static @Nullable Deadlock find(Invocation waiter) {
        List<Wait> waits = new ArrayList<>();
        return search(waiter, waiter, waits, new HashSet<>(), 0) ? new Deadlock(List.copyOf(waits)) : null;
    }

    private static boolean search(Invocation start, Invocation turn, List<Wait> waits, Set<Invocation> visited,
            int depth) {
        if (depth > MAX_DEPTH || !visited.add(turn)) {
            return false;
        }
        Invocation call = turn.awaiting;
        if (call == null || call.isDone()) {
            return false;
        }
        waits.add(new Wait(turn, call));
        Activation target = call.deliveredTo;
        if (target != null && target.isWaiting(call)) {
            for (Invocation blocker : target.turnsInProgress()) {
                if (blocks(target, blocker, call)) {
                    if (blocker == start) {
                        return true;
                    }
                    if (search(start, blocker, waits, visited, depth + 1)) {
                        return true;
                    }
                }
            }
        }
        else if (call.servedBy != null) {
            if (call == start) {
                return true;
            }
            if (search(start, call, waits, visited, depth + 1)) {
                return true;
            }
        }
        waits.removeLast();
        return false;
    }

    private static boolean blocks(Activation target, Invocation turn, Invocation waiting) {
        if (target.identity.type().isReentrant() || turn.callChainId() == waiting.callChainId()) {
            return false;
        }
        return !(waiting.isReadOnly() && turn.isReadOnly());
    }

    /**
     * One edge of the wait-for graph: a suspended turn and the call it waits for.
     *
     * @param turn the suspended turn
     * @param call the call it made
     */
    record Wait(Invocation turn, Invocation call) {
    }

    /**
     * A cycle of waiting calls.
     *
     * @param waits the edges of the cycle, in wait order
     */
    record Deadlock(List<Wait> waits) {

        /**
         * Returns the call to fail: the waiting one with the highest chain id.
         */
        Invocation victim() {
            Invocation victim = this.waits.getFirst().call();
            for (Wait wait : this.waits) {
                if (wait.call().callChainId() > victim.callChainId()) {
                    victim = wait.call();
                }
            }
            return victim;
        }

        /**
         * Fails the victim's call, which frees the cycle.
         */
        void resolve() {
            List<String> actors = new ArrayList<>();
            StringBuilder description = new StringBuilder();
            for (Wait wait : this.waits) {
                Activation holder = wait.turn().servedBy;
                String held = (holder != null) ? holder.identity.toString() : wait.turn().target().toString();
                if (!actors.contains(held)) {
                    actors.add(held);
                }
                if (!description.isEmpty()) {
                    description.append("; ");
                }
                description.append("chain ").append(Long.toHexString(wait.turn().callChainId())).append(" holds ")
                    .append(held).append(" and waits for ").append(wait.call().target()).append('.')
                    .append(wait.call().name()).append("()");
            }
            Invocation victim = victim();
            description.append(". Failing the call to ").append(victim.target()).append('.').append(victim.name())
                .append("() of chain ").append(Long.toHexString(victim.callChainId()));
            victim.completeExceptionally(new DeadlockException(actors, description.toString()));
        }
    }
}
