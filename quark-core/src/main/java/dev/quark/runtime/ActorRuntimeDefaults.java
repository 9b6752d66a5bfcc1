package dev.quark.runtime;

import java.time.Duration;

/**
 * The defaults of the {@link ActorRuntime.Builder} settings, in one place for the builder and for the Spring Boot
 * properties ({@code quark.actors.*}) that feed it.
 */
public final class ActorRuntimeDefaults {

    /** How long an activation may receive no calls before it is deactivated. */
    public static final Duration IDLE_TIMEOUT = Duration.ofMinutes(15);

    /** How often idle activations are looked for. */
    public static final Duration COLLECTION_INTERVAL = Duration.ofMinutes(1);

    /** How many messages may wait in one activation's mailbox. */
    public static final int MAILBOX_CAPACITY = 1000;

    /** How long a caller waits for room in a full mailbox. */
    public static final Duration MAILBOX_FULL_TIMEOUT = Duration.ofSeconds(10);

    /** How long a caller waits for the result of a call. */
    public static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    /**
     * How long a platform thread that made a blocking call spins for its answer before it parks: an answer that comes
     * within it spares the caller a kernel wake-up.
     */
    public static final Duration PLATFORM_CALLER_SPIN = Duration.ofNanos(20_000);

    /** How long {@link ActorRuntime#close()} waits for running turns and deactivations. */
    public static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    /** How turns are run when no turn executor is given. */
    public static final TurnScheduler TURN_SCHEDULER = TurnScheduler.VIRTUAL_THREADS;

    /** How many runner threads the ready-queue scheduler may have, blocked ones included. */
    public static final int READY_QUEUE_MAX_RUNNERS = 32_768;

    /** How often the activation count and the heap are checked against the shedding limits. */
    public static final Duration SHEDDING_CHECK_INTERVAL = Duration.ofSeconds(1);

    private ActorRuntimeDefaults() {
    }
}
