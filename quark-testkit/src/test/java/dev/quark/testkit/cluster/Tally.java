package dev.quark.testkit.cluster;

import java.util.concurrent.CompletableFuture;

import dev.quark.actor.Actor;
import dev.quark.actor.Idempotent;
import dev.quark.actor.OneWay;

/**
 * A counter that knows where it runs, for the cluster tests.
 */
public interface Tally extends Actor {

    long add(long amount);

    long total();

    CompletableFuture<Long> addAsync(long amount);

    @OneWay
    void addOneWay(long amount);

    /** Returns the silo the actor runs on. */
    String where();

    /** Waits until the test opens the gate, then returns the silo the actor runs on. */
    String hold(String gate);

    /** {@link #hold}, marked safe to run twice: a call whose outcome is unknown is sent once more. */
    @Idempotent
    String holdIdempotently(String gate);

    /** Counts a run under {@code key}, then throws an {@link IllegalStateException}; marked safe to run twice. */
    @Idempotent
    String failIdempotently(String key);

    /** Calls {@code callBack} on another tally, which calls this one back: a chain across silos. */
    String callThrough(String otherId);

    /** Calls {@code where()} on the caller, from inside this turn. */
    String callBack(String callerId);

    /**
     * Waits until {@code parties} turns met at {@code meeting}, then calls {@code where()} on another tally:
     * turns that call each other's tallies in a ring wait on each other (a deadlock).
     */
    String meetThenCall(String otherId, String meeting, int parties);

    /** Calls {@code callBack(toId)} on the tally {@code viaId}, which calls {@code where()} on {@code toId}. */
    String callThroughTo(String viaId, String toId);

    /** Calls {@link Worker#meetThenCall} on a stateless worker, which calls the other tally back. */
    String callThroughWorker(String workerId, String otherId, String meeting, int parties);

    /** Calls {@code holdFor} on another tally, which calls this one back and waits at a gate there. */
    String callThroughHolding(String otherId, String gate);

    /** Calls {@code hold(gate)} on the caller, from inside this turn. */
    String callBackHolding(String callerId, String gate);

    /** Calls {@code callBackAfter} on another tally, which waits at a gate there, then calls this one back. */
    String callThroughAfter(String otherId, String gate);

    /** Waits until the test opens the gate, then calls {@code where()} on the caller, from inside this turn. */
    String callBackAfter(String callerId, String gate);

    /** Calls {@code hold(gate)} on another tally, from inside this turn. */
    String holdThrough(String otherId, String gate);

    /** Returns where a homebody runs, asking it (a call back into its turn when it called this). */
    String homebodyWhere(String homebodyId);

    /** Returns its argument. */
    String echo(String text);

    /** Calls {@code echo} on another tally, from inside this turn, with {@code length} characters. */
    int echoThrough(String otherId, int length);

    /** Returns {@code length} characters. */
    String repeat(int length);
}
