package dev.quark.durabletasks;

import org.jspecify.annotations.Nullable;

/**
 * A durable orchestration: deterministic code that coordinates activities, timers, external events and other
 * orchestrations, and whose progress survives restarts because every decision it makes and every result it receives
 * is recorded in its instance's history. After a restart, or on another worker, the code runs again from the start
 * against the history ("replay"): each call it makes on the {@link OrchestrationContext} is matched with what the
 * history says happened, results come from the history instead of running again, and the code continues past the
 * end of the history as if it had never stopped.
 * <p>
 * Write it in blocking style: {@link DurableTask#await()} waits for a result (a worker runs each orchestration step
 * on a virtual thread). A new instance is created for every run of the code: a replay starts one, and a worker that
 * keeps the instance between steps (its instance cache) continues the same one, parked where it waits. So fields may
 * or may not carry over from one step to the next: keep state in local variables or fields that the code itself
 * rebuilds as it runs, never in anything set from outside it.
 * <pre>{@code
 * @TaskName("order")
 * class OrderOrchestration implements Orchestration<Order, Receipt> {
 *     public Receipt run(OrchestrationContext ctx, Order order) {
 *         Reservation reservation = ctx.callActivity(ReserveStock.class, order).await();
 *         try {
 *             Payment payment = ctx.callActivity(ChargeCard.class, order, ActivityOptions.retry(3, Duration.ofSeconds(1))).await();
 *             return new Receipt(reservation, payment);
 *         }
 *         catch (TaskFailedException ex) {
 *             ctx.callActivity(ReleaseStock.class, reservation).await();   // compensate
 *             throw ex;
 *         }
 *     }
 * }
 * }</pre>
 * <b>Determinism.</b> Given the same history the code must make the same calls on the context, in the same order.
 * So it must not read the wall clock ({@link OrchestrationContext#currentTime()} instead), random numbers or UUIDs
 * ({@link OrchestrationContext#random()}, {@link OrchestrationContext#newUuid()}), environment, files, the network
 * or mutable static state; it must not start threads, sleep ({@link OrchestrationContext#createTimer}) or block on
 * anything but the context's tasks. I/O belongs in activities. A replay that does not match the history fails the
 * instance with a {@link NonDeterministicOrchestrationException}; {@link OrchestrationContext#getVersion} lets code
 * change while old instances are in flight.
 *
 * @param <I> the input type, read from JSON
 * @param <O> the output type, written as JSON
 */
@FunctionalInterface
public interface Orchestration<I extends @Nullable Object, O extends @Nullable Object> {

    /**
     * Runs the orchestration from its start: for one step, or for several when the worker keeps the instance
     * between steps.
     * @param context the context, the only way to the outside world
     * @param input the input the instance was scheduled with, {@code null} when none
     * @return the output, recorded when the orchestration completes
     * @throws Exception any exception fails the instance, recorded as its {@link FailureDetails}
     */
    O run(OrchestrationContext context, I input) throws Exception;
}
