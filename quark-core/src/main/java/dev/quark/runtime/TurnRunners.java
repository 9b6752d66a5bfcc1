package dev.quark.runtime;

/**
 * The runner threads of the {@link TurnScheduler#READY_QUEUE ready-queue} turn scheduler, as gauges read them
 * ({@link ActorMetrics#bindTurnRunners(TurnRunners)}). Each figure is read without a lock: a moment's count, not a
 * snapshot of all three together.
 */
public interface TurnRunners {

    /**
     * Returns how many runner threads exist, idle and blocked ones included.
     * @return the count
     */
    int runners();

    /**
     * Returns how many runners are blocked in a turn: inside a wait the turn announced (a synchronous call to another
     * actor), or found by the scheduler's monitor at its last look, which it takes every millisecond only while work
     * waits, still in the same turn and off the CPU (JDBC, a sleep). A turn busy on the CPU is not counted, nor one
     * that blocks without announcing it while nothing waits: a scrape then shows only the announced waits. While work
     * waits, the scheduler starts other runners in their place, up to {@link #maxRunners()}.
     * @return the count
     */
    int blockedRunners();

    /**
     * Returns how many runners may exist at most ({@link ActorRuntime.Builder#readyQueueMaxRunners(int)}).
     * @return the cap
     */
    int maxRunners();
}
