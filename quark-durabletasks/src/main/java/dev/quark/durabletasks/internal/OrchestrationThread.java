package dev.quark.durabletasks.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.quark.durabletasks.OrchestrationDefinition;
import dev.quark.durabletasks.history.HistoryEvent;
import org.jspecify.annotations.Nullable;

/**
 * An orchestration's code running on a virtual thread of its own, for one step or, when it may be kept between
 * steps, for as many steps as it is given: between them it parks inside the await that ran out of events, holding
 * its locals and fields, and continues there when given the next step's events.
 */
final class OrchestrationThread {

    private final ReplayContext context;

    private final Handoff handoff = new Handoff();

    private final Thread thread;

    private final boolean keepable;

    private OrchestrationThread(ReplayContext context, OrchestrationDefinition definition, boolean keepable) {
        this.context = context;
        this.keepable = keepable;
        if (keepable) {
            context.keepBetweenSteps(this.handoff);
        }
        this.thread = Thread.ofVirtual()
            .name("quark-orchestration-" + context.instanceId())
            .unstarted(() -> this.handoff.ended(context.run(definition)));
    }

    /**
     * Starts the code's first step.
     * @param context the step's context
     * @param definition the orchestration
     * @param keepable whether the code parks when it waits, so that it can be given the next step
     * @return the running code
     */
    static OrchestrationThread start(ReplayContext context, OrchestrationDefinition definition, boolean keepable) {
        OrchestrationThread code = new OrchestrationThread(context, definition, keepable);
        code.thread.start();
        return code;
    }

    ReplayContext context() {
        return this.context;
    }

    /**
     * Returns whether the code parks when it waits.
     */
    boolean keepable() {
        return this.keepable;
    }

    /**
     * Waits for the step to end.
     * @return how it ended, or {@code null} when it did not end within the timeout
     */
    @Nullable StepOutcome awaitStep(Duration timeout) throws InterruptedException {
        return this.handoff.awaitOutcome(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Continues parked code with the next step.
     */
    void resume(List<HistoryEvent> history, List<HistoryEvent> incoming) {
        this.handoff.resume(new Handoff.Resumption(history, incoming));
    }

    /**
     * Releases parked code: it unwinds through its {@code finally} blocks and its thread ends; it makes no decision.
     */
    void release() {
        this.context.abandon();
        this.handoff.release();
    }

    /**
     * Gives up a step that runs too long: every later call on the context ends it, and the thread is interrupted.
     */
    void abandon() {
        this.context.abandon();
        this.handoff.release();
        this.thread.interrupt();
    }

    /**
     * Returns where the code is, for a step that takes too long.
     */
    String where() {
        return Stream.of(this.thread.getStackTrace())
            .limit(20)
            .map((frame) -> "\tat " + frame)
            .collect(Collectors.joining("\n"));
    }

    /**
     * Waits for the code's thread to end.
     * @param timeout how long at most
     * @return whether it ended
     */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        return this.thread.join(timeout);
    }

    /**
     * Returns whether the code's thread still runs (parked or not).
     */
    boolean isAlive() {
        return this.thread.isAlive();
    }
}
