package dev.quark.runtime.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.quark.actor.DeadlockException;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.routing.WaitStep;
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
 * <p>
 * A path that reaches a call sent to another silo is a {@link Frontier}: {@link DeadlockProbes} carries it on
 * there as a probe, and the silo the call went to goes on with {@link #continueAt}.
 */
final class DeadlockDetector {

    /** How many edges one search follows at most: no more than a probe may carry. */
    private static final int MAX_DEPTH = dev.quark.runtime.routing.WaitProbe.MAX_PATH;

    /** How many calls to other silos one search follows at most. */
    static final int MAX_FRONTIER = 4;

    private DeadlockDetector() {
    }

    /**
     * Looks for a cycle through a suspended turn.
     * @param waiter a turn suspended in a nested call
     * @return the deadlock, or {@code null} when the turn is not part of one
     */
    static @Nullable Deadlock find(Invocation waiter) {
        return find(waiter, null);
    }

    /**
     * Looks for a cycle through a suspended turn, collecting the calls to other silos the search reached, where
     * the wait-for graph goes on beyond this silo.
     * @param waiter a turn suspended in a nested call
     * @param frontier where to add the calls to other silos the search reached, with the path to each; {@code null}
     * not to collect them
     * @return the deadlock, or {@code null} when this silo's graph holds none through the turn
     */
    static @Nullable Deadlock find(Invocation waiter, @Nullable List<Frontier> frontier) {
        List<Wait> waits = new ArrayList<>();
        return search(waiter, waiter, waits, new HashSet<>(), 0, frontier) ? new Deadlock(List.copyOf(waits)) : null;
    }

    /**
     * Goes on with a search that another silo began, from a call that silo sent here, found by its chain and
     * method: when it runs, through its turn (a turn of its chain and method other than {@code start}: a call
     * back into a chain that {@code start} serves never waits for it); otherwise, when it waits in the mailbox
     * (a call, never a one-way message), through the turns it waits behind.
     * @param start the turn that began the search, when it is on this silo; {@code null} otherwise
     * @param target the activation of the called actor
     * @param chainId the call's chain
     * @param method the call's method
     * @param frontier where to add the calls to other silos the search reached
     * @return whether the call runs or waits here at all, whether it waits in the mailbox, and the waits back to
     * {@code start} when they close a cycle
     */
    static Continuation continueAt(@Nullable Invocation start, Activation target, long chainId, String method,
            List<Frontier> frontier) {
        List<Wait> waits = new ArrayList<>();
        Set<Invocation> visited = new HashSet<>();
        boolean running = false;
        for (Invocation turn : target.turnsInProgress()) {
            if (runsCall(turn, chainId, method)) {
                running = true;
                if (turn != start && search(start, turn, waits, visited, 0, frontier)) {
                    return new Continuation(true, false, List.copyOf(waits));
                }
            }
        }
        if (running) {
            return new Continuation(true, false, null);
        }
        Invocation waiting = target.waitingOf(chainId, method);
        if (waiting != null) {
            for (Invocation blocker : target.turnsInProgress()) {
                if (blocks(target, blocker, waiting)
                        && (blocker == start || search(start, blocker, waits, visited, 0, frontier))) {
                    return new Continuation(true, true, List.copyOf(waits));
                }
            }
            return new Continuation(true, true, null);
        }
        return NOT_HERE;
    }

    /**
     * Whether a turn is the one of a call that a probe or victim names by chain and method (a call, never a one-way
     * message).
     */
    static boolean runsCall(Invocation turn, long chainId, String method) {
        return turn.callChainId() == chainId && !turn.isOneWay() && turn.name().equals(method);
    }

    private static boolean search(@Nullable Invocation start, Invocation turn, List<Wait> waits,
            Set<Invocation> visited, int depth, @Nullable List<Frontier> frontier) {
        if (depth >= MAX_DEPTH || !visited.add(turn)) {
            return false;
        }
        Invocation call = turn.awaiting;
        if (call == null || call.isDone()) {
            return false;
        }
        Activation target = call.deliveredTo;
        boolean blocked = target != null && target.isWaiting(call);
        waits.add(new Wait(turn, call, blocked));
        String sentTo = call.sentTo;
        if (target != null && blocked) {
            for (Invocation blocker : target.turnsInProgress()) {
                if (blocks(target, blocker, call)) {
                    if (blocker == start) {
                        return true;
                    }
                    if (search(start, blocker, waits, visited, depth + 1, frontier)) {
                        return true;
                    }
                }
            }
        }
        else if (call.servedBy != null) {
            if (call == start) {
                return true;
            }
            if (search(start, call, waits, visited, depth + 1, frontier)) {
                return true;
            }
        }
        else if (sentTo != null && frontier != null && frontier.size() < MAX_FRONTIER) {
            frontier.add(new Frontier(List.copyOf(waits), sentTo, call.address(), call.callChainId()));
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
     * @param blocked whether the call waited in a mailbox of this silo when the search passed
     */
    record Wait(Invocation turn, Invocation call, boolean blocked) {

        /**
         * Returns the edge as a probe carries it to other silos.
         * @param self this silo's id, where local calls were delivered
         */
        WaitStep step(String self) {
            String sentTo = this.call.sentTo;
            return new WaitStep(this.turn.callChainId(), held(this.turn), (sentTo != null) ? sentTo : self,
                    this.call.address(), this.call.name(), this.blocked);
        }
    }

    /**
     * A call to another silo that a search reached: the wait-for graph goes on there.
     *
     * @param waits the path to it, its own edge last
     * @param silo the silo the call was sent to
     * @param address the called actor
     * @param chainId the call's chain
     */
    record Frontier(List<Wait> waits, String silo, ActorAddress address, long chainId) {
    }

    /**
     * What a search from a call another silo sent here found.
     *
     * @param found whether the call runs or waits in its actor's activation
     * @param blocked whether the call waits in its actor's mailbox
     * @param cycle the waits back to the turn that began the search, when they close a cycle; {@code null}
     * otherwise
     */
    record Continuation(boolean found, boolean blocked, @Nullable List<Wait> cycle) {
    }

    /** The continuation from an activation that neither runs nor holds the call. */
    private static final Continuation NOT_HERE = new Continuation(false, false, null);

    static String held(Invocation turn) {
        Activation holder = turn.servedBy;
        return (holder != null) ? holder.identity.toString() : turn.address().toString();
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
         * @return whether this failed it: {@code false} when it had completed meanwhile
         */
        boolean resolve() {
            List<String> actors = new ArrayList<>();
            StringBuilder description = new StringBuilder();
            for (Wait wait : this.waits) {
                String held = held(wait.turn());
                if (!actors.contains(held)) {
                    actors.add(held);
                }
                if (!description.isEmpty()) {
                    description.append("; ");
                }
                description.append("chain ").append(Long.toHexString(wait.turn().callChainId())).append(" holds ")
                    .append(held).append(" and waits for ").append(wait.call().address()).append('.')
                    .append(wait.call().name()).append("()");
            }
            Invocation victim = victim();
            description.append(". Failing the call to ").append(victim.address()).append('.').append(victim.name())
                .append("() of chain ").append(Long.toHexString(victim.callChainId()));
            return victim.completeExceptionally(new DeadlockException(actors, description.toString()));
        }
    }
}
