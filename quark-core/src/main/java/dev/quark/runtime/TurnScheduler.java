package dev.quark.runtime;

/**
 * How an {@link ActorRuntime} runs turns when no turn executor of the application's is given
 * ({@link ActorRuntime.Builder#turnScheduler(TurnScheduler)}; {@code quark.actors.turn-scheduler}).
 * {@code docs/performance.md} compares them.
 */
public enum TurnScheduler {

    /**
     * A virtual thread per busy period of an activation, reusing one that finished its previous busy period
     * and waits when there is one. Turns that block hold only their own thread.
     */
    VIRTUAL_THREADS,

    /**
     * A queue of ready activations served by a few long-lived virtual threads (two per core): a thread that
     * finishes an activation's turns takes the next ready activation without parking while work is queued,
     * runs at most 32 turns of one activation, and none past 1 ms since the first of them began, before
     * requeueing it, and runs work its turn submitted next (a thread looking for work takes it meanwhile).
     * A thread whose turn blocks is replaced at once when the turn waits for another actor, and after 1 ms
     * otherwise (JDBC, a sleep), up to 32,768 threads ({@link ActorRuntime.Builder#readyQueueMaxRunners(int)},
     * {@code quark.actors.ready-queue.max-runners}); past that, turns wait for a thread to free and a WARN says so.
     * {@link ActorRuntime#close()} drops nothing queued: what finds no thread runs on one of its own, never on
     * the thread that found it; while no thread can be started, it waits and starts are tried again, backing off
     * from 1 ms to 1 s.
     */
    READY_QUEUE
}
