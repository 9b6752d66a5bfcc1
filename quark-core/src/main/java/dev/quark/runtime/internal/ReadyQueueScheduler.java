package dev.quark.runtime.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.TurnRunners;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A turn executor of ready activations: a small set of long-lived virtual threads, the runners, take tasks
 * (an activation granted to its next turn) from one shared queue, so that a runner that finishes a busy period
 * takes the next ready activation without parking while work is queued, instead of one thread start or
 * hand-over per busy period.
 * <ul>
 * <li><b>Local slot.</b> A task submitted by a runner (a turn that sends to an idle actor, a completion that
 * calls again) goes to that runner's slot and runs on it next, before the shared queue, as in Go's
 * {@code runnext} or a fork-join worker's own queue; the task the slot held, if any, goes to the shared queue.
 * After 32 tasks in a row from its slot a runner looks at the shared queue first.
 * <li><b>Fairness.</b> A runner runs at most {@link #turnsPerScheduling()} turns of one activation, and no more
 * once {@link #timeSliceNanos()} have passed since the first of them began, before the activation goes back to the
 * end of the shared queue ({@link #requeue(Runnable)}, used by the turn loop): 32 turns of 5 ms would otherwise hold
 * a runner for 160 ms. The time slice applies only while other work waits in the shared queue.
 * <li><b>Searching.</b> A runner that finds the shared queue and its slot empty takes the slot of a runner that is
 * busy with a task before it parks, so work a long turn submitted does not wait for that turn to end.
 * <li><b>Blocking.</b> A turn that waits for a call to another actor, for an asynchronous method's stage or for
 * its activation back tells the scheduler ({@link #blockingBegins()}): its slot moves to the shared queue and
 * a runner is started if fewer than {@code parallelism} runners are left running, as with
 * {@code ForkJoinPool.managedBlock}. A turn that blocks without saying so (JDBC, a sleep, a lock) is found by
 * a monitor thread: a runner whose turn has not finished after {@code blockedAfterNanos} while work is queued
 * counts as blocked, and the monitor starts a runner in its place. At most {@code maxRunners} runners exist.
 * A runner still in the same task at the monitor's look, blocked or computing, loses its slot to the shared queue.
 * <li><b>At the cap.</b> When a runner is wanted while work waits but {@code maxRunners} exist and every one of
 * them is blocked (say in synchronous calls to actors whose turns wait in the queue), the work waits until one frees:
 * such an episode is counted ({@link #exhaustions()}, {@link ActorMetrics#turnRunnersExhausted(int)}) and logged
 * as a WARN (at most one a minute). It ends once the monitor finds a runner running again or fewer than
 * {@code maxRunners} runners, once nothing waits any more, or at close; the end of an episode whose WARN was
 * logged is logged at INFO, after that WARN (never an INFO without its WARN).
 * <li><b>Thread start failures.</b> A runner whose thread cannot be made or started (a thread factory that throws,
 * an {@link OutOfMemoryError} "unable to create native thread") is not counted: the counts stay those of the
 * runners that run, the failure is logged as a WARN (at most one a minute) and counted
 * ({@link #runnerStartFailures()}, {@link ActorMetrics#turnRunnerStartFailed()}), the work stays queued, and the
 * next start is tried after a back-off of 1 ms, doubled after each further failure up to 1 s and reset by a start
 * that succeeds; while backing off no submission tries a start, the monitor tries once the wait is over. Each
 * attempt that fails is counted once, so a lasting failure counts about one a second, not one per submission.
 * A factory that returns a thread already started is such a failure.
 * </ul>
 * Idle runners park; at most {@code parallelism} of them wait, further ones end. The monitor parks while
 * nothing is queued.
 * <p>
 * <b>Close.</b> {@link #close()} rejects nothing and drops nothing: work that reaches the shared queue afterwards
 * (a turn requeued by its fairness bound, a slot given away by a turn that then waits or taken by the monitor)
 * runs on a thread of its own from the scheduler's thread factory, as tasks executed then do, and so do the tasks
 * close() finds queued or in a runner's slot, rather than waiting for a runner that may never come back (a runner
 * blocked in a turn past a timed-out shutdown). A task whose own thread cannot be started never runs on the thread that
 * found it (a caller's, with its transaction and logging context; a turn's;
 * the monitor's). It waits in a fallback queue whose tasks the monitor, kept alive after close for them, starts
 * threads for, backing off from 1 ms to 1 s while none can start (counted and logged as above). Runners end once
 * idle; the monitor ends once nothing is in the fallback queue and no runner is left (a runner still in a turn
 * may requeue work); a fallback task that finds it ended makes a thread to take its place, and if even that
 * cannot start (logged as an ERROR), the task waits until a later task after close can start one.
 * Thread-locals that actor code sets may be seen by later tasks on the same runner, as in any pool.
 */
public final class ReadyQueueScheduler implements Executor, TurnRunners, AutoCloseable {

    /**
     * How many tasks in a row a runner takes from its slot before it looks at the shared queue first, so that
     * activations that keep sending to each other on one runner do not starve the queue.
     */
    private static final int SLOT_RUNS = 32;

    /** The runner of the current thread, if it is one; its scheduler says which. */
    private static final ThreadLocal<@Nullable Runner> RUNNER = new ThreadLocal<>();

    /**
     * Whether this JVM ever made one: until then the blocking announcements on the runtime's call paths return at
     * once, without looking the thread-local up (which makes a thread-local map on every new turn thread).
     */
    private static volatile boolean made;

    private static final Logger logger = LoggerFactory.getLogger(ReadyQueueScheduler.class);

    /** At most one WARN of each kind (runners at the cap, runner start failures) in this time. */
    private static final long WARN_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final String name;

    private final ThreadFactory threads;

    private final ActorMetrics metrics;

    private final int parallelism;

    private final int maxRunners;

    private final int turnsPerScheduling;

    private final long timeSliceNanos;

    private final long blockedAfterNanos;

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();

    private final ConcurrentLinkedDeque<Runner> idle = new ConcurrentLinkedDeque<>();

    private final AtomicInteger idleCount = new AtomicInteger();

    private final Set<Runner> runners = ConcurrentHashMap.newKeySet();

    private final AtomicInteger runnerCount = new AtomicInteger();

    /** Runners inside a blocking wait they announced. */
    private final AtomicInteger announcedBlocked = new AtomicInteger();

    /** Runners the monitor found stuck at its last look. */
    private volatile int stuck;

    private final Thread monitor;

    private volatile boolean monitorParked;

    private volatile boolean closed;

    /**
     * The episode at the cap: {@link #NO_EPISODE}, {@link #EPISODE_COUNTED} (counted, not logged) or
     * {@link #EPISODE_WARNED} (its WARN logged, so its end is logged too). One variable changed by CAS, so that
     * an INFO of the end is never logged without the WARN of its beginning.
     */
    private final AtomicInteger exhaustion = new AtomicInteger(NO_EPISODE);

    private static final int NO_EPISODE = 0;

    private static final int EPISODE_COUNTED = 1;

    private static final int EPISODE_WARNED = 2;

    /** When the current episode at the cap began ({@link System#nanoTime()}). */
    private volatile long exhaustedSince;

    private final AtomicLong exhaustions = new AtomicLong();

    private final AtomicLong lastExhaustionWarning = new AtomicLong();

    private final AtomicLong startFailures = new AtomicLong();

    private final AtomicLong lastStartFailureWarning = new AtomicLong();

    /** The first wait after a thread start failed; doubled after each further failure up to {@link #MAX_BACKOFF_NANOS}. */
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** The current wait after thread start failures; 0 while the last start succeeded. */
    private volatile long startBackoffNanos;

    /** Not before this ({@link System#nanoTime()}) is a thread start tried again while backing off. */
    private volatile long nextStartAttempt;

    /**
     * After close, the tasks whose own thread could not be started: the drainer (the monitor, or a thread made
     * for it) starts their threads, backing off while it cannot. No task runs on the thread that found it.
     */
    private final ConcurrentLinkedDeque<Runnable> fallback = new ConcurrentLinkedDeque<>();

    /** Whether a drainer of {@link #fallback} runs (the monitor until it ends after close). */
    private final AtomicBoolean drainerAlive = new AtomicBoolean(true);

    /** The thread draining {@link #fallback}, to unpark. */
    private volatile Thread drainer;

    /**
     * Creates the scheduler without a time slice: only the turn count bounds a scheduling.
     * @param name the name of its threads
     * @param parallelism how many runners should be running turns (not blocked) when work is queued
     * @param maxRunners how many runners may exist, blocked ones included
     * @param turnsPerScheduling how many turns of one activation a runner runs before requeueing it
     * @param blockedAfterNanos how long a turn may run before its runner counts as blocked
     */
    public ReadyQueueScheduler(String name, int parallelism, int maxRunners, int turnsPerScheduling,
            long blockedAfterNanos) {
        this(name, parallelism, maxRunners, turnsPerScheduling, Long.MAX_VALUE, blockedAfterNanos);
    }

    /**
     * Creates the scheduler; its runners start on demand.
     * @param name the name of its threads
     * @param parallelism how many runners should be running turns (not blocked) when work is queued
     * @param maxRunners how many runners may exist, blocked ones included
     * @param turnsPerScheduling how many turns of one activation a runner runs before requeueing it
     * @param timeSliceNanos after how long since its first turn of a scheduling an activation is requeued even
     * before {@code turnsPerScheduling} turns ran ({@link Long#MAX_VALUE}: never)
     * @param blockedAfterNanos how long a turn may run before its runner counts as blocked
     */
    public ReadyQueueScheduler(String name, int parallelism, int maxRunners, int turnsPerScheduling,
            long timeSliceNanos, long blockedAfterNanos) {
        this(name, parallelism, maxRunners, turnsPerScheduling, timeSliceNanos, blockedAfterNanos,
                Thread.ofVirtual().name(name + "-", 0).factory(), ActorMetrics.NONE);
    }

    /**
     * Creates the scheduler with the threads and metrics given; its runners start on demand. Everything is
     * checked and made before the monitor thread starts, the last step, so a constructor that fails leaves no
     * thread behind.
     * @param name the name of its threads
     * @param parallelism how many runners should be running turns (not blocked) when work is queued
     * @param maxRunners how many runners may exist, blocked ones included
     * @param turnsPerScheduling how many turns of one activation a runner runs before requeueing it
     * @param timeSliceNanos after how long since its first turn of a scheduling an activation is requeued even
     * before {@code turnsPerScheduling} turns ran ({@link Long#MAX_VALUE}: never)
     * @param blockedAfterNanos how long a turn may run before its runner counts as blocked
     * @param threads makes the runners' threads, and after {@link #close()} the threads of work that finds no runner
     * @param metrics where episodes at the cap and runner start failures are counted
     */
    public ReadyQueueScheduler(String name, int parallelism, int maxRunners, int turnsPerScheduling,
            long timeSliceNanos, long blockedAfterNanos, ThreadFactory threads, ActorMetrics metrics) {
        if (parallelism < 1 || maxRunners < parallelism || turnsPerScheduling < 1 || timeSliceNanos < 1
                || blockedAfterNanos < 1) {
            throw new IllegalArgumentException("Invalid scheduler settings: parallelism " + parallelism
                    + ", maxRunners " + maxRunners + ", turnsPerScheduling " + turnsPerScheduling
                    + ", timeSliceNanos " + timeSliceNanos + ", blockedAfterNanos " + blockedAfterNanos);
        }
        if (threads == null || metrics == null) {
            throw new IllegalArgumentException("Invalid scheduler settings: threads and metrics must not be null");
        }
        this.name = name;
        this.threads = threads;
        this.metrics = metrics;
        this.parallelism = parallelism;
        this.maxRunners = maxRunners;
        this.turnsPerScheduling = turnsPerScheduling;
        this.timeSliceNanos = timeSliceNanos;
        this.blockedAfterNanos = blockedAfterNanos;
        long longAgo = System.nanoTime() - 2 * WARN_INTERVAL_NANOS;
        this.lastExhaustionWarning.set(longAgo);
        this.lastStartFailureWarning.set(longAgo);
        this.monitor = Thread.ofPlatform().daemon().name(name + "-monitor").unstarted(this::watch);
        this.drainer = this.monitor;
        made = true;
        this.monitor.start();
    }

    /** Returns how many turns of one activation a runner runs before the activation goes back to the queue. */
    int turnsPerScheduling() {
        return this.turnsPerScheduling;
    }

    /** Returns after how long since its first turn of a scheduling an activation goes back to the queue. */
    long timeSliceNanos() {
        return this.timeSliceNanos;
    }

    /**
     * Whether a task waits in the shared queue: the time slice gives the runner away only then, as requeueing
     * an activation nothing else waits for would only cost a park and an unpark. Work waiting in the slot of a
     * runner busy with a long task reaches the queue through the monitor.
     */
    boolean hasQueuedWork() {
        return !this.queue.isEmpty();
    }

    @Override
    public void execute(Runnable task) {
        if (this.closed) {
            startOnOwnThread(task);
            return;
        }
        Runnable queued = task;
        Runner self = RUNNER.get();
        if (self != null && self.scheduler == this && !self.blocking) {
            queued = self.slot.getAndSet(task);
            if (queued == null) {
                if (this.closed) {
                    // close() may have emptied the slots before this task got in: take it back if still there.
                    startOnOwnThread(self.slot.getAndSet(null));
                    return;
                }
                wakeMonitor();
                return;
            }
        }
        requeue(queued);
    }

    /**
     * Puts a task at the end of the shared queue, never in the current runner's slot.
     */
    void requeue(Runnable task) {
        this.queue.offer(task);
        if (this.closed) {
            startQueuedOnOwnThreads();
            return;
        }
        signal();
    }

    /**
     * Once closed, runs what the queue holds each on a virtual thread of its own: no runner may be left to take
     * it (they end once idle, and a runner blocked in a turn comes back only when that turn ends).
     */
    private void startQueuedOnOwnThreads() {
        Runnable task;
        while ((task = this.queue.poll()) != null) {
            startOnOwnThread(task);
        }
    }

    /** Wakes an idle runner for queued work, or starts one, or lets the monitor look for blocked runners. */
    private void signal() {
        Runner waiting = this.idle.poll();
        if (waiting != null) {
            this.idleCount.decrementAndGet();
            waiting.wake();
            return;
        }
        if (!startRunnerIfShort()) {
            wakeMonitor();
        }
    }

    /** Lets the monitor watch the runners while work waits; it parks once nothing does. */
    private void wakeMonitor() {
        if (this.monitorParked) {
            this.monitorParked = false;
            LockSupport.unpark(this.monitor);
        }
    }

    /** Whether no task waits, in the queue or in a runner's slot. */
    private boolean nothingWaiting() {
        if (!this.queue.isEmpty()) {
            return false;
        }
        for (Runner runner : this.runners) {
            if (runner.slot.get() != null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Starts a runner when fewer than {@code parallelism} are running turns. Called only while work waits.
     * @return whether one was started
     */
    private boolean startRunnerIfShort() {
        while (true) {
            int count = this.runnerCount.get();
            int running = count - this.announcedBlocked.get() - this.stuck;
            if (running >= this.parallelism || this.closed) {
                return false;
            }
            if (count >= this.maxRunners) {
                if (running <= 0) {
                    // Every runner waits (blocked, announced or found by the monitor): nothing runs the queue.
                    runnersExhausted();
                }
                return false;
            }
            if (this.startBackoffNanos != 0 && System.nanoTime() - this.nextStartAttempt < 0) {
                // Backing off after a failed start: the monitor tries again once the wait is over.
                return false;
            }
            if (this.runnerCount.compareAndSet(count, count + 1)) {
                return startRunner();
            }
        }
    }

    /**
     * Starts a runner already counted; if its thread cannot be made or started, takes it out of the counts again,
     * so that they stay those of the runners that run, and reports the failure.
     */
    private boolean startRunner() {
        Runner runner = null;
        Throwable failure;
        try {
            runner = new Runner(this);
            this.runners.add(runner);
            Thread thread = this.threads.newThread(runner);
            if (thread == null) {
                failure = new IllegalStateException("the thread factory returned no thread");
            }
            else if (thread.getState() != Thread.State.NEW) {
                failure = new IllegalStateException("the thread factory returned a thread already started: "
                        + thread);
            }
            else {
                thread.start();
                if (this.startBackoffNanos != 0) {
                    this.startBackoffNanos = 0;
                }
                return true;
            }
        }
        catch (Throwable ex) {
            failure = ex;
        }
        if (runner != null) {
            runner.uncount();
        }
        else {
            this.runnerCount.decrementAndGet();
        }
        runnerStartFailed(failure);
        return false;
    }

    /**
     * Reports a thread that could not be made or started and backs off: the next start is tried after 1 ms,
     * doubled after each further failure up to 1 s, so each failure counted is one step of the back-off.
     */
    private void runnerStartFailed(Throwable failure) {
        backOff();
        long failures = this.startFailures.incrementAndGet();
        try {
            this.metrics.turnRunnerStartFailed();
        }
        catch (Throwable ex) {
            logger.debug("Metrics failed to record a runner start failure", ex);
        }
        if (warnNow(this.lastStartFailureWarning)) {
            logger.warn("Ready-queue scheduler {} could not start a runner thread ({} failures so far, {} runners "
                    + "exist); the work stays queued and the monitor tries again in {} ms, backing off up to 1 s",
                    this.name, failures, this.runnerCount.get(),
                    TimeUnit.NANOSECONDS.toMillis(this.startBackoffNanos), failure);
        }
        wakeMonitor();
    }

    /** Doubles the wait before the next thread start (the first: 1 ms; at most 1 s). */
    private long backOff() {
        long previous = this.startBackoffNanos;
        long next = (previous == 0) ? MIN_BACKOFF_NANOS : Math.min(previous * 2, MAX_BACKOFF_NANOS);
        this.startBackoffNanos = next;
        this.nextStartAttempt = System.nanoTime() + next;
        return next;
    }

    /**
     * Notes that a runner was wanted while work waited but {@code maxRunners} exist, all blocked: counted once per episode
     * (until the monitor finds nothing waiting) and logged at most once a minute. Not on the path of a turn: only
     * when no idle runner could be woken.
     */
    private void runnersExhausted() {
        if (this.exhaustion.get() != NO_EPISODE || !this.exhaustion.compareAndSet(NO_EPISODE, EPISODE_COUNTED)) {
            return;
        }
        this.exhaustedSince = System.nanoTime();
        long episodes = this.exhaustions.incrementAndGet();
        try {
            this.metrics.turnRunnersExhausted(this.maxRunners);
        }
        catch (Throwable ex) {
            logger.debug("Metrics failed to record runners at their cap", ex);
        }
        if (warnNow(this.lastExhaustionWarning)) {
            logger.warn("Ready-queue scheduler {} has all of its {} runners blocked ({} of them in announced "
                    + "waits, such as calls to other actors) while work waits: turns wait until a runner frees, and synchronous calls "
                    + "between actors may run into their call timeout (episode {}; raise "
                    + "quark.actors.ready-queue.max-runners, ActorRuntime.Builder.readyQueueMaxRunners)",
                    this.name, this.maxRunners, this.announcedBlocked.get(), episodes);
            if (!this.exhaustion.compareAndSet(EPISODE_COUNTED, EPISODE_WARNED)) {
                // The episode ended while its WARN was being logged: its end is logged here, after it.
                logExhaustionEnd("a runner is free again");
            }
        }
    }

    /**
     * Ends an episode at the cap, if one is going on, logging its end if its beginning was logged.
     * @param why why it ended
     */
    private void exhaustionEnded(String why) {
        int state = this.exhaustion.get();
        if (state != NO_EPISODE && this.exhaustion.compareAndSet(state, NO_EPISODE) && state == EPISODE_WARNED) {
            logExhaustionEnd(why);
        }
    }

    private void logExhaustionEnd(String why) {
        logger.info("Ready-queue scheduler {}: {}, {} ms after its runners reached their cap of {}", this.name, why,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - this.exhaustedSince), this.maxRunners);
    }

    private static boolean warnNow(AtomicLong last) {
        long now = System.nanoTime();
        long previous = last.get();
        return now - previous >= WARN_INTERVAL_NANOS && last.compareAndSet(previous, now);
    }

    /**
     * Tells the scheduler that the current thread is about to wait, if it is one of its runners.
     * @return whether it was a runner, to be passed to {@link #blockingEnds(boolean)}
     */
    static boolean blockingBegins() {
        if (!made) {
            return false;
        }
        Runner self = RUNNER.get();
        if (self == null || self.blocking) {
            return false;
        }
        self.blocking = true;
        ReadyQueueScheduler scheduler = self.scheduler;
        scheduler.announcedBlocked.incrementAndGet();
        Runnable slotted = self.slot.getAndSet(null);
        if (slotted != null) {
            scheduler.requeue(slotted);
        }
        else if (!scheduler.queue.isEmpty() && !scheduler.closed) {
            scheduler.signal();
        }
        return true;
    }

    /**
     * Ends what {@link #blockingBegins()} began.
     * @param runner what it returned
     */
    static void blockingEnds(boolean runner) {
        if (runner) {
            Runner self = RUNNER.get();
            if (self != null) {
                self.blocking = false;
                self.scheduler.announcedBlocked.decrementAndGet();
            }
        }
    }

    /**
     * The monitor: while work is queued, looks every {@code blockedAfterNanos} for runners whose task has not
     * finished since its last look, moves their slots to the queue, and starts runners in place of those that
     * wait off the CPU.
     */
    private void watch() {
        while (!this.closed) {
            if (nothingWaiting()) {
                this.stuck = 0;
                exhaustionEnded("no work waits any more");
                this.monitorParked = true;
                if (nothingWaiting() && !this.closed) {
                    LockSupport.park(this);
                }
                this.monitorParked = false;
                continue;
            }
            LockSupport.parkNanos(this, this.blockedAfterNanos);
            int found = 0;
            for (Runner runner : this.runners) {
                long progress = runner.progress;
                if (runner.busy && !runner.blocking && progress == runner.seenProgress) {
                    // Still in the same task: what it submitted to its slot may run elsewhere meanwhile.
                    Runnable slotted = runner.slot.getAndSet(null);
                    if (slotted != null) {
                        requeue(slotted);
                    }
                    if (waitsOffCpu(runner)) {
                        found++;
                    }
                }
                runner.seenProgress = progress;
            }
            this.stuck = found;
            if (this.exhaustion.get() != NO_EPISODE) {
                int count = this.runnerCount.get();
                if (count < this.maxRunners || count - this.announcedBlocked.get() - found > 0) {
                    exhaustionEnded("a runner is free again");
                }
            }
            while (!this.queue.isEmpty() && this.idleCount.get() == 0 && startRunnerIfShort()) {
                // one more runner per pass of the loop until enough run or the limit is reached
            }
            if (!this.queue.isEmpty() && this.idleCount.get() > 0) {
                signal();
            }
        }
        this.stuck = 0;
        drainAfterClose();
    }

    /**
     * After close, starts a thread for each task of {@link #fallback} (tasks whose own thread could not be
     * started), backing off from 1 ms to 1 s while none can be started; ends once nothing is left and no runner
     * exists (a runner still in a turn may requeue work). Runs on the monitor, or on a thread made for it.
     */
    private void drain() {
        long backoff = 0;
        while (true) {
            Runnable task = this.fallback.pollFirst();
            if (task != null) {
                Throwable failure = startThread(task);
                if (failure == null) {
                    backoff = 0;
                    continue;
                }
                this.fallback.offerFirst(task);
                backoff = (backoff == 0) ? MIN_BACKOFF_NANOS : Math.min(backoff * 2, MAX_BACKOFF_NANOS);
                ownThreadFailed(failure, backoff);
                // The whole wait, even when tasks that could not get a thread of their own wake it meanwhile.
                long deadline = System.nanoTime() + backoff;
                long remaining;
                while ((remaining = deadline - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(this, remaining);
                }
                continue;
            }
            if (this.runnerCount.get() > 0) {
                // Woken by a runner that ends, or by a task that could not get its own thread.
                LockSupport.parkNanos(this, MAX_BACKOFF_NANOS);
                continue;
            }
            this.drainerAlive.set(false);
            if (!this.fallback.isEmpty() && this.drainerAlive.compareAndSet(false, true)) {
                continue;
            }
            return;
        }
    }

    private void drainAfterClose() {
        exhaustionEnded("closed");
        drain();
    }

    /**
     * Whether a runner whose turn has not finished waits rather than computes: parked (a socket read, a lock, a
     * sleep) or blocked on a monitor. A turn that is only long on the CPU gains nothing from another runner (the
     * cores are what it lacks), so it is not replaced.
     */
    private static boolean waitsOffCpu(Runner runner) {
        Thread thread = runner.thread;
        return thread != null && thread.getState() != Thread.State.RUNNABLE;
    }

    /**
     * Stops the runners once they are idle, and the monitor once no runner and no task waiting for a thread is
     * left; tasks executed afterwards each get a new thread, and so do the tasks queued or held in the slots of
     * runners busy with a turn that may not end soon.
     */
    @Override
    public void close() {
        this.closed = true;
        LockSupport.unpark(this.monitor);
        Runner waiting;
        while ((waiting = this.idle.poll()) != null) {
            this.idleCount.decrementAndGet();
            waiting.wake();
        }
        startQueuedOnOwnThreads();
        for (Runner runner : this.runners) {
            startOnOwnThread(runner.slot.getAndSet(null));
        }
    }

    /**
     * Runs a task that may find no runner (the scheduler is closed) on a thread of its own; if none can be started
     * (or earlier such tasks still wait for theirs), hands it to the drainer, never running it here.
     */
    private void startOnOwnThread(@Nullable Runnable task) {
        if (task == null) {
            return;
        }
        if (this.fallback.isEmpty()) {
            Throwable failure = startThread(task);
            if (failure == null) {
                return;
            }
            ownThreadFailed(failure, MIN_BACKOFF_NANOS);
        }
        // Never on the thread that found it (a caller's thread, a turn's, the monitor's): the drainer starts it.
        this.fallback.offerLast(task);
        wakeDrainer();
    }

    /**
     * Makes and starts a thread for a task.
     * @return null, or why it could not
     */
    private @Nullable Throwable startThread(Runnable task) {
        try {
            Thread thread = this.threads.newThread(task);
            if (thread == null) {
                return new IllegalStateException("the thread factory returned no thread");
            }
            if (thread.getState() != Thread.State.NEW) {
                return new IllegalStateException("the thread factory returned a thread already started: " + thread);
            }
            thread.start();
            return null;
        }
        catch (Throwable ex) {
            return ex;
        }
    }

    private void ownThreadFailed(Throwable failure, long backoff) {
        long failures = this.startFailures.incrementAndGet();
        try {
            this.metrics.turnRunnerStartFailed();
        }
        catch (Throwable ex) {
            logger.debug("Metrics failed to record a thread start failure", ex);
        }
        if (warnNow(this.lastStartFailureWarning)) {
            logger.warn("Ready-queue scheduler {} is closed and could not start a thread for a task ({} failures so "
                    + "far); the task waits and a thread start is tried again in {} ms, backing off up to 1 s",
                    this.name, failures, TimeUnit.NANOSECONDS.toMillis(backoff), failure);
        }
    }

    /** Wakes the drainer of {@link #fallback}, or makes one if the last one ended. */
    private void wakeDrainer() {
        if (this.drainerAlive.get()) {
            LockSupport.unpark(this.drainer);
            return;
        }
        if (!this.drainerAlive.compareAndSet(false, true)) {
            LockSupport.unpark(this.drainer);
            return;
        }
        try {
            Thread thread = Thread.ofPlatform().daemon().name(this.name + "-drainer").unstarted(this::drain);
            this.drainer = thread;
            thread.start();
        }
        catch (Throwable ex) {
            this.drainerAlive.set(false);
            logger.error("Ready-queue scheduler {} is closed and could not start a thread to start the threads of "
                    + "{} waiting tasks; they wait until a later task after close finds a thread", this.name,
                    this.fallback.size(), ex);
        }
    }

    @Override
    public int runners() {
        return this.runnerCount.get();
    }

    @Override
    public int blockedRunners() {
        // The monitor's count is of its last look: a runner may have ended since.
        return Math.min(this.announcedBlocked.get() + this.stuck, this.runnerCount.get());
    }

    @Override
    public int maxRunners() {
        return this.maxRunners;
    }

    /**
     * Returns how many times a runner was wanted while work waited but {@code maxRunners} existed: episodes, each
     * counted once until it ends (a runner runs again, fewer than {@code maxRunners} exist, nothing waits, close).
     * @return the count since the scheduler was made
     */
    public long exhaustions() {
        return this.exhaustions.get();
    }

    /**
     * Returns how many attempts to make and start a runner thread (after close: a task's own thread) failed; the
     * attempts back off from 1 ms to 1 s, so a lasting failure adds about one a second.
     * @return the count since the scheduler was made
     */
    public long runnerStartFailures() {
        return this.startFailures.get();
    }

    /** Whether the monitor thread is alive, for tests. */
    boolean monitorAlive() {
        return this.monitor.isAlive();
    }

    private @Nullable Runnable next(Runner runner) {
        while (true) {
            Runnable task = (runner.slotRuns < SLOT_RUNS) ? runner.slot.getAndSet(null) : null;
            if (task != null) {
                runner.slotRuns++;
                return task;
            }
            runner.slotRuns = 0;
            task = this.queue.poll();
            if (task == null) {
                task = runner.slot.getAndSet(null);
            }
            if (task == null) {
                task = stealSlot(runner);
            }
            if (task != null) {
                return task;
            }
            if (this.closed || !countIdle()) {
                return null;
            }
            runner.waiting = true;
            this.idle.push(runner);
            // Checked again once listed: work queued, or a close() that emptied the list, meanwhile.
            if ((!this.queue.isEmpty() || this.closed) && this.idle.remove(runner)) {
                this.idleCount.decrementAndGet();
                runner.waiting = false;
                continue;
            }
            while (runner.waiting) {
                LockSupport.park(this);
                // An interrupt meant for a turn that ended would make park return at once: a spinning idle runner.
                Thread.interrupted();
            }
        }
    }

    /**
     * Counts one more idle runner unless {@code parallelism} of them wait already, in one step: with a check and an
     * increment apart, runners that end their turns together (a thousand blocked turns released at once) could
     * each see room for one more and all stay, parked for good.
     * @return whether the runner may wait; if not, it ends
     */
    private boolean countIdle() {
        int count;
        do {
            count = this.idleCount.get();
            if (count >= this.parallelism) {
                return false;
            }
        }
        while (!this.idleCount.compareAndSet(count, count + 1));
        return true;
    }

    /**
     * Takes the slot of another runner that is busy with a task, so that work it submitted does not wait for a
     * long turn to end while this runner would park.
     */
    private @Nullable Runnable stealSlot(Runner thief) {
        for (Runner other : this.runners) {
            if (other != thief && other.busy && other.slot.get() != null) {
                Runnable task = other.slot.getAndSet(null);
                if (task != null) {
                    return task;
                }
            }
        }
        return null;
    }

    /** One long-lived thread taking tasks: its own slot first, then the shared queue. */
    private static final class Runner implements Runnable {

        final ReadyQueueScheduler scheduler;

        final AtomicReference<@Nullable Runnable> slot = new AtomicReference<>();

        /** Counts the tasks started, for the monitor; written by its own thread only. */
        volatile long progress;

        /** The monitor's last reading of {@link #progress}; read and written by the monitor only. */
        long seenProgress = -1;

        volatile boolean busy;

        /** Whether its turn announced a blocking wait; written by its own thread. */
        volatile boolean blocking;

        volatile boolean waiting;

        /** Tasks taken from the slot in a row; read and written by its own thread only. */
        int slotRuns;

        private volatile @Nullable Thread thread;

        /** Whether it is in the runner counts; see {@link #uncount()}. */
        private final AtomicBoolean counted = new AtomicBoolean(true);

        Runner(ReadyQueueScheduler scheduler) {
            this.scheduler = scheduler;
        }

        void wake() {
            this.waiting = false;
            Thread current = this.thread;
            if (current != null) {
                LockSupport.unpark(current);
            }
        }

        @Override
        @SuppressWarnings("NonAtomicVolatileUpdate") // progress has one writer, this thread
        public void run() {
            this.thread = Thread.currentThread();
            RUNNER.set(this);
            try {
                Runnable task;
                while ((task = this.scheduler.next(this)) != null) {
                    this.progress = this.progress + 1;
                    this.busy = true;
                    try {
                        task.run();
                    }
                    catch (Throwable ex) {
                        Thread current = Thread.currentThread();
                        current.getUncaughtExceptionHandler().uncaughtException(current, ex);
                    }
                    finally {
                        this.busy = false;
                        // A turn's interrupt (its own code, a library's) is not the next activation's.
                        Thread.interrupted();
                    }
                }
            }
            finally {
                RUNNER.remove();
                uncount();
                Runnable left = this.slot.getAndSet(null);
                if (left != null) {
                    this.scheduler.requeue(left);
                }
                if (this.scheduler.closed) {
                    // The drainer waits for the last runner before it ends.
                    LockSupport.unpark(this.scheduler.drainer);
                }
            }
        }

        /**
         * Takes this runner out of the counts, once: a start that failed and the end of its thread (a factory's
         * thread that ran it anyway) must not both.
         */
        void uncount() {
            if (this.counted.compareAndSet(true, false)) {
                this.scheduler.runners.remove(this);
                this.scheduler.runnerCount.decrementAndGet();
            }
        }
    }
}
